import Foundation

/// `GET /v1/status`: the fleet at a glance, for `titanctl status`: hosts, what they offer and
/// what tasks hold, what waits for a host and why, and what the autoscaler did.
public struct FleetStatus: Hashable, Codable, Sendable {
    /// When the server took the figures.
    public var at: Date
    public var hosts: HostCounts
    /// What the hosts that are up offer in all (disabled ones included: they keep their tasks).
    public var capacity: ResourceAmounts
    /// What the tasks on those hosts hold, from their jobs' specs.
    public var used: ResourceAmounts
    /// Every task not finished, by state.
    public var tasks: TaskStateCounts
    /// Jobs with at least one task not finished.
    public var jobsWithLiveTasks: Int
    /// Tasks waiting for a host (`accepted`), grouped by their pending reason, most tasks first.
    public var pending: [PendingTaskGroup]
    public var autoscaler: AutoscalerStatus

    public init(
        at: Date,
        hosts: HostCounts,
        capacity: ResourceAmounts,
        used: ResourceAmounts,
        tasks: TaskStateCounts,
        jobsWithLiveTasks: Int,
        pending: [PendingTaskGroup],
        autoscaler: AutoscalerStatus
    ) {
        self.at = at
        self.hosts = hosts
        self.capacity = capacity
        self.used = used
        self.tasks = tasks
        self.jobsWithLiveTasks = jobsWithLiveTasks
        self.pending = pending
        self.autoscaler = autoscaler
    }
}

/// How many hosts there are and how they are doing.
public struct HostCounts: Hashable, Codable, Sendable {
    public var total: Int
    public var up: Int
    public var down: Int
    /// Hosts (up or down) that take no new tasks now.
    public var disabled: Int

    public init(total: Int, up: Int, down: Int, disabled: Int) {
        self.total = total
        self.up = up
        self.down = down
        self.disabled = disabled
    }
}

/// An amount of each resource a task asks for, in the job spec's units.
public struct ResourceAmounts: Hashable, Codable, Sendable {
    public var cpus: Double
    public var memoryMB: Int
    public var diskGB: Int
    public var networkMbps: Int

    public init(cpus: Double = 0, memoryMB: Int = 0, diskGB: Int = 0, networkMbps: Int = 0) {
        self.cpus = cpus
        self.memoryMB = memoryMB
        self.diskGB = diskGB
        self.networkMbps = networkMbps
    }
}

/// Waiting tasks that share one pending reason.
public struct PendingTaskGroup: Hashable, Codable, Sendable {
    /// The scheduler's reason, in words ("cpus: needs 32 cpus, the most free on any host is
    /// 16 cpus"); ``notTriedReason`` for tasks no iteration has tried yet.
    public var reason: String
    public var taskCount: Int
    /// How many jobs those tasks belong to.
    public var jobCount: Int
    /// A few of the tasks (at most ``exampleLimit``), to look at with `titanctl task get`.
    public var exampleTaskIDs: [TaskInstanceID]

    public init(reason: String, taskCount: Int, jobCount: Int, exampleTaskIDs: [TaskInstanceID]) {
        self.reason = reason
        self.taskCount = taskCount
        self.jobCount = jobCount
        self.exampleTaskIDs = exampleTaskIDs
    }

    /// The reason given for waiting tasks without one.
    public static let notTriedReason = "not tried yet: waiting for the next scheduling iteration"
    /// The most example task ids a group lists.
    public static let exampleLimit = 3
}

/// Whether an autoscaler runs in this titan-api, and its latest actions.
public struct AutoscalerStatus: Hashable, Codable, Sendable {
    /// False while titan-api runs no autoscaler: the fleet is what registers.
    public var enabled: Bool
    /// The latest actions, newest first.
    public var actions: [AutoscalerAction]

    public init(enabled: Bool, actions: [AutoscalerAction]) {
        self.enabled = enabled
        self.actions = actions
    }
}

/// One decision of the autoscaler: hosts added to or removed from a host group, and why.
public struct AutoscalerAction: Hashable, Codable, Sendable {
    public var at: Date
    /// The host group (autoscaling group) acted on.
    public var group: String
    public var direction: ScalingDirection
    /// Hosts asked for (up) or removed (down).
    public var hostCount: Int
    /// The hosts removed; empty when scaling up.
    public var hosts: [HostID]
    /// Why, in words ("3 tasks could not fit; 2 hosts needed").
    public var reason: String

    public init(
        at: Date,
        group: String,
        direction: ScalingDirection,
        hostCount: Int,
        hosts: [HostID],
        reason: String
    ) {
        self.at = at
        self.group = group
        self.direction = direction
        self.hostCount = hostCount
        self.hosts = hosts
        self.reason = reason
    }
}

/// Whether an autoscaler action added hosts or removed them.
public enum ScalingDirection: String, Hashable, Codable, CaseIterable, Sendable {
    case up
    case down
}
