import Foundation
import TitanModel

/// Times as the store keeps them: whole milliseconds since 1970, in both implementations, so
/// what one returns the other would too.
enum StoreTime {
    static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    static func date(_ millis: Int64) -> Date { Date(timeIntervalSince1970: Double(millis) / 1000) }
    static func normalize(_ date: Date) -> Date { self.date(millis(date)) }
    static func format(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
        return seconds == seconds.rounded() ? "\(Int64(seconds))s" : String(format: "%.3fs", seconds)
    }
}

/// The rules both implementations apply, as functions over records, so they cannot drift
/// apart: each implementation only loads records, calls these, and saves what they return.
enum StoreRules {
    static func checkLimit(_ limit: Int) throws(StoreError) {
        guard (1...PageRequest.maximumLimit).contains(limit) else {
            throw StoreError(.invalidArgument, "limit must be 1 to \(PageRequest.maximumLimit) (got \(limit))")
        }
    }

    /// The tasks of a new job or of a scale-up.
    static func newTasks(jobID: JobID, placements: [InstancePlacement], now: Date) -> [TaskRecord] {
        placements.map {
            TaskRecord(
                id: TaskInstanceID(job: jobID, index: $0.index),
                jobID: jobID,
                instanceIndex: $0.index,
                cell: $0.cell,
                createdAt: now,
                updatedAt: now
            )
        }
    }

    static func jobCreatedEvent(_ job: JobRecord) -> PendingEvent {
        PendingEvent(
            kind: .jobCreated,
            jobID: job.id,
            taskID: nil,
            message: "job \(job.spec.name) created with \(job.desiredInstances) instances",
            at: job.createdAt
        )
    }

    /// Refuses a report about another attempt or another state than the task is in.
    static func checkCurrent(_ task: TaskRecord, attempt: Int, from: TaskState) throws(StoreError) {
        if task.attempt != attempt {
            throw StoreError(
                .transitionConflict,
                "task \(task.id) is in attempt \(task.attempt), not \(attempt); the report is stale"
            )
        }
        if task.state != from {
            throw StoreError(
                .transitionConflict,
                "task \(task.id) is \(task.state.rawValue), not \(from.rawValue); the report is stale"
            )
        }
    }

    /// Applies a reported transition to `task`. Returns the history entry, the restart decision
    /// on `finished`, and the event to append.
    static func apply(
        _ transition: TaskTransition,
        to task: inout TaskRecord,
        job: JobRecord
    ) throws(StoreError) -> (TaskHistoryEntry, RestartDecision?, PendingEvent) {
        try checkCurrent(task, attempt: transition.attempt, from: transition.from)
        if transition.to == .launched {
            throw StoreError(
                .transitionNotAllowed,
                "task \(task.id): launching goes through assignTasks, which records the host"
            )
        }
        do {
            _ = try task.state.transition(to: transition.to, reason: transition.finishReason)
        } catch {
            throw StoreError(.transitionNotAllowed, "task \(task.id): \(error)")
        }
        let at = transition.at
        task.state = transition.to
        task.updatedAt = at
        task.pendingReason = nil
        if let message = transition.message { task.message = message }
        if let exitCode = transition.exitCode { task.exitCode = exitCode }
        if transition.to == .started { task.startedAt = at }
        var decision: RestartDecision?
        var detail = ""
        if transition.to == .finished, let reason = transition.finishReason {
            task.finishReason = reason
            task.finishedAt = at
            let chosen = restartDecision(for: task, reason: reason, job: job, at: at)
            decision = chosen
            task.killRequested = false
            switch chosen {
            case .restart(let delay, let usesRetry):
                task.nextRestartAt = StoreTime.normalize(at.addingTimeInterval(seconds(delay)))
                if usesRetry { task.retriesUsed += 1 }
                detail = "; restarting in \(StoreTime.format(delay))"
            case .finishInstance:
                task.nextRestartAt = nil
                detail = "; instance finished for good"
            }
        }
        let entry = TaskHistoryEntry(
            taskID: task.id,
            attempt: task.attempt,
            from: transition.from,
            to: transition.to,
            finishReason: transition.finishReason,
            at: at,
            message: transition.message
        )
        let reasonText = transition.finishReason.map { " (\($0.rawValue))" } ?? ""
        let event = PendingEvent(
            kind: .taskStateChanged,
            jobID: task.jobID,
            taskID: task.id,
            message:
                "task \(task.id) attempt \(task.attempt): \(transition.from.rawValue) → \(transition.to.rawValue)\(reasonText)\(detail)",
            at: at
        )
        return (entry, decision, event)
    }

    /// The restart policy, except that nothing restarts once a kill was requested for the task
    /// or its job, or a scale-down removed the instance.
    static func restartDecision(for task: TaskRecord, reason: FinishReason, job: JobRecord, at: Date) -> RestartDecision
    {
        if job.killRequested || task.killRequested || !task.isDesired { return .finishInstance(reason) }
        let ranFor = task.startedAt.map { Duration.milliseconds(StoreTime.millis(at) - StoreTime.millis($0)) }
        return RestartPolicy(spec: job.spec).decide(
            reason: reason,
            attempt: task.attempt,
            retriesUsed: task.retriesUsed,
            ranFor: ranFor
        )
    }

    /// Applies a placement: `accepted → launched` with the host.
    static func assign(_ assignment: TaskAssignment, to task: inout TaskRecord, at: Date) throws(StoreError)
        -> (TaskHistoryEntry, PendingEvent)
    {
        try checkCurrent(task, attempt: assignment.attempt, from: .accepted)
        if task.killRequested {
            throw StoreError(.transitionNotAllowed, "task \(task.id) is being killed; it cannot be launched")
        }
        task.state = .launched
        task.host = assignment.host
        task.ports = assignment.ports
        task.resourceSets = assignment.resourceSets
        task.pendingReason = nil
        task.launchedAt = at
        task.updatedAt = at
        let entry = TaskHistoryEntry(
            taskID: task.id,
            attempt: task.attempt,
            from: .accepted,
            to: .launched,
            finishReason: nil,
            at: at,
            message: "assigned to \(assignment.host)"
        )
        let event = PendingEvent(
            kind: .taskStateChanged,
            jobID: task.jobID,
            taskID: task.id,
            message: "task \(task.id) attempt \(task.attempt): accepted → launched on \(assignment.host)",
            at: at
        )
        return (entry, event)
    }

    /// Applies a kill request to one task. A task not on a host finishes now; a pending restart
    /// is dropped; a task on a host is marked and reported as needing a kill.
    static func requestKill(of task: inout TaskRecord, now: Date, why: String) -> (
        entry: TaskHistoryEntry?, needsKill: Bool
    ) {
        switch task.state {
        case .accepted:
            let entry = TaskHistoryEntry(
                taskID: task.id,
                attempt: task.attempt,
                from: .accepted,
                to: .finished,
                finishReason: .killed,
                at: now,
                message: why
            )
            task.state = .finished
            task.finishReason = .killed
            task.finishedAt = now
            task.updatedAt = now
            task.pendingReason = nil
            task.killRequested = false
            task.nextRestartAt = nil
            return (entry, false)
        case .finished:
            if task.nextRestartAt != nil {
                task.nextRestartAt = nil
                task.updatedAt = now
            }
            return (nil, false)
        case .launched, .startInitiated, .started:
            if !task.killRequested {
                task.killRequested = true
                task.updatedAt = now
            }
            return (nil, true)
        case .killInitiated:
            task.killRequested = true
            return (nil, false)
        }
    }

    /// Starts the next attempt of a task whose restart is due.
    static func restart(_ task: inout TaskRecord, now: Date) -> (TaskHistoryEntry, PendingEvent) {
        let previous = task.finishReason
        task.attempt += 1
        task.state = .accepted
        task.finishReason = nil
        task.host = nil
        task.ports = []
        task.resourceSets = []
        task.exitCode = nil
        task.pendingReason = nil
        task.message = nil
        task.launchedAt = nil
        task.startedAt = nil
        task.finishedAt = nil
        task.nextRestartAt = nil
        task.updatedAt = now
        let entry = TaskHistoryEntry(
            taskID: task.id,
            attempt: task.attempt,
            from: .finished,
            to: .accepted,
            finishReason: nil,
            at: now,
            message: "restart after \(previous?.rawValue ?? "finish")"
        )
        let event = PendingEvent(
            kind: .taskRestarted,
            jobID: task.jobID,
            taskID: task.id,
            message: "task \(task.id) restarted as attempt \(task.attempt)",
            at: now
        )
        return (entry, event)
    }

    /// The job's status after a change, and the event to append if it just finished.
    static func rederive(_ job: inout JobRecord, tally: InstanceTally, now: Date) -> PendingEvent? {
        let status = JobStatus.derive(killRequested: job.killRequested, instances: tally)
        guard status != job.status else { return nil }
        job.status = status
        job.updatedAt = now
        guard status.isFinished else { return nil }
        return PendingEvent(
            kind: .jobFinished,
            jobID: job.id,
            taskID: nil,
            message: "job \(job.spec.name) \(status.rawValue)",
            at: now
        )
    }

    /// Counts a job's instances for ``JobStatus/derive(killRequested:instances:)``: live counts
    /// every task not finished for good; finished ones count only while in the desired set.
    static func tally(_ tasks: some Sequence<TaskRecord>) -> InstanceTally {
        var tally = InstanceTally(live: 0, succeeded: 0, finished: 0)
        for task in tasks {
            if !task.isFinishedForGood {
                tally.live += 1
            } else if task.isDesired {
                tally.finished += 1
                if task.finishReason == .succeeded { tally.succeeded += 1 }
            }
        }
        return tally
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    static func checkScalable(_ job: JobRecord, count: Int) throws(StoreError) {
        guard job.spec.kind == .service else {
            throw StoreError(.jobNotScalable, "job \(job.id) is a batch job; only services can be scaled")
        }
        guard !job.status.isFinished && job.status != .killing else {
            throw StoreError(.jobFinished, "job \(job.id) is \(job.status.rawValue); it can no longer be scaled")
        }
        guard (0...JobSpec.Limits.maxInstances).contains(count) else {
            throw StoreError(.invalidArgument, "instances must be 0 to \(JobSpec.Limits.maxInstances) (got \(count))")
        }
    }

    /// Cursor for the job list: creation millis and id.
    static func jobCursor(_ job: JobRecord) -> String { "\(StoreTime.millis(job.createdAt)):\(job.id.rawValue)" }

    static func parseJobCursor(_ cursor: String) throws(StoreError) -> (millis: Int64, id: String) {
        guard let colon = cursor.firstIndex(of: ":"), let millis = Int64(cursor[..<colon]) else {
            throw StoreError(.invalidCursor, "\(cursor) is not a job list cursor")
        }
        return (millis, String(cursor[cursor.index(after: colon)...]))
    }

    static func parseTaskCursor(_ cursor: String) throws(StoreError) -> Int {
        guard let index = Int(cursor), index >= 0 else {
            throw StoreError(.invalidCursor, "\(cursor) is not a task list cursor")
        }
        return index
    }
}

/// An event to append, before it has its id.
struct PendingEvent: Hashable, Sendable {
    var kind: EventKind
    var jobID: JobID?
    var taskID: TaskInstanceID?
    var message: String
    var at: Date
}

/// Events about hosts, worded the same by both implementations.
enum HostEvents {
    static func stateChanged(_ id: HostID, to state: HostState, at: Date) -> PendingEvent {
        PendingEvent(
            kind: .hostStateChanged,
            jobID: nil,
            taskID: nil,
            message: "host \(id) is \(state.rawValue)",
            at: at
        )
    }

    static func disabled(_ id: HostID, until: Date, at: Date) -> PendingEvent {
        let untilText = until == .distantFuture ? "until enabled" : "until \(until.formatted(.iso8601))"
        return PendingEvent(
            kind: .hostDisabled,
            jobID: nil,
            taskID: nil,
            message: "host \(id) disabled \(untilText)",
            at: at
        )
    }

    static func enabled(_ id: HostID, at: Date) -> PendingEvent {
        PendingEvent(kind: .hostEnabled, jobID: nil, taskID: nil, message: "host \(id) enabled", at: at)
    }

    static func removed(_ id: HostID, reason: String, at: Date) -> PendingEvent {
        PendingEvent(kind: .hostRemoved, jobID: nil, taskID: nil, message: "host \(id) removed: \(reason)", at: at)
    }
}

/// The leader lease rules, as functions of the current lease.
enum LeaseRules {
    static func acquire(current: LeaderLease?, holder: String, until: Date, now: Date) throws(StoreError) -> (
        outcome: LeaseOutcome, event: PendingEvent?
    ) {
        guard until > now else {
            throw StoreError(.invalidArgument, "a lease must end after it starts (until \(until), now \(now))")
        }
        guard let current else {
            let lease = LeaderLease(holder: holder, term: 1, acquiredAt: now, expiresAt: until)
            return (.acquired(lease), changed(lease))
        }
        if current.expiresAt > now {
            guard current.holder == holder else { return (.heldByOther(current), nil) }
            var renewed = current
            renewed.expiresAt = until
            return (.acquired(renewed), nil)
        }
        let lease = LeaderLease(holder: holder, term: current.term + 1, acquiredAt: now, expiresAt: until)
        return (.acquired(lease), changed(lease))
    }

    static func renew(current: LeaderLease?, holder: String, until: Date, now: Date) throws(StoreError) -> LeaderLease {
        guard var lease = current, lease.holder == holder, lease.expiresAt > now else {
            let state = current.map { "held by \($0.holder) until \($0.expiresAt)" } ?? "never held"
            throw StoreError(.leaseNotHeld, "\(holder) does not hold the leader lease (it is \(state))")
        }
        guard until > now else {
            throw StoreError(.invalidArgument, "a lease must end after it starts (until \(until), now \(now))")
        }
        lease.expiresAt = until
        return lease
    }

    /// The lease after `holder` gives it up (expiring now), or nil if `holder` does not hold it.
    static func release(current: LeaderLease?, holder: String, now: Date) -> LeaderLease? {
        guard var lease = current, lease.holder == holder, lease.expiresAt > now else { return nil }
        lease.expiresAt = now
        return lease
    }

    private static func changed(_ lease: LeaderLease) -> PendingEvent {
        PendingEvent(
            kind: .leaderChanged,
            jobID: nil,
            taskID: nil,
            message: "\(lease.holder) leads (term \(lease.term))",
            at: lease.acquiredAt
        )
    }
}
