import Foundation
import Logging
import ServiceLifecycle
import TitanModel

/// What the supervisor needs to know about its host.
public struct SupervisorConfiguration: Sendable {
    public var agentID: HostID
    /// The agent's attributes (`zone`, `instanceType`, …), shown to tasks through metadata.
    public var attributes: [String: String]
    /// `<work dir>/runs`, `<work dir>/logs` and the status journal live here.
    public var workDirectory: String
    /// The address tasks reach the metadata endpoint at, such as `http://127.0.0.1:7071`.
    public var metadataBaseURL: String
    /// The grace period of kills the API does not give one for (heartbeat kill directives).
    public var defaultKillGracePeriod: Duration
    /// How long a finished run's record is kept (so a re-sent order for it is recognised).
    public var finishedRunRetention: Duration
    /// How often finished runs are pruned and failed archives retried.
    public var maintenanceInterval: Duration
    /// Whether a graceful shutdown stops every run (and reports it killed) before the agent
    /// exits. Off by default: runs outlive the agent and the next one recovers them. The local
    /// Titan of `scripts/titan-local` turns it on, so Ctrl-C leaves nothing running.
    public var stopsRunsOnShutdown: Bool

    public init(
        agentID: HostID,
        attributes: [String: String] = [:],
        workDirectory: String,
        metadataBaseURL: String,
        defaultKillGracePeriod: Duration = .seconds(10),
        finishedRunRetention: Duration = .seconds(3600),
        maintenanceInterval: Duration = .seconds(60),
        stopsRunsOnShutdown: Bool = false
    ) {
        self.agentID = agentID
        self.attributes = attributes
        self.workDirectory = workDirectory
        self.metadataBaseURL = metadataBaseURL
        self.defaultKillGracePeriod = defaultKillGracePeriod
        self.finishedRunRetention = finishedRunRetention
        self.maintenanceInterval = maintenanceInterval
        self.stopsRunsOnShutdown = stopsRunsOnShutdown
    }
}

/// Runs what the API orders and reports what happens to it.
///
/// For each run: a record on disk before anything else (so an order is carried out once, even
/// across restarts), `startInitiated` in the status journal, the start through the run's
/// runtime, `started`, then a wait for its end while its output is captured and its simulated
/// duration (if any) is timed, and `finished` with the reason ``RunOutcome/decide(exit:killReason:durationElapsed:memoryLimitMB:)``
/// gives. Finished runs' logs go to the archive and their container or cgroup is released.
///
/// ``recover()`` runs before everything else after a start: it finds every recorded run again
/// through its runtime, takes running ones back under supervision, and reports those that ended
/// or vanished while the agent was away. ``run()`` hosts the per-run work as child tasks; when
/// it is cancelled (agent shutdown) runs are left running for the next agent to recover.
public actor TaskSupervisor: Service {
    private struct LiveRun {
        var record: RunRecord
        var state: TaskState
        var durationElapsed = false
        var previousSample: (cpuNanoseconds: UInt64, at: ContinuousClock.Instant)?
        var usage: TaskUsage?
    }

    /// Work items, each run as a task of its own. A run's life is split into short tasks
    /// (start, conclude) around one long one (watch) whose async frames are small: a task keeps
    /// the largest frame it ever used until it ends, and 200 waiting runs add up.
    private enum Work: Sendable {
        /// Start a new run (nil presence) or take a recovered one back.
        case start(RunKey, RunPresence?)
        /// Wait for a started run to end (or report an end already known).
        case watch(RunKey, RunExit?)
        /// Report how the run ended and clean up.
        case conclude(RunKey, RunExit)
        case stop(RunKey, Duration)
    }

    public nonisolated let configuration: SupervisorConfiguration
    public nonisolated let records: RunRecordStore
    public nonisolated let logs: TaskLogStore
    public nonisolated let journal: StatusJournal
    public nonisolated let archive: (any LogArchive)?
    private let runtimes: [RuntimeKind: any TaskRuntime]
    private let logger: Logger
    private let now: @Sendable () -> Date

    private var runs: [RunKey: LiveRun] = [:]
    /// Runs reported finished whose clean-up (container removal, log archive) is under way.
    private var concluding = 0
    private var runsByToken: [String: RunKey] = [:]
    private let work: AsyncStream<Work>
    private let workContinuation: AsyncStream<Work>.Continuation
    /// Runs waiting for their start, for the benchmark and tests: continuations resumed at `started`.
    private var startWaiters: [RunKey: [CheckedContinuation<Void, Never>]] = [:]

    public init(
        configuration: SupervisorConfiguration,
        runtimes: [any TaskRuntime],
        journal: StatusJournal,
        archive: (any LogArchive)?,
        logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.configuration = configuration
        self.records = RunRecordStore(directory: configuration.workDirectory + "/runs")
        self.logs = TaskLogStore(root: configuration.workDirectory + "/logs")
        self.journal = journal
        self.archive = archive
        var byKind: [RuntimeKind: any TaskRuntime] = [:]
        for runtime in runtimes { byKind[runtime.kind] = runtime }
        self.runtimes = byKind
        self.logger = logger
        self.now = now
        (work, workContinuation) = AsyncStream.makeStream(of: Work.self)
    }

    /// The runtime kinds this agent has.
    public nonisolated var runtimeKinds: Set<RuntimeKind> { Set(runtimes.keys) }

    // MARK: Orders

    /// Whether a launch order was carried out now or had been before.
    public enum LaunchAcceptance: Hashable, Sendable {
        case accepted
        case alreadyKnown
        case refused(String)
    }

    /// Carries out a launch order: records the run, reports `startInitiated` and queues its start.
    /// Returns once that is durable; a launch of a run the agent already has does nothing.
    @discardableResult
    public func launch(taskID: TaskInstanceID, attempt: Int, spec: LaunchSpec) -> LaunchAcceptance {
        let key = RunKey(taskID: taskID, attempt: attempt)
        if runs[key] != nil || records.contains(key) { return .alreadyKnown }
        if let reason = key.unusableReason {
            reportFinished(key, RunOutcome(reason: .failed, exitCode: nil, message: reason))
            return .refused(reason)
        }
        let kind: RuntimeKind = spec.image.map { !$0.isEmpty } == true ? .docker : .process
        var record = RunRecord(
            key: key,
            launch: spec,
            runtime: kind,
            runDirectory: records.runDirectory(key),
            logDirectory: logs.directory(key),
            metadataToken: Self.makeToken(),
            acceptedAt: now()
        )
        guard runtimes[kind] != nil else {
            let reason =
                kind == .docker
                ? "this host runs no Docker engine the agent can reach, so it cannot run image \(spec.image ?? "")"
                : "this agent does not run processes"
            record.finish = RecordedFinish(reason: .failed, exitCode: nil, message: reason, at: now())
            try? records.save(record)
            reportFinished(key, RunOutcome(reason: .failed, exitCode: nil, message: reason))
            return .refused(reason)
        }
        do {
            try logs.prepare(key)
            try records.save(record)
        } catch {
            reportFinished(key, RunOutcome(reason: .failed, exitCode: nil, message: error.message))
            return .refused(error.message)
        }
        report(AgentStatusUpdate(taskID: taskID, attempt: attempt, state: .startInitiated, at: now()))
        runs[key] = LiveRun(record: record, state: .startInitiated)
        runsByToken[record.metadataToken] = key
        workContinuation.yield(.start(key, nil))
        return .accepted
    }

    /// Carries out a kill: SIGTERM, SIGKILL after the grace period, then `finished`/`killed`.
    /// A run the agent never had is reported killed at once, so the API can close it.
    public func kill(taskID: TaskInstanceID, attempt: Int, gracePeriod: Duration?, reason: String) {
        let key = RunKey(taskID: taskID, attempt: attempt)
        if var run = runs[key] {
            guard run.record.killReason == nil else { return }
            let grace = gracePeriod ?? configuration.defaultKillGracePeriod
            run.record.killReason = reason
            run.record.killGracePeriodSeconds =
                Double(grace.components.seconds) + Double(grace.components.attoseconds) / 1e18
            runs[key] = run
            try? records.save(run.record)
            // A run still starting is stopped by its supervision once it has started.
            if run.state == .started {
                workContinuation.yield(.stop(key, grace))
            }
            return
        }
        if records.contains(key) { return }
        reportFinished(
            key,
            RunOutcome(reason: .killed, exitCode: nil, message: "killed: \(reason) (it was not running on this host)")
        )
    }

    // MARK: Supervision

    public func run() async throws {
        if configuration.stopsRunsOnShutdown {
            // Shutdown stops the runs first (``stopAllRuns()``), then ends the work stream.
            await superviseAll(stoppingRunsOnShutdown: true)
        } else {
            await cancelWhenGracefulShutdown {
                await self.superviseAll(stoppingRunsOnShutdown: false)
            }
        }
    }

    private func superviseAll(stoppingRunsOnShutdown: Bool) async {
        await withDiscardingTaskGroup { group in
            for runtime in runtimes.values {
                group.addTask { await runtime.run() }
            }
            group.addTask { await self.maintain() }
            if stoppingRunsOnShutdown {
                group.addTask {
                    // Throws only when cancelled, and then the group is going away anyway.
                    guard (try? await gracefulShutdown()) != nil else { return }
                    await self.stopAllRuns()
                }
            }
            for await item in work {
                switch item {
                case .start(let key, let presence):
                    group.addTask { await self.startRun(key, presence: presence) }
                case .watch(let key, let knownExit):
                    group.addTask { await self.watchRun(key, knownExit: knownExit) }
                case .conclude(let key, let exit):
                    group.addTask { await self.conclude(key, exit) }
                case .stop(let key, let gracePeriod):
                    group.addTask { await self.stop(key, gracePeriod: gracePeriod) }
                }
            }
            group.cancelAll()
        }
    }

    /// Kills every run (each with its own or the default grace period), waits until all are
    /// reported and cleaned up, then ends supervision.
    private func stopAllRuns() async {
        logger.info("Stopping every run before the agent exits", metadata: ["runs": "\(runs.count)"])
        for (key, run) in runs {
            kill(taskID: key.taskID, attempt: key.attempt, gracePeriod: nil, reason: "the agent is shutting down")
            if run.record.killReason != nil, run.state == .started {
                // Asked to die before: stop it again, the earlier stop may have been interrupted.
                workContinuation.yield(.stop(key, killGracePeriod(run.record)))
            }
        }
        let longestGrace = runs.values.map { killGracePeriod($0.record) }.max() ?? .zero
        let deadline = ContinuousClock.now + longestGrace + .seconds(15)
        while !runs.isEmpty || concluding > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if !runs.isEmpty {
            logger.warning("Runs still stopping when the agent exits", metadata: ["runs": "\(runs.count)"])
        }
        workContinuation.finish()
    }

    private enum RunEvent: Sendable {
        case exited(RunExit)
        case outputEnded
        case durationElapsed
        case stopped
        case outputDeadline
    }

    /// Starts a run (or takes a recovered one back), reports `started`, and hands it to a
    /// watching task.
    private func startRun(_ key: RunKey, presence: RunPresence?) async {
        guard let run = runs[key], let runtime = runtimes[run.record.runtime] else { return }
        let record = run.record
        var knownExit: RunExit?
        switch presence {
        case nil:
            if record.killReason != nil {
                finish(key, RunOutcome(reason: .killed, exitCode: nil, message: "killed before it started"))
                return
            }
            let descriptor = RunDescriptor(
                key: key,
                launch: record.launch,
                environment: RunEnvironment.variables(
                    key: key,
                    launch: record.launch,
                    metadataURL: metadataURL(token: record.metadataToken),
                    logDirectory: record.runtime == .docker
                        ? TaskLogStore.containerFilesPath : logs.filesDirectory(key),
                    hostID: configuration.agentID
                ),
                runDirectory: record.runDirectory,
                logDirectory: record.logDirectory,
                taskFilesDirectory: logs.filesDirectory(key),
                metadataToken: record.metadataToken
            )
            do {
                let started = try await runtime.start(descriptor)
                recordStart(key, started)
            } catch {
                finish(key, RunOutcome(reason: .failed, exitCode: nil, message: error.message))
                return
            }
        case .running(let started):
            recordStart(key, started)
        case .exited(let exit):
            knownExit = exit
        case .missing(let reason):
            finish(
                key,
                record.killReason.map { RunOutcome(reason: .killed, exitCode: nil, message: "killed: \($0)") }
                    ?? RunOutcome(reason: .lost, exitCode: nil, message: reason)
            )
            // What is left of it (a cgroup, logs to archive) goes as for any other end.
            await cleanUp(key)
            return
        }
        if let current = runs[key]?.record, current.killReason != nil, knownExit == nil {
            // Asked to die while starting.
            workContinuation.yield(.stop(key, killGracePeriod(current)))
        }
        workContinuation.yield(.watch(key, knownExit))
    }

    /// Waits for a started run to end; long-lived, so it keeps its frames small.
    private func watchRun(_ key: RunKey, knownExit: RunExit?) async {
        guard let exit = await awaitEnd(key, knownExit: knownExit) else { return }
        // The agent is shutting down: the run goes on, and the next agent picks it up.
        if Task.isCancelled { return }
        workContinuation.yield(.conclude(key, exit))
    }

    private func awaitEnd(_ key: RunKey, knownExit: RunExit?) async -> RunExit? {
        guard let record = runs[key]?.record, let runtime = runtimes[record.runtime] else { return nil }
        let duration = record.launch.durationSeconds.flatMap { $0 > 0 ? Duration.milliseconds(Int64($0 * 1000)) : nil }
        if let duration, knownExit == nil {
            return await watch(record, runtime: runtime, knownExit: knownExit, duration: duration)
        }
        // The common cases need no child tasks: captured output ends once the run has ended
        // (``TaskRuntime/captureOutput(_:logDirectory:)``), and the exit is asked for after it.
        if runtime.capturesOutput {
            await runtime.captureOutput(record, logDirectory: record.logDirectory)
            if Task.isCancelled { return nil }
        }
        if let knownExit { return knownExit }
        return await runtime.waitForExit(record)
    }

    /// Reports how a run ended and frees what it held.
    private func conclude(_ key: RunKey, _ exit: RunExit) async {
        guard let current = runs[key] else { return }
        concluding += 1
        defer { concluding -= 1 }
        let outcome = RunOutcome.decide(
            exit: exit,
            killReason: current.record.killReason,
            durationElapsed: current.durationElapsed,
            memoryLimitMB: current.record.launch.memoryMB
        )
        finish(key, outcome)
        await cleanUp(key)
    }

    /// Waits for a run's end while its output is captured and its set duration timed (the
    /// duration's timer needs tasks of its own).
    private func watch(
        _ record: RunRecord,
        runtime: any TaskRuntime,
        knownExit: RunExit?,
        duration: Duration?
    ) async -> RunExit? {
        let key = record.key
        let startedAt = record.startedAt ?? now()
        return await withTaskGroup(of: RunEvent.self) { group in
            if runtime.capturesOutput {
                group.addTask {
                    await runtime.captureOutput(record, logDirectory: record.logDirectory)
                    return .outputEnded
                }
            }
            var outputEnded = !runtime.capturesOutput
            if let knownExit {
                group.addTask { .exited(knownExit) }
            } else {
                group.addTask { .exited(await runtime.waitForExit(record)) }
                if let duration {
                    let remaining = duration - .seconds(max(0, now().timeIntervalSince(startedAt)))
                    group.addTask {
                        try? await Task.sleep(for: max(.zero, remaining))
                        return .durationElapsed
                    }
                }
            }
            var exit: RunExit?
            while let event = await group.next() {
                switch event {
                case .exited(let ended):
                    exit = ended
                    if outputEnded {
                        group.cancelAll()
                    } else {
                        // Output still flowing gets a few seconds to drain after the end.
                        group.addTask {
                            try? await Task.sleep(for: .seconds(5))
                            return .outputDeadline
                        }
                    }
                case .outputEnded:
                    outputEnded = true
                    if exit != nil { group.cancelAll() }
                case .durationElapsed:
                    if exit == nil && !Task.isCancelled {
                        markDurationElapsed(key)
                        group.addTask {
                            await runtime.stop(record, gracePeriod: .seconds(10))
                            return .stopped
                        }
                    }
                case .stopped:
                    break
                case .outputDeadline:
                    group.cancelAll()
                }
            }
            return exit
        }
    }

    private func markDurationElapsed(_ key: RunKey) {
        runs[key]?.durationElapsed = true
    }

    /// Stores what the runtime reported at start and reports `started` (once).
    private func recordStart(_ key: RunKey, _ started: StartedRun) {
        guard var run = runs[key] else { return }
        let firstReport = run.record.startedAt == nil
        run.record.containerID = started.containerID ?? run.record.containerID
        run.record.process = started.process ?? run.record.process
        run.record.cgroup = started.cgroup ?? run.record.cgroup
        run.record.startedAt = run.record.startedAt ?? started.startedAt
        for note in started.notes where !run.record.notes.contains(note) { run.record.notes.append(note) }
        run.state = .started
        runs[key] = run
        do {
            // Not synced: an agent crash leaves it in the page cache; a host crash ends the run anyway.
            try records.save(run.record, sync: false)
        } catch {
            logger.error("Cannot save run record", metadata: ["task.run": "\(key)", "error": "\(error)"])
        }
        if firstReport {
            report(
                AgentStatusUpdate(
                    taskID: key.taskID,
                    attempt: key.attempt,
                    state: .started,
                    message: run.record.notes.isEmpty ? nil : run.record.notes.joined(separator: "; "),
                    at: started.startedAt
                )
            )
            for note in started.notes {
                logger.warning("Run started with a caveat", metadata: ["task.run": "\(key)", "note": "\(note)"])
            }
        }
        for waiter in startWaiters.removeValue(forKey: key) ?? [] { waiter.resume() }
    }

    /// The grace period of the run's requested kill.
    private func killGracePeriod(_ record: RunRecord) -> Duration {
        record.killGracePeriodSeconds.map { .milliseconds(Int64($0 * 1000)) } ?? configuration.defaultKillGracePeriod
    }

    private func stop(_ key: RunKey, gracePeriod: Duration) async {
        guard let run = runs[key], let runtime = runtimes[run.record.runtime] else { return }
        await runtime.stop(run.record, gracePeriod: gracePeriod)
    }

    /// Reports a run's end and keeps it in the record; the run leaves supervision.
    private func finish(_ key: RunKey, _ outcome: RunOutcome) {
        let at = now()
        reportFinished(key, outcome, at: at)
        for waiter in startWaiters.removeValue(forKey: key) ?? [] { waiter.resume() }
        guard var run = runs.removeValue(forKey: key) else { return }
        runsByToken[run.record.metadataToken] = nil
        run.record.finish = RecordedFinish(
            reason: outcome.reason,
            exitCode: outcome.exitCode,
            message: outcome.message,
            at: at
        )
        do {
            try records.save(run.record)
        } catch {
            logger.error("Cannot save run record", metadata: ["task.run": "\(key)", "error": "\(error)"])
        }
        logger.info(
            "Run finished",
            metadata: [
                "task.run": "\(key)", "reason": "\(outcome.reason)",
                "exit.code": "\(outcome.exitCode.map(String.init) ?? "-")",
            ]
        )
    }

    /// Archives a finished run's logs and frees what the runtime held for it.
    private func cleanUp(_ key: RunKey) async {
        guard var record = try? records.load(key) else { return }
        if let runtime = runtimes[record.runtime] { await runtime.release(record) }
        if !record.logsArchived, await archiveLogs(record) {
            record.logsArchived = true
            try? records.save(record)
        }
    }

    /// Hands a run's log files to the archive and deletes the local copy; false if it failed.
    private func archiveLogs(_ record: RunRecord) async -> Bool {
        guard let archive else { return false }
        let files = logs.files(record.key)
        do {
            try await archive.archive(taskID: record.key.taskID, attempt: record.key.attempt, files: files)
        } catch {
            logger.warning(
                "Cannot archive logs; will retry",
                metadata: ["task.run": "\(record.key)", "error": "\(error)"]
            )
            return false
        }
        logs.remove(record.key)
        return true
    }

    private func report(_ update: AgentStatusUpdate) {
        do {
            try journal.append(update)
        } catch {
            // The journal is the one thing that must not fail; without it updates are lost.
            logger.critical(
                "Cannot journal a status update",
                metadata: ["task.id": "\(update.taskID)", "state": "\(update.state)", "error": "\(error)"]
            )
        }
    }

    private func reportFinished(_ key: RunKey, _ outcome: RunOutcome, at: Date? = nil) {
        report(
            AgentStatusUpdate(
                taskID: key.taskID,
                attempt: key.attempt,
                state: .finished,
                reason: outcome.reason,
                exitCode: outcome.exitCode,
                message: outcome.message,
                at: at ?? now()
            )
        )
    }

    // MARK: Recovery

    /// Finds recorded runs again after a start: running ones come back under supervision (on
    /// ``run()``), ended or vanished ones are reported. Call once, before ``run()`` and before
    /// registering, so the registration lists what still runs.
    /// - Returns: how many runs were found running.
    @discardableResult
    public func recover() async -> Int {
        let (found, unreadable) = records.loadAll()
        for error in unreadable {
            logger.error("Skipping an unreadable run record", metadata: ["error": "\(error.message)"])
        }
        var recovered = 0
        var known = Set(found.map(\.key))
        var pending = found
        for runtime in runtimes.values {
            for var orphan in await runtime.unrecordedRuns(known: known) {
                orphan.runDirectory = records.runDirectory(orphan.key)
                orphan.logDirectory = logs.directory(orphan.key)
                try? logs.prepare(orphan.key)
                try? records.save(orphan)
                known.insert(orphan.key)
                pending.append(orphan)
                logger.warning("Adopted a container with no run record", metadata: ["task.run": "\(orphan.key)"])
            }
        }
        for record in pending {
            if record.finish != nil {
                // Reported before the restart; only clean-up may be left.
                if let runtime = runtimes[record.runtime] { await runtime.release(record) }
                if !record.logsArchived, await archiveLogs(record) {
                    var archived = record
                    archived.logsArchived = true
                    try? records.save(archived)
                }
                continue
            }
            runsByToken[record.metadataToken] = record.key
            guard let runtime = runtimes[record.runtime] else {
                runs[record.key] = LiveRun(record: record, state: .startInitiated)
                finish(
                    record.key,
                    RunOutcome(
                        reason: .lost,
                        exitCode: nil,
                        message: "the agent restarted without the \(record.runtime) runtime the run needs"
                    )
                )
                continue
            }
            let presence = await runtime.locate(record)
            runs[record.key] = LiveRun(record: record, state: record.startedAt == nil ? .startInitiated : .started)
            if case .running = presence { recovered += 1 }
            logger.info("Recovered run", metadata: ["task.run": "\(record.key)", "presence": "\(presence)"])
            workContinuation.yield(.start(record.key, presence))
            if case .running = presence, let reason = record.killReason {
                logger.debug(
                    "Resuming an interrupted kill",
                    metadata: ["task.run": "\(record.key)", "reason": "\(reason)"]
                )
                workContinuation.yield(.stop(record.key, killGracePeriod(record)))
            }
        }
        return recovered
    }

    // MARK: Maintenance

    /// Every ``SupervisorConfiguration/maintenanceInterval``: retries failed archives, removes
    /// finished runs' records past their retention, and returns free heap memory to the system.
    private func maintain() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: configuration.maintenanceInterval)
            if Task.isCancelled { return }
            await pruneFinishedRuns()
            // Bursts of launches and kills leave freed memory with malloc; hand it back.
            AgentMetrics.releaseFreeMemory()
        }
    }

    /// Removes finished runs whose retention has passed (archiving their logs first if needed).
    public func pruneFinishedRuns() async {
        let retention = Double(configuration.finishedRunRetention.components.seconds)
        for var record in records.loadAll().records {
            guard let finish = record.finish, runs[record.key] == nil else { continue }
            if !record.logsArchived && archive != nil {
                guard await archiveLogs(record) else { continue }
                record.logsArchived = true
                try? records.save(record)
            }
            if now().timeIntervalSince(finish.at) >= retention {
                records.remove(record.key)
                if archive != nil { logs.remove(record.key) }
            }
        }
    }

    // MARK: Views

    /// Every run the agent has, for registration and heartbeats.
    public func runningTasks() -> [AgentTaskReport] {
        runs.values.map { run in
            AgentTaskReport(
                taskID: run.record.key.taskID,
                attempt: run.record.key.attempt,
                state: run.state,
                ports: run.record.launch.ports,
                startedAt: run.record.startedAt
            )
        }
        .sorted { ($0.taskID.rawValue, $0.attempt) < ($1.taskID.rawValue, $1.attempt) }
    }

    /// Whether the run is still supervised (not finished).
    public func isLive(_ key: RunKey) -> Bool { runs[key] != nil }

    /// The highest attempt of a task this agent has logs or a run of.
    public func latestAttempt(of taskID: TaskInstanceID) -> Int? {
        let live = runs.keys.filter { $0.taskID == taskID }.map(\.attempt)
        let logged = logs.attempts(of: taskID)
        let archived = (archive as? any ReadableLogArchive)?.archivedAttempts(of: taskID) ?? []
        return (live + logged + archived).max()
    }

    /// The metadata a run sees at its address, or nil for an unknown token.
    public func metadata(token: String) -> TaskMetadata? {
        guard let key = runsByToken[token], let run = runs[key] else { return nil }
        let launch = run.record.launch
        return TaskMetadata(
            taskID: key.taskID,
            attempt: key.attempt,
            jobID: launch.jobID,
            jobName: launch.jobName,
            image: launch.image,
            command: launch.command,
            ports: launch.ports,
            host: configuration.agentID,
            zone: configuration.attributes["zone"],
            attributes: configuration.attributes,
            cpus: launch.cpus,
            memoryMB: launch.memoryMB,
            startedAt: run.record.startedAt,
            runtime: run.record.runtime.rawValue
        )
    }

    /// The address a run's metadata is served at.
    public nonisolated func metadataURL(token: String) -> String {
        configuration.metadataBaseURL + "/v1/metadata/" + token
    }

    /// The run record of a live run (for tests and the benchmark).
    public func liveRecord(_ key: RunKey) -> RunRecord? { runs[key]?.record }

    /// Returns once the run has started or finished.
    public func waitUntilStarted(_ key: RunKey) async {
        guard let run = runs[key], run.state != .started else { return }
        await withCheckedContinuation { startWaiters[key, default: []].append($0) }
    }

    // MARK: Usage

    /// Samples every started run's cpu and memory use; keeps the latest for ``latestUsage()``.
    public func sampleUsage() async -> [TaskUsage] {
        var samples: [TaskUsage] = []
        for (key, run) in runs where run.state == .started {
            guard let runtime = runtimes[run.record.runtime], let usage = await runtime.usage(run.record) else {
                continue
            }
            let instant = ContinuousClock.now
            guard var current = runs[key] else { continue }
            var percent = 0.0
            if let previous = current.previousSample, usage.cpuNanoseconds >= previous.cpuNanoseconds {
                let elapsed = instant - previous.at
                let elapsedNanoseconds =
                    Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
                if elapsedNanoseconds > 0 {
                    percent = Double(usage.cpuNanoseconds - previous.cpuNanoseconds) / elapsedNanoseconds * 100
                }
            }
            current.previousSample = (usage.cpuNanoseconds, instant)
            let sample = TaskUsage(
                taskID: key.taskID,
                attempt: key.attempt,
                cpuSeconds: Double(usage.cpuNanoseconds) / 1e9,
                cpuPercent: (percent * 10).rounded() / 10,
                memoryBytes: Int64(clamping: usage.memoryBytes)
            )
            current.usage = sample
            runs[key] = current
            samples.append(sample)
        }
        return samples.sorted { ($0.taskID.rawValue, $0.attempt) < ($1.taskID.rawValue, $1.attempt) }
    }

    /// The latest usage sample of each running run, with its job.
    public func latestUsage() -> [(usage: TaskUsage, jobID: JobID)] {
        runs.values.compactMap { run in run.usage.map { ($0, run.record.launch.jobID) } }
    }

    private static func makeToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }
        .joined()
    }
}
