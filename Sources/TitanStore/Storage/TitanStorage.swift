import Foundation
import TitanModel

/// Everything titan-api keeps: jobs, their tasks, hosts, events and the leader lease.
///
/// Each method is one transaction: it happens entirely or not at all, and what it returns is
/// what was committed. Two implementations keep the same semantics and throw the same
/// ``StoreError`` codes: ``TitanDatabase`` (SQLite, durable) and ``InMemoryStorage`` (for tests
/// of the services above). One contract test suite runs against both.
///
/// Times are passed in (services own the clock) and kept to the millisecond.
public protocol TitanStorage: Sendable {
    // MARK: Jobs

    /// Stores a validated job and all its tasks (one per instance, spread by `location`).
    ///
    /// Idempotent on `clientToken`: a repeat with the same token and an equal spec returns the
    /// first job with `created == false` (and no tasks); the same token with another spec
    /// throws `clientTokenConflict`.
    /// - Parameters:
    ///   - spec: a spec that passed validation.
    ///   - id: the job's id; nil to generate one. An id in use throws `jobAlreadyExists`.
    ///   - clientToken: the caller's idempotency token, if any.
    ///   - now: the creation time.
    func createJob(_ spec: JobSpec, id: JobID?, clientToken: String?, now: Date) async throws -> JobCreation

    /// The job, or nil.
    func job(id: JobID) async throws -> JobRecord?

    /// Jobs matching `filter`, oldest first (by creation time, then id), one page at a time.
    func listJobs(filter: JobFilter, page: PageRequest) async throws -> Page<JobRecord>

    /// Scales a service job to `count` instances: adds tasks, or marks the excess (highest index
    /// first within each cell) for kill. See `LocationSpread` for how cells share the count.
    func updateDesiredInstances(jobID: JobID, count: Int, now: Date) async throws -> ScaleOutcome

    /// Requests a kill of the whole job. Tasks not yet on a host finish at once as `killed`;
    /// pending restarts are dropped; tasks on hosts are marked `killRequested` and returned, for
    /// the caller to kill. Killing a finished job changes nothing.
    func markJobKilled(jobID: JobID, now: Date) async throws -> KillOutcome

    /// How many of the job's tasks are in each state.
    func taskCounts(jobID: JobID) async throws -> TaskStateCounts

    // MARK: Tasks

    /// The job's tasks in instance-index order, optionally only those in `states`.
    func tasks(jobID: JobID, states: Set<TaskState>?, page: PageRequest) async throws -> Page<TaskRecord>

    /// The task, or nil.
    func task(id: TaskInstanceID) async throws -> TaskRecord?

    /// Every recorded state change of the task, oldest first.
    func taskHistory(id: TaskInstanceID) async throws -> [TaskHistoryEntry]

    /// Every task in one of `states`, ordered by job id then instance index; for startup and
    /// reconciliation (`TaskState.allCases` minus `.finished` gives every task that may run).
    func tasksInStates(_ states: Set<TaskState>) async throws -> [TaskRecord]

    /// Moves a task to a new state if it is still in `from` and in `attempt`; refuses a stale
    /// update with `transitionConflict` and a change the state machine forbids with
    /// `transitionNotAllowed`. Appends history and an event. On `finished`, applies the job's
    /// restart policy (setting `nextRestartAt`) and re-derives the job's status.
    /// Launching goes through ``assignTasks(_:at:)``, which records the host.
    func recordTransition(_ transition: TaskTransition) async throws -> TransitionOutcome

    /// Records the scheduler's placements: each task moves `accepted → launched` with its host,
    /// ports and resource sets, if it is still accepted in that attempt; the rest are refused
    /// and listed, and do not stop the others. With `queueLaunchOrders`, a launch order for
    /// each assigned task is queued for its host in the same transaction (see
    /// ``queueOrders(_:at:)``), so a placement is never recorded without its order or the
    /// other way round.
    func assignTasks(_ assignments: [TaskAssignment], at: Date, queueLaunchOrders: Bool) async throws
        -> AssignmentOutcome

    /// Sets why tasks are still waiting (nil clears it), in one transaction. Tasks no longer
    /// `accepted` are skipped. Returns how many tasks were updated. Does not add events.
    func setPendingReasons(_ updates: [PendingReasonUpdate]) async throws -> Int

    /// Requests a kill of one task; the instance then finishes for good (no restart). A task
    /// not yet on a host finishes at once; one on a host is marked and must be killed by the
    /// caller. A finished task stays as it is, with any pending restart dropped.
    func markTaskKilled(id: TaskInstanceID, now: Date) async throws -> TaskRecord

    /// Starts the next attempt of every task whose restart is due (`nextRestartAt <= now`):
    /// attempt + 1, back to `accepted`, host and ports cleared. Returns them, at most `limit`.
    func restartDueTasks(now: Date, limit: Int) async throws -> [TaskRecord]

    // MARK: Hosts

    /// Registers a host or updates what it reports; it is `up` with a heartbeat at `now`.
    /// Keeps any disable.
    func upsertHost(_ registration: HostRegistration, now: Date) async throws -> HostRecord

    /// Notes a heartbeat; a `down` host comes back `up`.
    func recordHeartbeat(hostID: HostID, at: Date) async throws -> HostRecord

    /// Marks a host `up` or `down`.
    func setHostState(hostID: HostID, state: HostState, now: Date) async throws -> HostRecord

    /// Stops new placements on the host until `until` (`Date.distantFuture` for "until enabled").
    func disableHost(hostID: HostID, until: Date, now: Date) async throws -> HostRecord

    /// Allows placements on the host again.
    func enableHost(hostID: HostID, now: Date) async throws -> HostRecord

    /// Forgets a host that left the fleet for good (the autoscaler removed it), with the
    /// orders still queued for it, and appends a `hostRemoved` event saying why. Tasks keep
    /// the host's id in their history. Throws `hostNotFound` if there is no such host.
    func removeHost(hostID: HostID, reason: String, now: Date) async throws

    /// The host, or nil.
    func host(id: HostID) async throws -> HostRecord?

    /// Every host, by id.
    func hosts() async throws -> [HostRecord]

    // MARK: Agent orders

    /// Queues orders for agents, in one transaction, and returns them with their sequence
    /// numbers (increasing, never reused, also across restarts).
    func queueOrders(_ orders: [NewAgentOrder], at: Date) async throws -> [QueuedAgentOrder]

    /// The host's orders not yet acknowledged, oldest first, at most `limit`. Every order of
    /// the host numbered `acknowledgingThrough` or lower is acknowledged first (and forgotten):
    /// the agent has carried it out.
    func pendingOrders(hostID: HostID, acknowledgingThrough: Int64, limit: Int) async throws -> [QueuedAgentOrder]

    /// Withdraws orders before their agent got them (a launch for a run that was lost or
    /// killed meanwhile). Unknown numbers are ignored.
    func cancelOrders(_ seqs: [Int64]) async throws

    // MARK: Events

    /// Appends an event of the caller's own (the store adds job and task events itself).
    func appendEvent(kind: EventKind, jobID: JobID?, taskID: TaskInstanceID?, message: String, at: Date) async throws
        -> EventRecord

    /// Events with an id greater than `after`, oldest first, at most `limit`; pass 0 for the start.
    func events(after: Int64, limit: Int) async throws -> [EventRecord]

    // MARK: Leader lease

    /// Takes the leader lease until `until` if it is free, expired, or already held by
    /// `holder`. A new holder (or the same one after expiry) gets the next term.
    func acquireLeaderLease(holder: String, until: Date, now: Date) async throws -> LeaseOutcome

    /// Extends the lease; throws `leaseNotHeld` unless `holder` holds it and it has not expired.
    func renewLeaderLease(holder: String, until: Date, now: Date) async throws -> LeaderLease

    /// Gives the lease up at once if `holder` holds it; otherwise does nothing.
    func releaseLeaderLease(holder: String, now: Date) async throws

    /// The lease as last written, expired or not; nil if nobody ever held it.
    func leaderLease() async throws -> LeaderLease?
}

extension TitanStorage {
    /// Records the scheduler's placements without queueing launch orders. See
    /// ``assignTasks(_:at:queueLaunchOrders:)``.
    public func assignTasks(_ assignments: [TaskAssignment], at: Date) async throws -> AssignmentOutcome {
        try await assignTasks(assignments, at: at, queueLaunchOrders: false)
    }

    /// Records one placement; throws the refusal (`taskNotFound`, `transitionConflict`,
    /// `transitionNotAllowed`) instead of listing it. See ``assignTasks(_:at:)``.
    public func assignTask(_ assignment: TaskAssignment, at: Date) async throws -> TaskRecord {
        let outcome = try await assignTasks([assignment], at: at)
        if let refused = outcome.refused.first { throw refused.error }
        guard let task = outcome.assigned.first else { throw StoreError.taskNotFound(assignment.taskID) }
        return task
    }

    /// Sets or clears one task's pending reason. See ``setPendingReasons(_:)``.
    @discardableResult
    public func setPendingReason(taskID: TaskInstanceID, reason: String?) async throws -> Bool {
        try await setPendingReasons([PendingReasonUpdate(taskID: taskID, reason: reason)]) == 1
    }
}

/// What ``TitanStorage/createJob(_:id:clientToken:now:)`` did.
public struct JobCreation: Hashable, Sendable {
    public var job: JobRecord
    /// False when the client token matched an existing job, which is returned instead.
    public var created: Bool
    /// The new job's tasks; empty when `created` is false.
    public var tasks: [TaskRecord]

    public init(job: JobRecord, created: Bool, tasks: [TaskRecord]) {
        self.job = job
        self.created = created
        self.tasks = tasks
    }
}

/// Which jobs ``TitanStorage/listJobs(filter:page:)`` returns; nil fields match everything.
public struct JobFilter: Hashable, Sendable {
    public var statuses: Set<JobStatus>?
    /// The job name, exactly.
    public var name: String?
    public var kind: JobKind?

    public init(statuses: Set<JobStatus>? = nil, name: String? = nil, kind: JobKind? = nil) {
        self.statuses = statuses
        self.name = name
        self.kind = kind
    }

    public static let all = JobFilter()
}

/// Which page of a list to return.
public struct PageRequest: Hashable, Sendable {
    /// At most this many items: 1 to 10,000.
    public var limit: Int
    /// The `nextCursor` of the previous page; nil for the first.
    public var cursor: String?

    public init(limit: Int = 100, cursor: String? = nil) {
        self.limit = limit
        self.cursor = cursor
    }

    public static let maximumLimit = 10_000
}

/// A task state change reported by a host or decided by the control plane.
public struct TaskTransition: Hashable, Sendable {
    public var taskID: TaskInstanceID
    /// The attempt the report is about; a report about an older attempt is refused.
    public var attempt: Int
    /// The state the caller believes the task is in.
    public var from: TaskState
    public var to: TaskState
    /// Required when `to` is `finished`.
    public var finishReason: FinishReason?
    public var exitCode: Int?
    public var message: String?
    public var at: Date

    public init(
        taskID: TaskInstanceID,
        attempt: Int,
        from: TaskState,
        to: TaskState,
        finishReason: FinishReason? = nil,
        exitCode: Int? = nil,
        message: String? = nil,
        at: Date
    ) {
        self.taskID = taskID
        self.attempt = attempt
        self.from = from
        self.to = to
        self.finishReason = finishReason
        self.exitCode = exitCode
        self.message = message
        self.at = at
    }
}

/// What ``TitanStorage/recordTransition(_:)`` did.
public struct TransitionOutcome: Hashable, Sendable {
    public var task: TaskRecord
    /// On `finished`: whether and when the instance restarts.
    public var restart: RestartDecision?
    /// The job's status after the change.
    public var jobStatus: JobStatus

    public init(task: TaskRecord, restart: RestartDecision?, jobStatus: JobStatus) {
        self.task = task
        self.restart = restart
        self.jobStatus = jobStatus
    }
}

/// One placement from a scheduling iteration.
public struct TaskAssignment: Hashable, Sendable {
    public var taskID: TaskInstanceID
    public var attempt: Int
    public var host: HostID
    public var ports: [Int]
    public var resourceSets: [ResourceSetAssignment]

    public init(
        taskID: TaskInstanceID,
        attempt: Int,
        host: HostID,
        ports: [Int] = [],
        resourceSets: [ResourceSetAssignment] = []
    ) {
        self.taskID = taskID
        self.attempt = attempt
        self.host = host
        self.ports = ports
        self.resourceSets = resourceSets
    }
}

/// What ``TitanStorage/assignTasks(_:at:)`` did.
public struct AssignmentOutcome: Hashable, Sendable {
    /// The tasks now launched, in the order given.
    public var assigned: [TaskRecord]
    /// The assignments refused (task gone, no longer accepted, another attempt), with why.
    public var refused: [RefusedAssignment]
    /// The launch orders queued for the assigned tasks, when asked for.
    public var launchOrders: [QueuedAgentOrder]

    public init(assigned: [TaskRecord], refused: [RefusedAssignment], launchOrders: [QueuedAgentOrder] = []) {
        self.assigned = assigned
        self.refused = refused
        self.launchOrders = launchOrders
    }
}

/// An assignment that was not recorded.
public struct RefusedAssignment: Hashable, Sendable {
    public var assignment: TaskAssignment
    public var error: StoreError

    public init(assignment: TaskAssignment, error: StoreError) {
        self.assignment = assignment
        self.error = error
    }
}

/// A pending reason for one task; nil clears it.
public struct PendingReasonUpdate: Hashable, Sendable {
    public var taskID: TaskInstanceID
    public var reason: String?

    public init(taskID: TaskInstanceID, reason: String?) {
        self.taskID = taskID
        self.reason = reason
    }
}

/// What ``TitanStorage/updateDesiredInstances(jobID:count:now:)`` did.
public struct ScaleOutcome: Hashable, Sendable {
    public var job: JobRecord
    /// New tasks, `accepted`.
    public var added: [TaskRecord]
    /// Removed tasks still on hosts, marked `killRequested`: the caller kills them.
    public var toKill: [TaskRecord]

    public init(job: JobRecord, added: [TaskRecord], toKill: [TaskRecord]) {
        self.job = job
        self.added = added
        self.toKill = toKill
    }
}

/// What ``TitanStorage/markJobKilled(jobID:now:)`` did.
public struct KillOutcome: Hashable, Sendable {
    public var job: JobRecord
    /// Tasks on hosts, marked `killRequested`: the caller kills them.
    public var toKill: [TaskRecord]

    public init(job: JobRecord, toKill: [TaskRecord]) {
        self.job = job
        self.toKill = toKill
    }
}

/// Who leads, until when. `term` grows with every change of holder (and every re-acquisition
/// after expiry), so actions can be fenced: a leader whose term is stale must stop.
public struct LeaderLease: Hashable, Sendable {
    public var holder: String
    public var term: Int64
    public var acquiredAt: Date
    public var expiresAt: Date

    public init(holder: String, term: Int64, acquiredAt: Date, expiresAt: Date) {
        self.holder = holder
        self.term = term
        self.acquiredAt = acquiredAt
        self.expiresAt = expiresAt
    }
}

/// What ``TitanStorage/acquireLeaderLease(holder:until:now:)`` found.
public enum LeaseOutcome: Hashable, Sendable {
    /// The caller holds the lease.
    case acquired(LeaderLease)
    /// Someone else holds an unexpired lease.
    case heldByOther(LeaderLease)
}
