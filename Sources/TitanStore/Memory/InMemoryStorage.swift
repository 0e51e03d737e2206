import Foundation
import TitanModel

/// A ``TitanStorage`` in memory, for tests of the services above the store.
///
/// Same semantics, ordering and errors as ``TitanDatabase`` (the contract tests run against
/// both), nothing durable. An actor, so it is safe to share; each method runs without
/// interleaving, as a transaction would.
public actor InMemoryStorage: TitanStorage {
    private var jobs: [JobID: JobRecord] = [:]
    private var jobIDsByToken: [String: JobID] = [:]
    /// Each job's tasks by instance index.
    private var tasksByJob: [JobID: [Int: TaskRecord]] = [:]
    private var history: [TaskInstanceID: [TaskHistoryEntry]] = [:]
    private var hostsByID: [HostID: HostRecord] = [:]
    private var eventLog: [EventRecord] = []
    private var lease: LeaderLease?
    private var orders: [QueuedAgentOrder] = []
    private var lastOrderSeq: Int64 = 0

    public init() {}

    // MARK: Jobs

    public func createJob(_ spec: JobSpec, id: JobID?, clientToken: String?, now: Date) throws -> JobCreation {
        let now = StoreTime.normalize(now)
        if let clientToken, let existingID = jobIDsByToken[clientToken], let existing = jobs[existingID] {
            guard existing.spec == spec else {
                throw StoreError(
                    .clientTokenConflict,
                    "client token \(clientToken) was used for job \(existingID) with a different spec"
                )
            }
            return JobCreation(job: existing, created: false, tasks: [])
        }
        let id = id ?? JobID.generate(at: now)
        if jobs[id] != nil { throw StoreError(.jobAlreadyExists, "a job with id \(id) exists already") }
        let placements = LocationSpread(spec: spec).initialInstances()
        var job = JobRecord(
            id: id,
            spec: spec,
            status: .active,
            desiredInstances: placements.count,
            nextInstanceIndex: placements.count,
            clientToken: clientToken,
            createdAt: now,
            updatedAt: now
        )
        let tasks = StoreRules.newTasks(jobID: id, placements: placements, now: now)
        _ = StoreRules.rederive(&job, tally: StoreRules.tally(tasks), now: now)
        jobs[id] = job
        if let clientToken { jobIDsByToken[clientToken] = id }
        tasksByJob[id] = Dictionary(uniqueKeysWithValues: tasks.map { ($0.instanceIndex, $0) })
        append(StoreRules.jobCreatedEvent(job))
        return JobCreation(job: job, created: true, tasks: tasks)
    }

    public func job(id: JobID) -> JobRecord? { jobs[id] }

    public func listJobs(filter: JobFilter, page: PageRequest) throws -> Page<JobRecord> {
        try StoreRules.checkLimit(page.limit)
        let after = try page.cursor.map { cursor throws(StoreError) in try StoreRules.parseJobCursor(cursor) }
        let matching = jobs.values.filter { job in
            if let statuses = filter.statuses, !statuses.contains(job.status) { return false }
            if let name = filter.name, job.spec.name != name { return false }
            if let kind = filter.kind, job.spec.kind != kind { return false }
            if let after {
                let millis = StoreTime.millis(job.createdAt)
                return millis > after.millis || (millis == after.millis && job.id.rawValue > after.id)
            }
            return true
        }
        .sorted { lhs, rhs in
            lhs.createdAt != rhs.createdAt ? lhs.createdAt < rhs.createdAt : lhs.id.rawValue < rhs.id.rawValue
        }
        let items = Array(matching.prefix(page.limit))
        let next = matching.count > page.limit ? items.last.map(StoreRules.jobCursor) : nil
        return Page(items: items, nextCursor: next)
    }

    public func updateDesiredInstances(jobID: JobID, count: Int, now: Date) throws -> ScaleOutcome {
        let now = StoreTime.normalize(now)
        guard var job = jobs[jobID] else { throw StoreError.jobNotFound(jobID) }
        try StoreRules.checkScalable(job, count: count)
        var tasks = tasksByJob[jobID] ?? [:]
        let current = tasks.values.filter(\.isDesired).map { InstancePlacement(index: $0.instanceIndex, cell: $0.cell) }
        let plan = LocationSpread(spec: job.spec).scale(current: current, nextIndex: job.nextInstanceIndex, to: count)
        let added = StoreRules.newTasks(jobID: jobID, placements: plan.add, now: now)
        for task in added { tasks[task.instanceIndex] = task }
        var toKill: [TaskRecord] = []
        for index in plan.remove {
            guard var task = tasks[index] else { continue }
            task.isDesired = false
            task.updatedAt = now
            let result = StoreRules.requestKill(of: &task, now: now, why: "scaled down")
            if let entry = result.entry { history[task.id, default: []].append(entry) }
            if result.needsKill { toKill.append(task) }
            tasks[index] = task
        }
        tasksByJob[jobID] = tasks
        let previous = job.desiredInstances
        job.desiredInstances = count
        job.nextInstanceIndex += plan.add.count
        job.updatedAt = now
        append(
            PendingEvent(
                kind: .jobScaled,
                jobID: jobID,
                taskID: nil,
                message: "job \(job.spec.name) scaled from \(previous) to \(count) instances",
                at: now
            )
        )
        if let event = StoreRules.rederive(&job, tally: StoreRules.tally(tasks.values), now: now) { append(event) }
        jobs[jobID] = job
        return ScaleOutcome(job: job, added: added, toKill: toKill.sorted { $0.instanceIndex < $1.instanceIndex })
    }

    public func markJobKilled(jobID: JobID, now: Date) throws -> KillOutcome {
        let now = StoreTime.normalize(now)
        guard var job = jobs[jobID] else { throw StoreError.jobNotFound(jobID) }
        if job.status.isFinished || job.status == .killing { return KillOutcome(job: job, toKill: []) }
        job.status = .killing
        job.updatedAt = now
        var tasks = tasksByJob[jobID] ?? [:]
        var toKill: [TaskRecord] = []
        for index in tasks.keys.sorted() {
            guard var task = tasks[index] else { continue }
            let result = StoreRules.requestKill(of: &task, now: now, why: "job killed")
            if let entry = result.entry { history[task.id, default: []].append(entry) }
            if result.needsKill { toKill.append(task) }
            tasks[index] = task
        }
        tasksByJob[jobID] = tasks
        append(
            PendingEvent(
                kind: .jobKillRequested,
                jobID: jobID,
                taskID: nil,
                message: "kill requested for job \(job.spec.name)",
                at: now
            )
        )
        if let event = StoreRules.rederive(&job, tally: StoreRules.tally(tasks.values), now: now) { append(event) }
        jobs[jobID] = job
        return KillOutcome(job: job, toKill: toKill)
    }

    public func taskCounts(jobID: JobID) throws -> TaskStateCounts {
        guard jobs[jobID] != nil else { throw StoreError.jobNotFound(jobID) }
        var counts = TaskStateCounts()
        for task in (tasksByJob[jobID] ?? [:]).values { counts[task.state] += 1 }
        return counts
    }

    // MARK: Tasks

    public func tasks(jobID: JobID, states: Set<TaskState>?, page: PageRequest) throws -> Page<TaskRecord> {
        try StoreRules.checkLimit(page.limit)
        let after = try page.cursor.map { cursor throws(StoreError) in try StoreRules.parseTaskCursor(cursor) }
        guard jobs[jobID] != nil else { throw StoreError.jobNotFound(jobID) }
        let matching = (tasksByJob[jobID] ?? [:]).values
            .filter { task in
                (states?.contains(task.state) ?? true) && after.map { task.instanceIndex > $0 } ?? true
            }
            .sorted { $0.instanceIndex < $1.instanceIndex }
        let items = Array(matching.prefix(page.limit))
        let next = matching.count > page.limit ? items.last.map { String($0.instanceIndex) } : nil
        return Page(items: items, nextCursor: next)
    }

    public func task(id: TaskInstanceID) -> TaskRecord? { find(id) }

    public func taskHistory(id: TaskInstanceID) -> [TaskHistoryEntry] { history[id] ?? [] }

    public func tasksInStates(_ states: Set<TaskState>) -> [TaskRecord] {
        jobs.keys.sorted().flatMap { jobID in
            (tasksByJob[jobID] ?? [:]).values.filter { states.contains($0.state) }.sorted {
                $0.instanceIndex < $1.instanceIndex
            }
        }
    }

    public func recordTransition(_ transition: TaskTransition) throws -> TransitionOutcome {
        var transition = transition
        transition.at = StoreTime.normalize(transition.at)
        guard var task = find(transition.taskID) else { throw StoreError.taskNotFound(transition.taskID) }
        guard var job = jobs[task.jobID] else { throw StoreError.jobNotFound(task.jobID) }
        let (entry, decision, event) = try StoreRules.apply(transition, to: &task, job: job)
        save(task)
        history[task.id, default: []].append(entry)
        append(event)
        if transition.to == .finished,
            let jobEvent = StoreRules.rederive(
                &job,
                tally: StoreRules.tally((tasksByJob[job.id] ?? [:]).values),
                now: transition.at
            )
        {
            jobs[job.id] = job
            append(jobEvent)
        }
        return TransitionOutcome(task: task, restart: decision, jobStatus: job.status)
    }

    public func assignTasks(_ assignments: [TaskAssignment], at: Date, queueLaunchOrders: Bool) -> AssignmentOutcome {
        let at = StoreTime.normalize(at)
        var outcome = AssignmentOutcome(assigned: [], refused: [])
        for assignment in assignments {
            guard var task = find(assignment.taskID) else {
                outcome.refused.append(
                    RefusedAssignment(assignment: assignment, error: .taskNotFound(assignment.taskID))
                )
                continue
            }
            do {
                let (entry, event) = try StoreRules.assign(assignment, to: &task, at: at)
                save(task)
                history[task.id, default: []].append(entry)
                append(event)
                outcome.assigned.append(task)
                if queueLaunchOrders {
                    outcome.launchOrders.append(
                        queue(
                            NewAgentOrder(
                                hostID: assignment.host,
                                kind: .launch,
                                taskID: task.id,
                                attempt: task.attempt
                            ),
                            at: at
                        )
                    )
                }
            } catch {
                outcome.refused.append(RefusedAssignment(assignment: assignment, error: error))
            }
        }
        return outcome
    }

    public func setPendingReasons(_ updates: [PendingReasonUpdate]) -> Int {
        var updated = 0
        for update in updates {
            guard var task = find(update.taskID), task.state == .accepted else { continue }
            task.pendingReason = update.reason
            save(task)
            updated += 1
        }
        return updated
    }

    public func markTaskKilled(id: TaskInstanceID, now: Date) throws -> TaskRecord {
        let now = StoreTime.normalize(now)
        guard var task = find(id) else { throw StoreError.taskNotFound(id) }
        guard var job = jobs[task.jobID] else { throw StoreError.jobNotFound(task.jobID) }
        let result = StoreRules.requestKill(of: &task, now: now, why: "killed on request")
        save(task)
        if let entry = result.entry { history[task.id, default: []].append(entry) }
        append(
            PendingEvent(
                kind: .taskKillRequested,
                jobID: task.jobID,
                taskID: id,
                message: "kill requested for task \(id)",
                at: now
            )
        )
        if let event = StoreRules.rederive(&job, tally: StoreRules.tally((tasksByJob[job.id] ?? [:]).values), now: now)
        {
            jobs[job.id] = job
            append(event)
        }
        return task
    }

    public func restartDueTasks(now: Date, limit: Int) throws -> [TaskRecord] {
        try StoreRules.checkLimit(limit)
        let now = StoreTime.normalize(now)
        let due = tasksByJob.values.flatMap(\.values)
            .filter { task in task.state == .finished && task.nextRestartAt.map { $0 <= now } ?? false }
            .sorted { lhs, rhs in
                lhs.nextRestartAt != rhs.nextRestartAt
                    ? (lhs.nextRestartAt ?? now) < (rhs.nextRestartAt ?? now) : lhs.id < rhs.id
            }
            .prefix(limit)
        var restarted: [TaskRecord] = []
        for var task in due {
            let (entry, event) = StoreRules.restart(&task, now: now)
            save(task)
            history[task.id, default: []].append(entry)
            append(event)
            restarted.append(task)
        }
        return restarted
    }

    // MARK: Hosts

    public func upsertHost(_ registration: HostRegistration, now: Date) -> HostRecord {
        let now = StoreTime.normalize(now)
        var host =
            hostsByID[registration.id]
            ?? HostRecord(
                id: registration.id,
                address: registration.address,
                resources: registration.resources,
                attributes: registration.attributes,
                state: .up,
                disabledUntil: nil,
                lastHeartbeatAt: now,
                registeredAt: now,
                updatedAt: now
            )
        if hostsByID[registration.id] == nil {
            append(
                PendingEvent(
                    kind: .hostRegistered,
                    jobID: nil,
                    taskID: nil,
                    message: "host \(registration.id) registered at \(registration.address)",
                    at: now
                )
            )
        }
        host.address = registration.address
        host.resources = registration.resources
        host.attributes = registration.attributes
        host.state = .up
        host.lastHeartbeatAt = now
        host.updatedAt = now
        hostsByID[host.id] = host
        return host
    }

    public func recordHeartbeat(hostID: HostID, at: Date) throws -> HostRecord {
        let at = StoreTime.normalize(at)
        guard var host = hostsByID[hostID] else { throw StoreError.hostNotFound(hostID) }
        if host.state != .up { append(HostEvents.stateChanged(hostID, to: .up, at: at)) }
        host.state = .up
        host.lastHeartbeatAt = at
        host.updatedAt = at
        hostsByID[hostID] = host
        return host
    }

    public func setHostState(hostID: HostID, state: HostState, now: Date) throws -> HostRecord {
        let now = StoreTime.normalize(now)
        guard var host = hostsByID[hostID] else { throw StoreError.hostNotFound(hostID) }
        if host.state != state {
            append(HostEvents.stateChanged(hostID, to: state, at: now))
            host.state = state
            host.updatedAt = now
            hostsByID[hostID] = host
        }
        return host
    }

    public func disableHost(hostID: HostID, until: Date, now: Date) throws -> HostRecord {
        let (until, now) = (StoreTime.normalize(until), StoreTime.normalize(now))
        guard var host = hostsByID[hostID] else { throw StoreError.hostNotFound(hostID) }
        host.disabledUntil = until
        host.updatedAt = now
        hostsByID[hostID] = host
        append(HostEvents.disabled(hostID, until: until, at: now))
        return host
    }

    public func enableHost(hostID: HostID, now: Date) throws -> HostRecord {
        let now = StoreTime.normalize(now)
        guard var host = hostsByID[hostID] else { throw StoreError.hostNotFound(hostID) }
        host.disabledUntil = nil
        host.updatedAt = now
        hostsByID[hostID] = host
        append(HostEvents.enabled(hostID, at: now))
        return host
    }

    public func removeHost(hostID: HostID, reason: String, now: Date) throws {
        let now = StoreTime.normalize(now)
        guard hostsByID.removeValue(forKey: hostID) != nil else { throw StoreError.hostNotFound(hostID) }
        orders.removeAll { $0.order.hostID == hostID }
        append(HostEvents.removed(hostID, reason: reason, at: now))
    }

    public func host(id: HostID) -> HostRecord? { hostsByID[id] }

    public func hosts() -> [HostRecord] { hostsByID.values.sorted { $0.id < $1.id } }

    // MARK: Events

    public func appendEvent(kind: EventKind, jobID: JobID?, taskID: TaskInstanceID?, message: String, at: Date)
        -> EventRecord
    {
        append(PendingEvent(kind: kind, jobID: jobID, taskID: taskID, message: message, at: StoreTime.normalize(at)))
    }

    public func events(after: Int64, limit: Int) throws -> [EventRecord] {
        try StoreRules.checkLimit(limit)
        // Ids are 1, 2, 3, … so the event after `after` is at index `after`.
        let start = Int(max(0, min(after, Int64(eventLog.count))))
        return Array(eventLog[start...].prefix(limit))
    }

    // MARK: Leader lease

    public func acquireLeaderLease(holder: String, until: Date, now: Date) throws -> LeaseOutcome {
        let (until, now) = (StoreTime.normalize(until), StoreTime.normalize(now))
        let decision = try LeaseRules.acquire(current: lease, holder: holder, until: until, now: now)
        if case .acquired(let taken) = decision.outcome {
            lease = taken
            if let event = decision.event { append(event) }
        }
        return decision.outcome
    }

    public func renewLeaderLease(holder: String, until: Date, now: Date) throws -> LeaderLease {
        let renewed = try LeaseRules.renew(
            current: lease,
            holder: holder,
            until: StoreTime.normalize(until),
            now: StoreTime.normalize(now)
        )
        lease = renewed
        return renewed
    }

    public func releaseLeaderLease(holder: String, now: Date) {
        if let released = LeaseRules.release(current: lease, holder: holder, now: StoreTime.normalize(now)) {
            lease = released
        }
    }

    public func leaderLease() -> LeaderLease? { lease }

    // MARK: Private

    // MARK: Agent orders

    public func queueOrders(_ orders: [NewAgentOrder], at: Date) -> [QueuedAgentOrder] {
        let at = StoreTime.normalize(at)
        return orders.map { queue($0, at: at) }
    }

    public func pendingOrders(hostID: HostID, acknowledgingThrough: Int64, limit: Int) throws -> [QueuedAgentOrder] {
        try StoreRules.checkLimit(limit)
        orders.removeAll { $0.order.hostID == hostID && $0.seq <= acknowledgingThrough }
        return Array(orders.lazy.filter { $0.order.hostID == hostID }.prefix(limit))
    }

    public func cancelOrders(_ seqs: [Int64]) {
        let cancelled = Set(seqs)
        orders.removeAll { cancelled.contains($0.seq) }
    }

    private func queue(_ order: NewAgentOrder, at: Date) -> QueuedAgentOrder {
        lastOrderSeq += 1
        let queued = QueuedAgentOrder(seq: lastOrderSeq, order: order, createdAt: at)
        orders.append(queued)
        return queued
    }

    private func find(_ id: TaskInstanceID) -> TaskRecord? {
        guard let parts = id.parts else { return nil }
        return tasksByJob[parts.job]?[parts.index]
    }

    private func save(_ task: TaskRecord) {
        tasksByJob[task.jobID, default: [:]][task.instanceIndex] = task
    }

    @discardableResult
    private func append(_ event: PendingEvent) -> EventRecord {
        let record = EventRecord(
            id: Int64(eventLog.count + 1),
            at: event.at,
            kind: event.kind,
            jobID: event.jobID,
            taskID: event.taskID,
            message: event.message
        )
        eventLog.append(record)
        return record
    }
}
