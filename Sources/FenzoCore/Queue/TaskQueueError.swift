/// An error from a queue or scheduling service operation, with a message a person can
/// act on.
public struct TaskQueueError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case invalidConfiguration
        case invalidTask
        case unknownTier
        case duplicateTask
        case unknownTask
        case tierStillUsed
        case serviceStopped
        case serviceAlreadyRunning
    }

    private let code: Code
    /// What went wrong and what to do about it.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    static func invalidConfiguration(_ problems: [String]) -> TaskQueueError {
        TaskQueueError(.invalidConfiguration, "the queue configuration is invalid: " + problems.joined(separator: "; "))
    }
    static func invalidTask(_ id: TaskID, _ problems: [String]) -> TaskQueueError {
        TaskQueueError(.invalidTask, "task \(id) cannot be queued: " + problems.joined(separator: "; "))
    }
    static func unknownTier(_ id: TaskID, tier: Int, tierCount: Int) -> TaskQueueError {
        TaskQueueError(
            .unknownTier,
            "task \(id) names tier \(tier), but the queue has tiers 0...\(tierCount - 1); "
                + "use one of those or add a TierConfiguration"
        )
    }
    static func duplicateTask(_ id: TaskID, running: Bool) -> TaskQueueError {
        TaskQueueError(
            .duplicateTask,
            running
                ? "task \(id) is already running; end it (taskEnded) before queueing it again"
                : "task \(id) is already queued; remove it first or give the new task another id"
        )
    }
    static func unknownTask(_ id: TaskID) -> TaskQueueError {
        TaskQueueError(.unknownTask, "task \(id) is not queued: it was placed, removed or never enqueued")
    }
    static func tierStillUsed(_ tier: Int, tasks: Int) -> TaskQueueError {
        TaskQueueError(
            .tierStillUsed,
            "tier \(tier) still holds \(tasks) queued or running task(s); move or remove them before dropping the tier"
        )
    }
    static let serviceStopped = TaskQueueError(
        .serviceStopped,
        "the scheduling service has shut down and takes no more changes; start a new one"
    )
    static let serviceAlreadyRunning = TaskQueueError(
        .serviceAlreadyRunning,
        "the scheduling service is already running (or has run); call run() once per service"
    )
}
