import FenzoCore
import Foundation
import Logging
import Prometheus
import Synchronization
import TitanModel
import TitanStore

/// The heart of titan-api: owns jobs and tasks through the store, feeds the scheduling
/// service, talks to agents, applies restart policy and reconciles.
///
/// Every state change is written to the store before it is acted on: a placement is recorded
/// (with its launch order, in one transaction) before any agent can see the order; a kill is
/// recorded before the kill order is queued. What is held here in memory (the fleet's hosts
/// and runs, job specs, waiting pollers) is rebuilt from the store by ``recover()``.
///
/// Reads that need no coordination (listing jobs, tasks, events) go to the store directly;
/// this actor handles what changes state.
public actor ControlPlane {
    public nonisolated let store: any TitanStorage
    public nonisolated let metrics: ControlPlaneMetrics
    public nonisolated let configuration: ControlPlaneConfiguration
    let scheduling: any PlacementScheduling
    let logger: Logger
    let now: @Sendable () -> Date

    var jobSpecs: [JobID: JobSpec] = [:]
    var fleet: [HostID: FleetHost] = [:]
    var usage: [TaskInstanceID: TaskUsage] = [:]
    /// The pending reason last written per waiting run, so unchanged reasons are not rewritten.
    var writtenPendingReasons: [TaskInstanceID: String] = [:]
    var unwrittenPendingReasons: [PendingReasonUpdate] = []
    /// When restarts decided here fall due; the store is asked when one has, and every few
    /// seconds in any case (for restarts decided before a restart of titan-api).
    var restartsDue: [Date] = []
    var lastFullRestartCheck: Date?
    var orderWaiters: [HostID: [UUID: CheckedContinuation<Void, Never>]] = [:]
    public internal(set) var isReady = false {
        didSet { updateReadiness() }
    }
    /// Ready and not shutting down, readable without hopping onto the actor.
    nonisolated let readiness = Mutex(false)
    public private(set) var isShuttingDown = false {
        didSet { updateReadiness() }
    }
    var lastReconciliation: Date?
    /// Hosts the autoscaler removed: they may not register again under the same id.
    var retiredHosts = Set<HostID>()
    /// The autoscaler, if one runs (see ``attach(_:)``).
    nonisolated let autoscaling = Mutex<FleetAutoscaler?>(nil)
    /// New tasks on their way to the scheduling service, so a request that creates them does
    /// not wait for the scheduler (busy with an iteration) or for this actor.
    nonisolated let submissions: AsyncStream<(tasks: [TaskRecord], spec: JobSpec)>
    nonisolated let submissionsInput: AsyncStream<(tasks: [TaskRecord], spec: JobSpec)>.Continuation

    /// - Parameters:
    ///   - store: where jobs, tasks, hosts and events live.
    ///   - scheduling: the scheduling service (the one seam to FenzoCore's queue).
    ///   - configuration: intervals and grace periods.
    ///   - metrics: where to count what happens.
    ///   - logger: for what operators should see.
    ///   - now: the wall clock (injected so tests can shift it).
    public init(
        store: any TitanStorage,
        scheduling: any PlacementScheduling,
        configuration: ControlPlaneConfiguration = ControlPlaneConfiguration(),
        metrics: ControlPlaneMetrics = ControlPlaneMetrics(),
        logger: Logger = Logger(label: "titan.control-plane"),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.scheduling = scheduling
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        self.now = now
        (submissions, submissionsInput) = AsyncStream.makeStream(of: (tasks: [TaskRecord], spec: JobSpec).self)
    }

    // MARK: Background work

    /// Runs the scheduling loop and everything periodic until cancelled: placement rounds,
    /// due restarts, lost hosts, reconciliation.
    public func runBackground() async {
        await withTaskGroup(of: Void.self) { group in
            let scheduling = self.scheduling
            group.addTask { await scheduling.run() }
            group.addTask { await self.consumeRounds() }
            group.addTask {
                for await submission in self.submissions {
                    await self.accept(submission.tasks, spec: submission.spec)
                }
            }
            group.addTask { await self.every(self.configuration.restartCheckInterval) { await $0.startDueRestarts() } }
            group.addTask {
                await self.every(self.configuration.heartbeatInterval / 2) { await $0.markSilentHostsLost() }
            }
            group.addTask { await self.every(self.configuration.reconcileInterval) { await $0.reconcile() } }
            group.addTask { await self.every(.milliseconds(500)) { await $0.flushPendingReasons() } }
            await group.waitForAll()
        }
    }

    /// Runs `autoscaler` beside the scheduling: it hears every iteration's outcome from now on.
    /// Its own loop (`FleetAutoscaler.run()`) is run by the caller.
    public nonisolated func attach(_ autoscaler: FleetAutoscaler) {
        autoscaling.withLock { $0 = autoscaler }
    }

    /// What `GET /v1/status` shows of the autoscaler: off unless one is attached.
    public nonisolated var autoscalerStatus: AutoscalerStatus {
        autoscaling.withLock { $0 }?.status ?? AutoscalerStatus(enabled: false, actions: [])
    }

    private func updateReadiness() {
        let value = isReady && !isShuttingDown
        readiness.withLock { $0 = value }
    }

    /// Stops serving pollers (they return at once) before the server drains its connections.
    public func beginShutdown() {
        isShuttingDown = true
        for waiters in orderWaiters.values { for waiter in waiters.values { waiter.resume() } }
        orderWaiters = [:]
    }

    private nonisolated func every(_ interval: Duration, _ work: @Sendable (ControlPlane) async -> Void) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if Task.isCancelled { return }
            await work(self)
        }
    }

    private nonisolated func consumeRounds() async {
        for await round in scheduling.rounds {
            await handle(round)
        }
    }

    // MARK: Jobs

    /// Stores a validated job and queues its tasks. A repeat with the same client token and
    /// spec returns the first job (`created == false`).
    ///
    /// Returns once the job is committed; its tasks reach the scheduler right after, without
    /// the caller waiting for an iteration in progress.
    public nonisolated func createJob(_ spec: JobSpec, clientToken: String?) async throws -> JobCreation {
        try await requireReadyState()
        let creation = try await store.createJob(spec, id: nil, clientToken: clientToken, now: now())
        guard creation.created else { return creation }
        metrics.jobsCreated.increment()
        submissionsInput.yield((creation.tasks, spec))
        return creation
    }

    /// Queues new tasks of a job (from ``createJob(_:clientToken:)``).
    private func accept(_ tasks: [TaskRecord], spec: JobSpec) async {
        if let jobID = tasks.first?.jobID { jobSpecs[jobID] = spec }
        await submit(tasks, spec: spec)
    }

    /// Scales a service to `count` instances: new tasks are queued, removed ones killed.
    public func scaleJob(_ jobID: JobID, to count: Int) async throws -> JobRecord {
        try requireReady()
        let outcome = try await store.updateDesiredInstances(jobID: jobID, count: count, now: now())
        jobSpecs[jobID] = outcome.job.spec
        await submit(outcome.added, spec: outcome.job.spec)
        await kill(outcome.toKill, reason: "job scaled down")
        return outcome.job
    }

    /// Kills a job: waiting tasks finish at once, running ones get kill orders.
    public func killJob(_ jobID: JobID) async throws -> JobRecord {
        try requireReady()
        let outcome = try await store.markJobKilled(jobID: jobID, now: now())
        await scheduling.withdrawGroup(TaskGroup(jobID.rawValue))
        await kill(outcome.toKill, reason: "job killed")
        return outcome.job
    }

    /// Kills one task for good (no restart).
    public func killTask(_ taskID: TaskInstanceID) async throws -> TaskRecord {
        try requireReady()
        let before = try await store.task(id: taskID)
        let task = try await store.markTaskKilled(id: taskID, now: now())
        if let before, before.state == .accepted {
            await scheduling.withdraw([RunKey(taskID: taskID, attempt: before.attempt).schedulerID])
        }
        if task.killRequested, task.state.isOnHost {
            await kill([task], reason: "killed on request")
        }
        return try await store.task(id: taskID) ?? task
    }

    /// The latest usage an agent reported for the task's current run.
    public func latestUsage(of taskID: TaskInstanceID) -> TaskUsage? { usage[taskID] }

    /// How many believed runs each host has.
    public func runCounts() -> [HostID: Int] { fleet.mapValues(\.runs.count) }

    nonisolated func requireReadyState() async throws(ControlPlaneError) {
        if !readiness.withLock({ $0 }) {
            throw ControlPlaneError(
                .notReady,
                "titan-api is still recovering its state or shutting down; retry shortly"
            )
        }
    }

    func requireReady() throws(ControlPlaneError) {
        if isShuttingDown { throw ControlPlaneError(.notReady, "titan-api is shutting down") }
        if !isReady { throw ControlPlaneError(.notReady, "titan-api is still recovering its state; retry shortly") }
    }

    /// Queues the current attempt of each task for placement.
    func submit(_ tasks: [TaskRecord], spec: JobSpec) async {
        let queued = tasks.filter { $0.state == .accepted && !$0.killRequested }.map { task in
            PlacementRequests.queued(
                RunKey(taskID: task.id, attempt: task.attempt),
                jobID: task.jobID,
                cell: task.cell,
                spec: spec
            )
        }
        await scheduling.submit(queued)
    }

    /// Queues kill orders for runs on hosts and moves them to `killInitiated`. Their kill was
    /// already recorded (`killRequested`); heartbeats repeat it if an order is ever lost.
    func kill(_ tasks: [TaskRecord], reason: String) async {
        let onHosts = tasks.filter { $0.host != nil && $0.state.isOnHost }
        guard !onHosts.isEmpty else { return }
        let orders = onHosts.compactMap { task in
            task.host.map {
                NewAgentOrder(
                    hostID: $0,
                    kind: .kill,
                    taskID: task.id,
                    attempt: task.attempt,
                    gracePeriodSeconds: configuration.killGracePeriod.timeInterval,
                    reason: reason
                )
            }
        }
        do {
            _ = try await store.queueOrders(orders, at: now())
        } catch {
            logger.error("Could not queue kill orders", metadata: ["error": "\(error)"])
        }
        for task in onHosts {
            if let host = task.host, var run = fleet[host]?.runs[task.id], run.attempt == task.attempt {
                run.killRequested = true
                fleet[host]?.runs[task.id] = run
            }
            if task.state != .killInitiated {
                _ = try? await store.recordTransition(
                    TaskTransition(
                        taskID: task.id,
                        attempt: task.attempt,
                        from: task.state,
                        to: .killInitiated,
                        message: reason,
                        at: now()
                    )
                )
                if let host = task.host, fleet[host]?.runs[task.id]?.attempt == task.attempt {
                    fleet[host]?.runs[task.id]?.state = .killInitiated
                }
            }
        }
        for host in Set(onHosts.compactMap(\.host)) { signalOrders(host) }
    }

    // MARK: Placement rounds

    /// Records a round's placements (with their launch orders) and pending reasons.
    func handle(_ round: PlacementRound) async {
        metrics.iterations.increment()
        metrics.iterationDuration.record(round.duration)
        metrics.pendingTasks.set(to: Double(round.waitingTasks))
        autoscaling.withLock { $0 }?.note(round)
        var assignments: [TitanStore.TaskAssignment] = []
        var placedRuns: [RunKey] = []
        for placement in round.placements {
            guard let run = RunKey(placement.taskID), let jobID = run.taskID.parts?.job else { continue }
            let host = HostID(placement.hostname.rawValue)
            // Believed before the store write, so an agent poll that sees the committed order
            // finds the run.
            fleet[host]?.runs[run.taskID] = BelievedRun(
                jobID: jobID,
                attempt: run.attempt,
                state: .launched,
                ports: placement.ports,
                killRequested: false
            )
            assignments.append(
                TitanStore.TaskAssignment(taskID: run.taskID, attempt: run.attempt, host: host, ports: placement.ports)
            )
            placedRuns.append(run)
            writtenPendingReasons[run.taskID] = nil
        }
        if !assignments.isEmpty {
            await recordAssignments(assignments)
        }
        await writePendingReasons(round.failures)
    }

    private func recordAssignments(_ assignments: [TitanStore.TaskAssignment]) async {
        let outcome: AssignmentOutcome
        do {
            outcome = try await store.assignTasks(assignments, at: now(), queueLaunchOrders: true)
        } catch {
            logger.error("Could not record placements; queueing the tasks again", metadata: ["error": "\(error)"])
            for assignment in assignments {
                fleet[assignment.host]?.runs[assignment.taskID] = nil
            }
            let runs = assignments.map { RunKey(taskID: $0.taskID, attempt: $0.attempt) }
            await scheduling.runsEnded(runs.map(\.schedulerID))
            await requeue(runs)
            return
        }
        metrics.tasksPlaced.increment(by: Int64(outcome.assigned.count))
        for refused in outcome.refused {
            let run = RunKey(taskID: refused.assignment.taskID, attempt: refused.assignment.attempt)
            if fleet[refused.assignment.host]?.runs[run.taskID]?.attempt == run.attempt {
                fleet[refused.assignment.host]?.runs[run.taskID] = nil
            }
            await scheduling.runsEnded([run.schedulerID])
        }
        for order in outcome.launchOrders {
            fleet[order.order.hostID]?.unacknowledgedLaunches[order.seq] = RunKey(
                taskID: order.order.taskID,
                attempt: order.order.attempt
            )
        }
        var lostMeanwhile: [(RunKey, HostID)] = []
        for task in outcome.assigned {
            guard let host = task.host else { continue }
            if fleet[host]?.isUp != true {
                lostMeanwhile.append((RunKey(taskID: task.id, attempt: task.attempt), host))
            }
        }
        for host in Set(outcome.assigned.compactMap(\.host)) { signalOrders(host) }
        for (run, host) in lostMeanwhile {
            await finishRun(run, on: host, reason: .lost, message: "host \(host) was lost as the task was placed")
        }
    }

    /// Queues runs again whose placement could not be recorded, if the store still has them waiting.
    private func requeue(_ runs: [RunKey]) async {
        for run in runs {
            guard let task = try? await store.task(id: run.taskID), task.attempt == run.attempt,
                task.state == .accepted, let spec = await spec(of: task.jobID)
            else { continue }
            await submit([task], spec: spec)
        }
    }

    private func writePendingReasons(_ failures: [TaskFailure]) async {
        var updates: [PendingReasonUpdate] = []
        // Tasks of one shape fail for the same reasons: word each distinct set once.
        var worded: [[FailureReason]: String] = [:]
        for failure in failures {
            guard let run = RunKey(failure.taskID) else { continue }
            let reason: String
            if let known = worded[failure.reasons] {
                reason = known
            } else {
                reason = failure.reasons.map(\.description).joined(separator: "; ")
                worded[failure.reasons] = reason
            }
            if writtenPendingReasons[run.taskID] != reason {
                writtenPendingReasons[run.taskID] = reason
                updates.append(PendingReasonUpdate(taskID: run.taskID, reason: reason))
            }
        }
        unwrittenPendingReasons += updates
    }

    /// Writes the pending reasons gathered since the last call, in one transaction: reasons
    /// reach the store within half a second, and a stream of small iterations does not
    /// become a stream of small write transactions competing with job creation.
    func flushPendingReasons() async {
        guard !unwrittenPendingReasons.isEmpty else { return }
        let updates = unwrittenPendingReasons
        unwrittenPendingReasons = []
        do {
            _ = try await store.setPendingReasons(updates)
        } catch {
            logger.warning("Could not write pending reasons", metadata: ["error": "\(error)"])
        }
    }

    /// The job's spec, from memory or the store.
    func spec(of jobID: JobID) async -> JobSpec? {
        if let spec = jobSpecs[jobID] { return spec }
        guard let job = try? await store.job(id: jobID) else { return nil }
        jobSpecs[jobID] = job.spec
        return job.spec
    }

    // MARK: Restarts

    /// Starts the next attempt of every task whose restart is due and queues it.
    func startDueRestarts() async {
        guard isReady, !isShuttingDown else { return }
        let at = now()
        let anyDue = restartsDue.contains { $0 <= at }
        let fullCheckDue = lastFullRestartCheck.map { at.timeIntervalSince($0) >= 5 } ?? true
        guard anyDue || fullCheckDue else { return }
        restartsDue.removeAll { $0 <= at }
        if fullCheckDue { lastFullRestartCheck = at }
        while true {
            let restarted: [TaskRecord]
            do {
                restarted = try await store.restartDueTasks(now: now(), limit: 5000)
            } catch {
                logger.error("Could not start due restarts", metadata: ["error": "\(error)"])
                return
            }
            guard !restarted.isEmpty else { return }
            metrics.tasksRestarted.increment(by: Int64(restarted.count))
            for (jobID, tasks) in Dictionary(grouping: restarted, by: \.jobID) {
                guard let spec = await spec(of: jobID) else { continue }
                await submit(tasks, spec: spec)
            }
            if restarted.count < 5000 { return }
        }
    }

    // MARK: Ending runs

    /// Finishes a run on a host (lost, or killed because nobody wants it) if the store still
    /// has that attempt live, then forgets it. Restart policy applies through the store.
    func finishRun(_ run: RunKey, on host: HostID, reason: FinishReason, message: String) async {
        for _ in 0..<3 {
            guard let task = try? await store.task(id: run.taskID), task.attempt == run.attempt,
                task.state.isOnHost, task.host == host
            else { break }
            do {
                let outcome = try await store.recordTransition(
                    TaskTransition(
                        taskID: run.taskID,
                        attempt: run.attempt,
                        from: task.state,
                        to: .finished,
                        finishReason: reason,
                        message: message,
                        at: now()
                    )
                )
                if reason == .lost { metrics.tasksLost.increment() }
                noteRestart(outcome)
                logger.info(
                    "Run finished by the control plane",
                    metadata: ["task.id": "\(run.taskID)", "task.attempt": "\(run.attempt)", "reason": "\(reason)"]
                )
                break
            } catch let error as StoreError where error.code == .transitionConflict {
                continue
            } catch {
                logger.error("Could not finish run", metadata: ["task.id": "\(run.taskID)", "error": "\(error)"])
                break
            }
        }
        await forget(run, on: host)
    }

    /// Remembers when a restart the store decided falls due.
    func noteRestart(_ outcome: TransitionOutcome) {
        if let due = outcome.task.nextRestartAt { restartsDue.append(due) }
    }

    /// Forgets a run that ended: it no longer counts against its host.
    func forget(_ run: RunKey, on host: HostID) async {
        if fleet[host]?.runs[run.taskID]?.attempt == run.attempt {
            fleet[host]?.runs[run.taskID] = nil
        }
        fleet[host]?.missingSince[run] = nil
        if let pending = fleet[host]?.unacknowledgedLaunches.filter({ $0.value == run }).map(\.key), !pending.isEmpty {
            for seq in pending { fleet[host]?.unacknowledgedLaunches[seq] = nil }
            try? await store.cancelOrders(pending)
        }
        if usage[run.taskID]?.attempt == run.attempt {
            usage[run.taskID] = nil
            metrics.forgetUsage(of: run.taskID)
        }
        await scheduling.runsEnded([run.schedulerID])
    }

    // MARK: Order waiters

    func signalOrders(_ host: HostID) {
        guard let waiters = orderWaiters.removeValue(forKey: host) else { return }
        for waiter in waiters.values { waiter.resume() }
    }

    func waitForOrders(_ host: HostID, timeout: Duration) async {
        guard !isShuttingDown else { return }
        let id = UUID()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            orderWaiters[host, default: [:]][id] = continuation
            Task {
                try? await Task.sleep(for: timeout)
                self.stopWaiting(host, id)
            }
        }
    }

    private func stopWaiting(_ host: HostID, _ id: UUID) {
        orderWaiters[host]?.removeValue(forKey: id)?.resume()
    }
}
