/// Names a capacity group: a team or an application whose tasks share a fair share, a
/// guarantee and a cap within a tier.
public struct CapacityGroupName: Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }
    public static func < (lhs: CapacityGroupName, rhs: CapacityGroupName) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A task waiting in a `TieredTaskQueue`: the request, and where it waits in line.
public struct QueuedTask: Sendable {
    public var request: TaskRequest
    /// The task's tier; 0 is the most important (critical). Every ready task of a tier is
    /// tried before any task of the next one.
    public var tier: Int
    /// The capacity group (team or application) whose share the task draws on.
    public var capacityGroup: CapacityGroupName
    /// The task is not tried before this time (a retry backoff, a planned start); nil: as
    /// soon as possible.
    public var readyAt: Instant?
    /// The host group the task must run in (see `HostGroupPolicy`); nil: any group its
    /// capacity group may use.
    public var hostGroup: String?

    public init(
        _ request: TaskRequest,
        tier: Int = 0,
        capacityGroup: CapacityGroupName = "default",
        readyAt: Instant? = nil,
        hostGroup: String? = nil
    ) {
        self.request = request
        self.tier = tier
        self.capacityGroup = capacityGroup
        self.readyAt = readyAt
        self.hostGroup = hostGroup
    }

    public var id: TaskID { request.id }
}

/// One task an iteration placed out of the queue, with how long it waited, for metrics.
public struct QueuedPlacement: Sendable, Hashable {
    public var taskID: TaskID
    public var tier: Int
    public var capacityGroup: CapacityGroupName
    public var hostname: HostName
    /// When the task was enqueued.
    public var submittedAt: Instant
    /// From when the task could first be placed (enqueued, or its ready-at time if later)
    /// to the iteration that placed it.
    public var waited: Duration
}

/// Why a queued task is not running yet: the answer to "why is my task not running?".
public enum PendingReason: Sendable, Hashable, CustomStringConvertible {
    /// No iteration has tried the task since it was enqueued (or last changed).
    case awaitingIteration
    /// The task's ready-at time has not come.
    case notReady(until: Instant)
    /// The last iteration could not place it, for these reasons (resources, constraints,
    /// its capacity group's cap, its host group).
    case notPlaced([FailureReason])
    /// The scheduling service is paused; no iteration runs until it is resumed.
    case schedulingPaused

    public var description: String {
        switch self {
        case .awaitingIteration:
            "waiting for the next scheduling iteration"
        case .notReady(let until):
            "not ready before \(until)"
        case .notPlaced(let reasons):
            "not placed in the last iteration: " + reasons.map(\.description).joined(separator: "; ")
        case .schedulingPaused:
            "scheduling is paused"
        }
    }
}
