import Foundation

/// One recorded state change of a task, oldest first in the store's `taskHistory(id:)` and `GET /v1/tasks/{id}`.
public struct TaskHistoryEntry: Hashable, Codable, Sendable {
    public var taskID: TaskInstanceID
    /// The attempt the change belongs to (a restart is recorded under the new attempt).
    public var attempt: Int
    public var from: TaskState
    public var to: TaskState
    public var finishReason: FinishReason?
    public var at: Date
    /// What caused it, such as the host's status message, `restart` or `job killed`.
    public var message: String?

    public init(
        taskID: TaskInstanceID,
        attempt: Int,
        from: TaskState,
        to: TaskState,
        finishReason: FinishReason?,
        at: Date,
        message: String?
    ) {
        self.taskID = taskID
        self.attempt = attempt
        self.from = from
        self.to = to
        self.finishReason = finishReason
        self.at = at
        self.message = message
    }
}

/// `GET /v1/tasks/{id}`: the task, its history of every attempt, and the latest resource use
/// its agent reported for the current run.
public struct TaskDetail: Hashable, Codable, Sendable {
    public var task: TaskSummary
    public var history: [TaskHistoryEntry]
    public var usage: TaskUsage?

    public init(task: TaskSummary, history: [TaskHistoryEntry], usage: TaskUsage?) {
        self.task = task
        self.history = history
        self.usage = usage
    }
}
