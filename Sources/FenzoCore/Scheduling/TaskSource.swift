/// Where an iteration takes its tasks from, one at a time, and tells what became of
/// each: a queue can then choose the next task knowing what the last one got (fair
/// shares move as tasks are placed).
public protocol TaskSource {
    /// The next task to try, or nil when the iteration should stop.
    mutating func nextTask() -> TaskRequest?
    /// The task was placed.
    mutating func taskPlaced(_ assignment: TaskAssignment)
    /// The task could not be placed in this iteration.
    mutating func taskNotPlaced(_ failure: TaskFailure)
}

extension TaskSource {
    public mutating func taskPlaced(_ assignment: TaskAssignment) {}
    public mutating func taskNotPlaced(_ failure: TaskFailure) {}
}

/// A fixed list of tasks, tried in order.
public struct TaskList: TaskSource, Sendable {
    public private(set) var tasks: [TaskRequest]
    private var position = 0

    public init(_ tasks: [TaskRequest]) { self.tasks = tasks }

    public mutating func nextTask() -> TaskRequest? {
        guard position < tasks.count else { return nil }
        defer { position += 1 }
        return tasks[position]
    }
}
