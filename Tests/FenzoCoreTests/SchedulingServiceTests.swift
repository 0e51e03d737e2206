import Dispatch
import FenzoCore
import Synchronization
import Testing

/// Holds the first iteration that evaluates it until the test lets it go, so a test can
/// act while an iteration is known to be running.
final class IterationGate: Sendable {
    let entered: AsyncStream<Void>
    private let enteredContinuation: AsyncStream<Void>.Continuation
    private let release = DispatchSemaphore(value: 0)
    private let state = Mutex((used: false, timedOut: false))

    init() {
        (entered, enteredContinuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    /// Whether the gate gave up waiting (the test never opened it).
    var timedOut: Bool { state.withLock { $0.timedOut } }

    func open() { release.signal() }

    /// Blocks the calling (iteration) thread the first time, until opened; a bound keeps
    /// a broken test from hanging.
    func pass() {
        let first = state.withLock { state in
            defer { state.used = true }
            return !state.used
        }
        guard first else { return }
        enteredContinuation.yield()
        if release.wait(timeout: .now() + .seconds(30)) == .timedOut {
            state.withLock { $0.timedOut = true }
        }
    }
}

struct GateConstraint: CustomConstraint {
    let gate: IterationGate
    var name: String { "gate" }
    func evaluate(_ task: TaskRequest, on host: HostView) throws -> ConstraintVerdict {
        gate.pass()
        return .accept
    }
}

/// Runs a service's iterations on a Dispatch queue of their own, so an iteration held by
/// a gate blocks that queue's thread and not one of the cooperative pool's few threads.
final class DispatchTaskExecutor: TaskExecutor {
    private let queue = DispatchQueue(label: "fenzo.test.iterations")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// A running service for one test: its clock, its results, and the task running it.
struct ServiceHarness {
    let service: SchedulingService
    let clock: ManualClock
    var results: AsyncStream<SchedulingIteration>.Iterator
    let runner: Task<Void, any Error>

    static func start(
        _ configuration: SchedulingServiceConfiguration = SchedulingServiceConfiguration(iterationInterval: nil),
        queue: TieredTaskQueue = TieredTaskQueue(),
        iterationExecutor: (any TaskExecutor)? = nil,
        before prepare: (SchedulingService) async throws -> Void = { _ in }
    ) async throws -> ServiceHarness {
        let clock = ManualClock()
        let service = try SchedulingService(
            scheduler: Fixtures.scheduler(),
            queue: queue,
            configuration: configuration,
            clock: clock,
            iterationExecutor: iterationExecutor
        )
        try await prepare(service)
        let runner = Task { try await service.run() }
        return ServiceHarness(
            service: service,
            clock: clock,
            results: service.results.makeAsyncIterator(),
            runner: runner
        )
    }

    /// The next iteration's result; fails the test if the results have finished.
    mutating func next(sourceLocation: SourceLocation = #_sourceLocation) async throws -> SchedulingIteration {
        try #require(await results.next(), "the results finished early", sourceLocation: sourceLocation)
    }

    /// Takes results until `count` tasks in all have been placed; returns what was placed.
    mutating func placements(count: Int) async throws -> [QueuedPlacement] {
        var placed: [QueuedPlacement] = []
        while placed.count < count { placed += try await next().placements }
        return placed
    }

    func stop() async throws {
        await service.shutdown()
        try await runner.value
    }
}

@Suite("Scheduling service", .timeLimit(.minutes(1)))
struct SchedulingServiceTests {
    @Test("places tasks as they are submitted and leases as they are offered")
    func placesSubmittedTasks() async throws {
        var harness = try await ServiceHarness.start { service in
            await service.offer(QueueFixtures.hosts(2, cpus: 4))
            try await service.submit((0..<4).map { QueueFixtures.queued("early\($0)") })
        }
        let first = try await harness.next()
        #expect(first.number == 1)
        #expect(Set(first.placements.map(\.taskID)) == ["early0", "early1", "early2", "early3"])
        #expect(first.scheduling.assignments.count == 1, "bin packing fills one host")

        // A bigger host comes, then a task only it can take.
        await harness.service.offer([Fixtures.lease("h9", cpus: 8)])
        try await harness.service.submit(QueueFixtures.queued("late", cpus: 6))
        let late = try await harness.placements(count: 1)
        #expect(late.map(\.taskID) == ["late"])
        #expect(late.first?.hostname == "h9")
        try await harness.stop()
    }

    @Test("tasks that arrive while an iteration runs are taken at once and placed by the next iteration")
    func placesTasksArrivingDuringAnIteration() async throws {
        let gate = IterationGate()
        var harness = try await ServiceHarness.start(iterationExecutor: DispatchTaskExecutor()) { service in
            await service.offer(QueueFixtures.hosts(2, cpus: 4))
            try await service.submit(QueueFixtures.queued("gated", hard: [.custom(GateConstraint(gate: gate))]))
        }
        var entered = gate.entered.makeAsyncIterator()
        _ = await entered.next()
        // The first iteration is held inside the scheduler now; submitting must not wait for it.
        try await harness.service.submit(QueueFixtures.queued("arrived"))
        await harness.service.offer([Fixtures.lease("h-new", cpus: 1)])
        gate.open()

        let first = try await harness.next()
        #expect(!gate.timedOut, "submit waited for the iteration in flight")
        #expect(first.placements.map(\.taskID) == ["gated"])
        let next = try await harness.placements(count: 1)
        #expect(next.map(\.taskID) == ["arrived"])
        try await harness.stop()
    }

    @Test("a task ended while the iteration in flight places it is forgotten, and its id can be used again")
    func endedDuringAnIteration() async throws {
        let gate = IterationGate()
        var harness = try await ServiceHarness.start(iterationExecutor: DispatchTaskExecutor()) { service in
            await service.offer(QueueFixtures.hosts(1))
            try await service.submit(QueueFixtures.queued("short-lived", hard: [.custom(GateConstraint(gate: gate))]))
        }
        var entered = gate.entered.makeAsyncIterator()
        _ = await entered.next()
        #expect(await harness.service.taskEnded("short-lived"))
        gate.open()

        let first = try await harness.next()
        #expect(first.placements.map(\.taskID) == ["short-lived"], "the iteration in flight still places it")
        #expect(
            await harness.service.inspect { scheduler, queue in
                scheduler.runningTask("short-lived") == nil && !queue.isRunning("short-lived")
            }
        )
        try await harness.service.submit(QueueFixtures.queued("short-lived"))
        try await harness.stop()
    }

    @Test("with iterations on an interval only, nothing runs until the interval has passed")
    func iteratesOnTheInterval() async throws {
        var harness = try await ServiceHarness.start(
            SchedulingServiceConfiguration(iterationInterval: .seconds(10), iterateOnChange: false)
        )
        let first = try await harness.next()
        #expect(first.startedAt == .zero)
        await harness.service.offer(QueueFixtures.hosts(2))
        try await harness.service.submit(QueueFixtures.queued("now"))
        try await harness.service.submit(QueueFixtures.queued("later", readyAt: .seconds(15)))

        await harness.clock.waitForSleepers(1)
        harness.clock.advance(by: .seconds(10))
        let second = try await harness.next()
        #expect(second.startedAt == .seconds(10))
        #expect(second.placements.map(\.taskID) == ["now"])
        #expect(await harness.service.pendingReason(for: "later") == .notReady(until: .seconds(15)))

        await harness.clock.waitForSleepers(1)
        harness.clock.advance(by: .seconds(10))
        let third = try await harness.next()
        #expect(third.startedAt == .seconds(20))
        #expect(third.placements.map(\.taskID) == ["later"])
        #expect(third.placements.first?.waited == .seconds(5))
        try await harness.stop()
    }

    @Test("a paused service runs no iteration and says so; resuming runs one at once")
    func pauseAndResume() async throws {
        var harness = try await ServiceHarness.start()
        let first = try await harness.next()
        #expect(first.placements.isEmpty)

        await harness.service.pause()
        #expect(await harness.service.isPaused)
        await harness.service.offer(QueueFixtures.hosts(1))
        try await harness.service.submit(QueueFixtures.queued("waiting"))
        #expect(await harness.service.pendingReason(for: "waiting") == .schedulingPaused)

        await harness.service.resume()
        let resumed = try await harness.next()
        #expect(resumed.number == 2, "an iteration ran while paused")
        #expect(resumed.placements.map(\.taskID) == ["waiting"])
        try await harness.stop()
    }

    @Test("pending reasons: waiting for an iteration, then why not placed; none once running")
    func pendingReasonsThroughTheService() async throws {
        let clock = ManualClock()
        let service = try SchedulingService(
            scheduler: Fixtures.scheduler(),
            configuration: SchedulingServiceConfiguration(iterationInterval: nil),
            clock: clock
        )
        await service.offer(QueueFixtures.hosts(1, cpus: 4))
        try await service.submit([QueueFixtures.queued("fits", cpus: 4), QueueFixtures.queued("too-big", cpus: 8)])
        #expect(await service.pendingReason(for: "fits") == .awaitingIteration)
        #expect(await service.pendingReason(for: "nobody") == nil)

        let runner = Task { try await service.run() }
        var results = service.results.makeAsyncIterator()
        _ = await results.next()
        #expect(await service.pendingReason(for: "fits") == nil)
        let tooBig = await service.pendingReason(for: "too-big")
        #expect(
            tooBig == .notPlaced([.insufficientResource(.cpus, needed: 8, mostFree: 0)]),
            "\(String(describing: tooBig))"
        )
        await service.shutdown()
        try await runner.value
    }

    @Test("an ended task frees its capacity group's cap and the next task goes")
    func endedTaskFreesTheCap() async throws {
        let tier = TierConfiguration(capacityGroups: ["batch": CapacityGroupPolicy(cap: Resources(cpus: 1))])
        var harness = try await ServiceHarness.start(queue: try QueueFixtures.queue(tiers: [tier])) { service in
            await service.offer(QueueFixtures.hosts(2))
            try await service.submit([
                QueueFixtures.queued("b1", group: "batch"), QueueFixtures.queued("b2", group: "batch"),
            ])
        }
        let first = try await harness.next()
        #expect(first.placements.map(\.taskID) == ["b1"])
        #expect(
            first.scheduling.failures.map(\.reasons) == [
                [.capacityGroupAtCap("batch", .cpus, cap: 1, used: 1, needed: 1)]
            ]
        )
        #expect(first.runningTasks == 1)

        #expect(await harness.service.taskEnded("b1"))
        let next = try await harness.placements(count: 1)
        #expect(next.map(\.taskID) == ["b2"])
        #expect(await harness.service.inspect { scheduler, _ in scheduler.runningTask("b1") == nil })
        try await harness.stop()
    }

    @Test("shutdown delivers the iteration in flight, finishes the results and refuses further changes")
    func shutdownIsClean() async throws {
        let gate = IterationGate()
        var harness = try await ServiceHarness.start(iterationExecutor: DispatchTaskExecutor()) { service in
            await service.offer(QueueFixtures.hosts(1))
            try await service.submit(QueueFixtures.queued("in-flight", hard: [.custom(GateConstraint(gate: gate))]))
        }
        var entered = gate.entered.makeAsyncIterator()
        _ = await entered.next()
        await harness.service.shutdown()
        await #expect(throws: TaskQueueError.self) { try await harness.service.submit(QueueFixtures.queued("late")) }
        gate.open()

        try await harness.runner.value
        let last = try await harness.next()
        #expect(last.placements.map(\.taskID) == ["in-flight"])
        #expect(await harness.results.next() == nil)
        await #expect(throws: TaskQueueError.self) { try await harness.service.run() }
    }

    @Test("cancelling the task that runs the service stops it and finishes the results")
    func cancellationStopsTheService() async throws {
        var harness = try await ServiceHarness.start()
        _ = try await harness.next()
        harness.runner.cancel()
        try await harness.runner.value
        #expect(await harness.results.next() == nil)
    }

    @Test("a thousand concurrent submitters lose no task")
    func concurrentSubmittersLoseNothing() async throws {
        var harness = try await ServiceHarness.start()
        _ = try await harness.next()
        let service = harness.service
        try await withThrowingTaskGroup(of: Void.self) { group in
            for submitter in 0..<1000 {
                group.addTask {
                    for index in 0..<10 {
                        try await service.submit(QueueFixtures.queued("s\(submitter)-\(index)", tier: index % 2))
                    }
                }
            }
            try await group.waitForAll()
        }
        let queued = await service.inspect { _, queue in queue.count }
        #expect(queued == 10_000)
        try await harness.stop()
    }

    @Test("incremental iterations try only new tasks until something is added to the fleet or a full pass is asked for")
    func incrementalIterationsTryOnlyNewTasks() async throws {
        var harness = try await ServiceHarness.start(
            SchedulingServiceConfiguration(iterationInterval: nil, incrementalIterations: true)
        ) { service in
            await service.offer([Fixtures.lease("h0", cpus: 4)])
            try await service.submit([QueueFixtures.queued("big", cpus: 8), QueueFixtures.queued("fits", cpus: 2)])
        }
        let first = try await harness.next()
        #expect(!first.isIncremental, "leases were offered")
        #expect(first.placements.map(\.taskID) == ["fits"])
        #expect(first.scheduling.failures.map(\.taskID) == ["big"])

        // Only a submission since: "big" is not tried again and keeps its reasons.
        try await harness.service.submit(QueueFixtures.queued("also-big", cpus: 8))
        let second = try await harness.next()
        #expect(second.isIncremental)
        #expect(second.scheduling.failures.map(\.taskID) == ["also-big"])
        #expect(second.queuedTasks == 2)
        let bigReason = await harness.service.pendingReason(for: "big")
        #expect(bigReason != .awaitingIteration && bigReason != nil)

        // A re-timed task counts as untried.
        try await harness.service.setReadyAt(nil, for: "big")
        let third = try await harness.next()
        #expect(third.isIncremental)
        #expect(third.scheduling.failures.map(\.taskID) == ["big"])

        // A requested iteration tries everything.
        await harness.service.requestIteration()
        let fourth = try await harness.next()
        #expect(!fourth.isIncremental)
        #expect(Set(fourth.scheduling.failures.map(\.taskID)) == ["big", "also-big"])

        // So does one after a lease is offered: the first in line gets the new host.
        await harness.service.offer([Fixtures.lease("h1", cpus: 8)])
        let fifth = try await harness.next()
        #expect(!fifth.isIncremental)
        #expect(fifth.placements.map(\.taskID) == ["big"])
        #expect(fifth.scheduling.failures.map(\.taskID) == ["also-big"])

        // And one after a task ends: its room may fit a waiting task.
        await harness.service.taskEnded("fits")
        let sixth = try await harness.next()
        #expect(!sixth.isIncremental)
        try await harness.stop()
    }

    @Test("without incremental iterations every iteration tries every waiting task")
    func everyIterationIsFullByDefault() async throws {
        var harness = try await ServiceHarness.start { service in
            try await service.submit(QueueFixtures.queued("first", cpus: 8))
        }
        let first = try await harness.next()
        #expect(first.scheduling.failures.map(\.taskID) == ["first"])
        try await harness.service.submit(QueueFixtures.queued("second", cpus: 8))
        let second = try await harness.next()
        #expect(!second.isIncremental)
        #expect(Set(second.scheduling.failures.map(\.taskID)) == ["first", "second"])
        try await harness.stop()
    }

    @Test("tasks already running are recorded against their host and capacity group")
    func recordsRunningTasks() async throws {
        var harness = try await ServiceHarness.start { service in
            await service.offer([Fixtures.lease("h0", cpus: 4)])
        }
        _ = try await harness.next()
        try await harness.service.recordRunning(QueueFixtures.queued("old", group: "team", cpus: 2), on: "h0")
        await #expect(throws: TaskQueueError.self) {
            try await harness.service.submit(QueueFixtures.queued("old"))
        }
        let (running, usage) = await harness.service.inspect { scheduler, queue in
            (scheduler.runningTaskCount, queue.usage(of: "team", inTier: 0))
        }
        #expect(running == 1)
        #expect(usage.cpus == 2)
        await #expect(throws: SchedulingError.self) {
            try await harness.service.disableHost("unknown", until: .seconds(5))
        }
        try await harness.stop()
    }
}
