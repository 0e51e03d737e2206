import Foundation

/// A task as the API shows it: one instance of a job, in its current attempt.
public struct TaskSummary: Hashable, Codable, Sendable {
    public var id: TaskInstanceID
    public var jobID: JobID
    /// The instance's index in the job, from 0; never reused.
    public var instanceIndex: Int
    public var cell: CellName
    /// The current attempt, from 0; each restart starts a new one.
    public var attempt: Int
    /// Failure restarts used so far, out of the job's `numRetries`.
    public var retriesUsed: Int
    public var state: TaskState
    /// Why the current attempt finished; set only in `finished`.
    public var finishReason: FinishReason?
    /// The host the attempt was placed on, from `launched` on.
    public var host: HostID?
    /// The host ports allocated to the attempt.
    public var ports: [Int]
    /// Why the scheduler could not place the task yet (set while `accepted`).
    public var pendingReason: String?
    /// The exit status, when the process exited.
    public var exitCode: Int?
    /// The last status message from the host or the scheduler.
    public var message: String?
    /// A kill was requested and has not completed.
    public var killRequested: Bool
    public var createdAt: Date
    public var updatedAt: Date
    public var launchedAt: Date?
    public var startedAt: Date?
    public var finishedAt: Date?
    /// When the instance will start its next attempt; set while a restart is pending.
    public var nextRestartAt: Date?

    public init(
        id: TaskInstanceID,
        jobID: JobID,
        instanceIndex: Int,
        cell: CellName,
        attempt: Int,
        retriesUsed: Int,
        state: TaskState,
        finishReason: FinishReason?,
        host: HostID?,
        ports: [Int],
        pendingReason: String?,
        exitCode: Int?,
        message: String?,
        killRequested: Bool,
        createdAt: Date,
        updatedAt: Date,
        launchedAt: Date?,
        startedAt: Date?,
        finishedAt: Date?,
        nextRestartAt: Date?
    ) {
        self.id = id
        self.jobID = jobID
        self.instanceIndex = instanceIndex
        self.cell = cell
        self.attempt = attempt
        self.retriesUsed = retriesUsed
        self.state = state
        self.finishReason = finishReason
        self.host = host
        self.ports = ports
        self.pendingReason = pendingReason
        self.exitCode = exitCode
        self.message = message
        self.killRequested = killRequested
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.launchedAt = launchedAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.nextRestartAt = nextRestartAt
    }
}

/// How many of a job's tasks are in each state.
public struct TaskStateCounts: Hashable, Codable, Sendable {
    public var accepted = 0
    public var launched = 0
    public var startInitiated = 0
    public var started = 0
    public var killInitiated = 0
    public var finished = 0

    public init() {}

    public subscript(state: TaskState) -> Int {
        get {
            switch state {
            case .accepted: accepted
            case .launched: launched
            case .startInitiated: startInitiated
            case .started: started
            case .killInitiated: killInitiated
            case .finished: finished
            }
        }
        set {
            switch state {
            case .accepted: accepted = newValue
            case .launched: launched = newValue
            case .startInitiated: startInitiated = newValue
            case .started: started = newValue
            case .killInitiated: killInitiated = newValue
            case .finished: finished = newValue
            }
        }
    }

    /// All tasks counted.
    public var total: Int { TaskState.allCases.reduce(0) { $0 + self[$1] } }
}
