import Synchronization

/// Runs scheduling iterations continuously over a tiered queue, while tasks, leases and
/// host changes arrive at any time: Fenzo's TaskSchedulingService.
///
/// The service owns a `TaskScheduler` and a `TieredTaskQueue`. Submissions, removals,
/// offers and ended tasks are taken at once and never wait for an iteration: while one
/// runs (off the actor, on the global executor) they are buffered, and the next
/// iteration applies them in the order they came. An iteration runs every
/// `iterationInterval`, and as soon as something changes if `iterateOnChange`; each one's
/// outcome is delivered on `results`. `pendingReason(for:)` says why a task is not
/// running. `run()` loops until its task is cancelled or `shutdown()` is called; either
/// way the iteration in flight finishes and its result is delivered, so no placement is
/// lost, then `results` finishes.
///
/// FenzoCore reads no clock: pass one in (`ContinuousClock()` in production). Instants the
/// service takes and gives (ready-at times, disabled-until times, `startedAt`) count from
/// when the service was made; `now` gives the current one.
public actor SchedulingService {
    /// Every iteration's outcome, in order. One consumer; keep up with it, since nothing
    /// is dropped (dropping a result would lose its placements). Finishes when `run()`
    /// returns, or at `shutdown()` if `run()` never started.
    public nonisolated let results: AsyncStream<SchedulingIteration>
    public nonisolated let configuration: SchedulingServiceConfiguration

    private let resultsContinuation: AsyncStream<SchedulingIteration>.Continuation
    private let wakeUps: AsyncStream<Void>
    private let wakeUpContinuation: AsyncStream<Void>.Continuation
    private let clock: any ServiceClock
    private let iterationExecutor: (any TaskExecutor)?

    /// The scheduler and the queue; nil while an iteration has them.
    private var core: Core?
    private var coreWaiters: [CheckedContinuation<Void, Never>] = []
    /// Changes not yet applied to the core, in the order they came.
    private var changes: [Change] = []
    /// Leases offered since the last iteration.
    private var offeredLeases: [Lease] = []
    /// Tasks the service holds, queued or running, so submissions are checked at once.
    private var tracked: [TaskID: TrackedState] = [:]
    /// Tasks ended since the changes were last applied: if the iteration in flight
    /// places one, it is not tracked again, since its end is still to be applied.
    private var endedSinceApplied = Set<TaskID>()
    /// How many tiers the queue has, to check submissions without the core.
    private var tierCount: Int
    private var paused = false
    /// Whether the next iteration must try every ready task: something was added to the
    /// fleet, or the iteration is periodic or requested (see `incrementalIterations`).
    private var fullPassDue = true
    private var phase = Phase.idle
    private var iterationCount = 0

    /// Makes a service; nothing runs until `run()`.
    /// - Parameters:
    ///   - scheduler: the scheduler, with its configuration and any hosts and running
    ///     tasks already known.
    ///   - queue: the queue, with its configuration and any tasks already queued.
    ///   - configuration: when iterations run.
    ///   - clock: where time comes from.
    ///   - iterationExecutor: where iterations run; nil: the global concurrent executor.
    ///     An iteration over a large fleet is seconds of CPU work that holds one of the
    ///     cooperative pool's threads meanwhile; an executor on a thread of its own keeps
    ///     it from delaying the process's other tasks.
    public init(
        scheduler: TaskScheduler = TaskScheduler(),
        queue: TieredTaskQueue = TieredTaskQueue(),
        configuration: SchedulingServiceConfiguration = SchedulingServiceConfiguration(),
        clock: some Clock<Duration>,
        iterationExecutor: (any TaskExecutor)? = nil
    ) throws(TaskQueueError) {
        self.iterationExecutor = iterationExecutor
        let problems = configuration.problems()
        guard problems.isEmpty else { throw .invalidConfiguration(problems) }
        self.configuration = configuration
        self.clock = ClockTimeline(clock)
        (results, resultsContinuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        (wakeUps, wakeUpContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        tierCount = queue.configuration.tiers.count
        for (id, slot) in queue.slotOfTask { tracked[id] = queue.entries[Int(slot)].isRunning ? .running : .queued }
        core = Core(scheduler: scheduler, queue: queue)
    }

    /// The current time on the service's clock.
    public nonisolated var now: Instant { clock.now() }

    // MARK: Changes that never wait

    /// Queues a task. Throws at once if it is invalid, names a tier the queue lacks, or
    /// its id is already queued or running; the service has shut down.
    public func submit(_ task: QueuedTask) throws(TaskQueueError) {
        try submit([task])
    }

    /// Queues several tasks: all of them, or none if any is refused.
    public func submit(_ tasks: [QueuedTask]) throws(TaskQueueError) {
        guard acceptsChanges else { throw .serviceStopped }
        var seen = Set<TaskID>()
        for task in tasks {
            try TieredTaskQueue.check(task, tierCount: tierCount)
            if let state = tracked[task.id] { throw .duplicateTask(task.id, running: state == .running) }
            if !seen.insert(task.id).inserted { throw .duplicateTask(task.id, running: false) }
        }
        let at = clock.now()
        for task in tasks {
            tracked[task.id] = .queued
            changes.append(.submit(task, at: at))
        }
        changed()
    }

    /// Withdraws a queued task; returns false if the service holds no such queued task. A
    /// task the iteration in flight places is not withdrawn: it shows in that iteration's
    /// placements, and `taskEnded` forgets it.
    @discardableResult
    public func remove(_ id: TaskID) -> Bool {
        guard tracked[id] == .queued else { return false }
        tracked[id] = nil
        changes.append(.remove(id))
        return true
    }

    /// Sets when a queued task may next be tried (nil: now). Throws if the service holds
    /// no such queued task.
    public func setReadyAt(_ readyAt: Instant?, for id: TaskID) throws(TaskQueueError) {
        guard tracked[id] == .queued else { throw .unknownTask(id) }
        changes.append(.readyAt(id, readyAt))
        changed()
    }

    /// Moves a queued task to another tier or capacity group, keeping its place in line.
    public func move(_ id: TaskID, toTier tier: Int, capacityGroup: CapacityGroupName) throws(TaskQueueError) {
        guard tracked[id] == .queued else { throw .unknownTask(id) }
        guard tier >= 0 && tier < tierCount else { throw .unknownTier(id, tier: tier, tierCount: tierCount) }
        changes.append(.move(id, tier: tier, group: capacityGroup))
        changed()
    }

    /// Offers leases; the next iteration takes them. Each is stamped with the service's
    /// current time, from which its expiry counts. Leases the scheduler refuses are in
    /// that iteration's `scheduling.rejectedLeases`.
    public func offer(_ leases: [Lease]) {
        guard acceptsChanges, !leases.isEmpty else { return }
        let at = clock.now()
        for var lease in leases {
            lease.offeredAt = at
            offeredLeases.append(lease)
        }
        fullPassDue = true
        changed()
    }

    /// Withdraws a lease (Mesos rescinded the offer). A lease the iteration in flight
    /// uses stays used: launching on it fails, and the task should be ended and queued
    /// again.
    public func rescind(_ id: LeaseID) {
        if let position = offeredLeases.firstIndex(where: { $0.id == id }) {
            offeredLeases.remove(at: position)
        } else {
            changes.append(.rescind(id))
        }
    }

    /// Forgets a task that ended (or was never launched), queued or running: it no longer
    /// counts against its host or its capacity group. Returns whether the service held it.
    @discardableResult
    public func taskEnded(_ id: TaskID) -> Bool {
        guard tracked.removeValue(forKey: id) != nil else { return false }
        changes.append(.ended(id))
        endedSinceApplied.insert(id)
        fullPassDue = true
        changed()
        return true
    }

    // MARK: Changes that wait for the iteration in flight

    /// Keeps tasks off a host until `until` (or until enabled).
    public func disableHost(_ name: HostName, until: Instant) async throws(SchedulingError) {
        try await withCore { (core: inout Core) throws(SchedulingError) in
            try core.scheduler.disableHost(name, until: until)
        }
    }

    /// Lets a disabled host take tasks again.
    public func enableHost(_ name: HostName) async throws(SchedulingError) {
        try await withCore { (core: inout Core) throws(SchedulingError) in
            try core.scheduler.enableHost(name)
        }
        fullPassDue = true
        changed()
    }

    /// Records a task that already runs (found after a restart, say), so it counts
    /// against its host and its capacity group. Throws `TaskQueueError` or
    /// `SchedulingError` if it cannot be recorded; nothing is recorded then.
    public func recordRunning(
        _ task: QueuedTask,
        on hostname: HostName,
        ports: [Int] = [],
        resourceSets: [ResourceSetAllocation] = []
    ) async throws {
        guard acceptsChanges else { throw TaskQueueError.serviceStopped }
        try TieredTaskQueue.check(task, tierCount: tierCount)
        if let state = tracked[task.id] { throw TaskQueueError.duplicateTask(task.id, running: state == .running) }
        try await withCore { (core: inout Core) throws in
            try core.queue.recordRunning(task)
            do {
                try core.scheduler.addRunningTask(
                    RunningTask(request: task.request, hostname: hostname, ports: ports, resourceSets: resourceSets)
                )
            } catch {
                core.queue.taskEnded(task.id)
                throw error
            }
        }
        tracked[task.id] = .running
    }

    /// Replaces the queue's configuration (tiers, shares, caps, host groups) from the
    /// next iteration on.
    public func setQueueConfiguration(_ newConfiguration: TaskQueueConfiguration) async throws(TaskQueueError) {
        try await withCore { (core: inout Core) throws(TaskQueueError) in
            try core.queue.setConfiguration(newConfiguration)
        }
        tierCount = newConfiguration.tiers.count
        fullPassDue = true
        changed()
    }

    // MARK: Questions

    /// Why a task is not running yet; nil if the service holds no such queued task (it
    /// runs, was removed, or never came). Answers after the iteration in flight, if any.
    public func pendingReason(for id: TaskID) async -> PendingReason? {
        let paused = self.paused
        let now = clock.now()
        let reason = await withCore { (core: inout Core) in core.queue.pendingReason(for: id, at: now) }
        guard paused, let reason else { return reason }
        if case .notReady = reason { return reason }
        return .schedulingPaused
    }

    /// Reads the scheduler and the queue (hosts, counts, usage), after the iteration in
    /// flight, if any, with every change made so far applied.
    public func inspect<Value: Sendable>(
        _ body: @Sendable (_ scheduler: TaskScheduler, _ queue: TieredTaskQueue) -> Value
    ) async -> Value {
        await withCore { (core: inout Core) in body(core.scheduler, core.queue) }
    }

    /// Changes the scheduler directly, after the iteration in flight, if any, with every
    /// change made so far applied: what an autoscaler does between iterations (evaluate and
    /// drain the hosts it picks, forget hosts that left, re-enable hosts whose removal
    /// failed). `body` is also given the current time on the service's clock, the time
    /// disabled-until instants are judged by. It starts no iteration; one that comes anyway
    /// sees the changes.
    public func updateScheduler<Value: Sendable>(
        _ body: @Sendable (_ scheduler: inout TaskScheduler, _ now: Instant) -> Value
    ) async -> Value {
        await withCore { (core: inout Core) in body(&core.scheduler, clock.now()) }
    }

    /// Whether iterations are paused.
    public var isPaused: Bool { paused }

    // MARK: Running

    /// Stops starting iterations until `resume()`; returns once the iteration in flight,
    /// if any, has finished. Changes are still taken meanwhile.
    public func pause() async {
        paused = true
        await withCore { (_: inout Core) in }
    }

    /// Starts iterations again, beginning with one at once.
    public func resume() {
        guard paused else { return }
        paused = false
        fullPassDue = true
        wakeUpContinuation.yield()
    }

    /// Asks for an iteration over every ready task as soon as the one in flight, if any,
    /// has finished (none runs while paused: `resume()` starts one).
    public func requestIteration() {
        fullPassDue = true
        wakeUpContinuation.yield()
    }

    /// Runs iterations until the calling task is cancelled or `shutdown()` is called,
    /// starting with one at once. Throws if the service is already running or has run.
    public func run() async throws(TaskQueueError) {
        guard phase == .idle else { throw phase == .stopped ? .serviceStopped : .serviceAlreadyRunning }
        phase = .running
        await withTaskGroup(of: Void.self) { group in
            if let interval = configuration.iterationInterval {
                group.addTask { [clock] in
                    await Self.tick(every: interval, clock: clock) { await self.requestIteration() }
                }
            }
            wakeUpContinuation.yield()
            for await _ in wakeUps {
                guard phase == .running else { break }
                if paused { continue }
                await iterate()
            }
            group.cancelAll()
        }
        stop()
    }

    /// Stops the service: `run()` returns once the iteration in flight, if any, has
    /// finished and its result is delivered; `results` then finishes. Submissions and
    /// offers after this are refused.
    public func shutdown() {
        switch phase {
        case .idle: stop()
        case .running: phase = .stopping
        case .stopping, .stopped: break
        }
        wakeUpContinuation.finish()
    }

    // MARK: Internals

    /// Whether changes are still taken: not once `shutdown()` was called.
    private var acceptsChanges: Bool { phase == .idle || phase == .running }

    private func stop() {
        phase = .stopped
        wakeUpContinuation.finish()
        resultsContinuation.finish()
    }

    /// Tracks refused submissions as what the queue holds under their ids, if anything.
    private func retrack(_ rejected: [RejectedTask], queue: TieredTaskQueue) {
        for task in rejected {
            let id = task.task.id
            tracked[id] = queue.isRunning(id) ? .running : queue.queuedTask(id) != nil ? .queued : nil
        }
    }

    private func changed() {
        if configuration.iterateOnChange { wakeUpContinuation.yield() }
    }

    /// Runs one iteration off the actor, with every change so far, and delivers it.
    private func iterate() async {
        guard let taken = core.take() else { return }
        let handoff = CoreHandoff(taken)
        let batch = changes
        let leases = offeredLeases
        changes = []
        offeredLeases = []
        endedSinceApplied = []
        iterationCount += 1
        let number = iterationCount
        let untriedOnly = configuration.incrementalIterations && !fullPassDue
        fullPassDue = false
        let iteration = await withTaskExecutorPreference(iterationExecutor) {
            await Self.runIteration(
                handoff,
                changes: batch,
                leases: leases,
                untriedOnly: untriedOnly,
                number: number,
                clock: clock
            )
        }
        guard let returned = handoff.take() else { return }
        core = returned
        for placement in iteration.placements where !endedSinceApplied.contains(placement.taskID) {
            tracked[placement.taskID] = .running
        }
        retrack(iteration.rejectedTasks, queue: returned.queue)
        let waiters = coreWaiters
        coreWaiters = []
        for waiter in waiters { waiter.resume() }
        resultsContinuation.yield(iteration)
    }

    /// Applies the changes and runs the iteration; off the actor, so changes keep coming
    /// meanwhile. The core travels in `handoff` so that it is never copied.
    @concurrent
    private nonisolated static func runIteration(
        _ handoff: CoreHandoff,
        changes: [Change],
        leases: [Lease],
        untriedOnly: Bool,
        number: Int,
        clock: any ServiceClock
    ) async -> SchedulingIteration {
        let startedAt = clock.now()
        guard var core = handoff.take() else {
            // Unreachable: the actor hands the core over before calling.
            return SchedulingIteration(
                number: number,
                startedAt: startedAt,
                duration: .zero,
                scheduling: SchedulingResult(),
                placements: [],
                rejectedTasks: [],
                queuedTasks: 0,
                runningTasks: 0
            )
        }
        var rejected: [RejectedTask] = []
        for change in changes { core.apply(change, rejected: &rejected) }
        let result = core.iterate(newLeases: leases, at: startedAt, untriedOnly: untriedOnly)
        var iteration = SchedulingIteration(
            number: number,
            startedAt: startedAt,
            duration: clock.now() - startedAt,
            scheduling: result.scheduling,
            placements: result.placements,
            rejectedTasks: rejected,
            queuedTasks: core.queue.count,
            runningTasks: core.queue.runningCount
        )
        iteration.isIncremental = untriedOnly
        handoff.put(core)
        return iteration
    }

    private static func tick(
        every interval: Duration,
        clock: any ServiceClock,
        wakeUp: @Sendable () async -> Void
    ) async {
        var deadline = clock.now() + interval
        while !Task.isCancelled {
            do {
                try await clock.sleep(until: deadline)
            } catch {
                return
            }
            await wakeUp()
            deadline = deadline + interval
        }
    }

    /// Runs `body` on the core once no iteration has it, with every change so far applied.
    private func withCore<Value, Failure: Error>(
        _ body: (inout Core) throws(Failure) -> Value
    ) async throws(Failure) -> Value {
        while true {
            if var current = core.take() {
                var rejected: [RejectedTask] = []
                for change in changes { current.apply(change, rejected: &rejected) }
                changes = []
                endedSinceApplied = []
                retrack(rejected, queue: current.queue)
                defer { core = current }
                return try body(&current)
            }
            await withCheckedContinuation { coreWaiters.append($0) }
        }
    }
}

/// Carries the core between the actor and an iteration, moving it rather than copying it
/// (a copy would duplicate the queue and the host table on the first write). Only one
/// side holds the core at a time.
final class CoreHandoff: Sendable {
    private let slot: Mutex<Core?>

    init(_ core: consuming Core) { slot = Mutex(core) }

    func take() -> Core? { slot.withLock { $0.take() } }

    func put(_ core: Core) {
        slot.withLock { $0 = core }
    }
}

/// What the service owns: moved off the actor for each iteration.
struct Core: Sendable {
    var scheduler: TaskScheduler
    var queue: TieredTaskQueue

    mutating func iterate(newLeases: [Lease], at now: Instant, untriedOnly: Bool) -> QueueIterationResult {
        queue.schedule(on: &scheduler, newLeases: newLeases, at: now, untriedOnly: untriedOnly)
    }

    mutating func apply(_ change: Change, rejected: inout [RejectedTask]) {
        switch change {
        case .submit(let task, let at):
            do throws(TaskQueueError) {
                try queue.insert(task, at: at)
            } catch {
                rejected.append(RejectedTask(task: task, error: error))
            }
        case .remove(let id):
            queue.remove(id)
        case .readyAt(let id, let readyAt):
            try? queue.setReadyAt(readyAt, for: id)
        case .move(let id, let tier, let group):
            try? queue.move(id, toTier: tier, capacityGroup: group)
        case .rescind(let id):
            _ = try? scheduler.rescindLease(id)
        case .ended(let id):
            queue.remove(id)
            queue.taskEnded(id)
            _ = try? scheduler.removeRunningTask(id)
        }
    }
}

/// A change taken by the service, applied to the core in order.
enum Change: Sendable {
    case submit(QueuedTask, at: Instant)
    case remove(TaskID)
    case readyAt(TaskID, Instant?)
    case move(TaskID, tier: Int, group: CapacityGroupName)
    case rescind(LeaseID)
    case ended(TaskID)
}

private enum TrackedState: Sendable {
    case queued
    case running
}

private enum Phase: Sendable {
    case idle
    case running
    case stopping
    case stopped
}
