import Foundation
import TitanModel

/// One instance of a job, as stored, in its current attempt.
///
/// The row lives as long as the job: a restart starts a new attempt on the same row
/// (attempt + 1, back to `accepted`); `task_transitions` keeps the history of every attempt.
public struct TaskRecord: Hashable, Sendable {
    public var id: TaskInstanceID
    public var jobID: JobID
    public var instanceIndex: Int
    public var cell: CellName
    public var attempt: Int
    /// Failure restarts used, out of the job's `numRetries`.
    public var retriesUsed: Int
    public var state: TaskState
    public var finishReason: FinishReason?
    public var host: HostID?
    public var ports: [Int]
    public var resourceSets: [ResourceSetAssignment]
    public var exitCode: Int?
    /// Why the scheduler has not placed it yet; only kept while `accepted`.
    public var pendingReason: String?
    /// The last status message.
    public var message: String?
    /// A kill was requested and the task has not finished yet.
    public var killRequested: Bool
    /// False once a scale-down removed the instance from the job's desired set.
    public var isDesired: Bool
    public var createdAt: Date
    public var updatedAt: Date
    public var launchedAt: Date?
    public var startedAt: Date?
    public var finishedAt: Date?
    /// When the next attempt starts; set while a restart is pending.
    public var nextRestartAt: Date?

    public init(
        id: TaskInstanceID,
        jobID: JobID,
        instanceIndex: Int,
        cell: CellName,
        attempt: Int = 0,
        retriesUsed: Int = 0,
        state: TaskState = .accepted,
        finishReason: FinishReason? = nil,
        host: HostID? = nil,
        ports: [Int] = [],
        resourceSets: [ResourceSetAssignment] = [],
        exitCode: Int? = nil,
        pendingReason: String? = nil,
        message: String? = nil,
        killRequested: Bool = false,
        isDesired: Bool = true,
        createdAt: Date,
        updatedAt: Date,
        launchedAt: Date? = nil,
        startedAt: Date? = nil,
        finishedAt: Date? = nil,
        nextRestartAt: Date? = nil
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
        self.resourceSets = resourceSets
        self.exitCode = exitCode
        self.pendingReason = pendingReason
        self.message = message
        self.killRequested = killRequested
        self.isDesired = isDesired
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.launchedAt = launchedAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.nextRestartAt = nextRestartAt
    }

    /// Finished with no restart pending: the instance will not run again.
    public var isFinishedForGood: Bool { state == .finished && nextRestartAt == nil }

    /// The API's view of the task.
    public var summary: TaskSummary {
        TaskSummary(
            id: id,
            jobID: jobID,
            instanceIndex: instanceIndex,
            cell: cell,
            attempt: attempt,
            retriesUsed: retriesUsed,
            state: state,
            finishReason: finishReason,
            host: host,
            ports: ports,
            pendingReason: pendingReason,
            exitCode: exitCode,
            message: message,
            killRequested: killRequested,
            createdAt: createdAt,
            updatedAt: updatedAt,
            launchedAt: launchedAt,
            startedAt: startedAt,
            finishedAt: finishedAt,
            nextRestartAt: nextRestartAt
        )
    }
}
