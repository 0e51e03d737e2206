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

/// Whether an autoscaler runs in this titan-api, the groups it sizes, and its latest actions.
public struct AutoscalerStatus: Hashable, Codable, Sendable {
    /// False while titan-api runs no autoscaler: the fleet is what registers.
    public var enabled: Bool
    /// What carries the actions out ("simulated" for the simulated fleet); nil when off.
    public var provider: String?
    /// Each host group with a rule: the rule and the group as the latest evaluation found it.
    public var groups: [AutoscalerGroup]
    /// The latest actions (at most 50), newest first.
    public var actions: [AutoscalerAction]

    public init(enabled: Bool, provider: String? = nil, groups: [AutoscalerGroup] = [], actions: [AutoscalerAction]) {
        self.enabled = enabled
        self.provider = provider
        self.groups = groups
        self.actions = actions
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try container.decode(Bool.self, forKey: .enabled)
        provider = try container.decodeIfPresent(String.self, forKey: .provider)
        groups = try container.decodeIfPresent([AutoscalerGroup].self, forKey: .groups) ?? []
        actions = try container.decode([AutoscalerAction].self, forKey: .actions)
    }
}

/// One host group the autoscaler sizes: its rule, and its hosts at the latest evaluation.
public struct AutoscalerGroup: Hashable, Codable, Sendable {
    public var group: String
    /// The rule: fewer idle hosts than `minIdleHosts` grows the group until `maxIdleHosts`
    /// would be idle; more than `maxIdleHosts` idle removes the extra ones.
    public var minIdleHosts: Int
    public var maxIdleHosts: Int
    /// The least time between scale-ups, and between any action and a scale-down; a new host
    /// stays at least this long.
    public var coolDownSeconds: Double
    /// The group is kept between these sizes.
    public var minHosts: Int
    public var maxHosts: Int
    /// Hosts in the group, not counting those being removed.
    public var hosts: Int
    /// Hosts with no tasks that could take tasks now.
    public var idle: Int
    /// Hosts running tasks.
    public var busy: Int
    /// Hosts picked for removal and not gone yet (they take no new tasks).
    public var draining: Int
    /// Hosts asked for and not registered yet.
    public var coming: Int
    /// Waiting tasks counted against the group, and the new hosts they need.
    public var waitingTasks: Int
    public var hostsNeeded: Int

    public init(
        group: String,
        minIdleHosts: Int,
        maxIdleHosts: Int,
        coolDownSeconds: Double,
        minHosts: Int,
        maxHosts: Int,
        hosts: Int = 0,
        idle: Int = 0,
        busy: Int = 0,
        draining: Int = 0,
        coming: Int = 0,
        waitingTasks: Int = 0,
        hostsNeeded: Int = 0
    ) {
        self.group = group
        self.minIdleHosts = minIdleHosts
        self.maxIdleHosts = maxIdleHosts
        self.coolDownSeconds = coolDownSeconds
        self.minHosts = minHosts
        self.maxHosts = maxHosts
        self.hosts = hosts
        self.idle = idle
        self.busy = busy
        self.draining = draining
        self.coming = coming
        self.waitingTasks = waitingTasks
        self.hostsNeeded = hostsNeeded
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
    /// Why, in words ("3 waiting task(s) need 2 more host(s)").
    public var reason: String
    /// The provider's error if it refused or failed the action; nil when it was carried out.
    public var error: String?

    public init(
        at: Date,
        group: String,
        direction: ScalingDirection,
        hostCount: Int,
        hosts: [HostID],
        reason: String,
        error: String? = nil
    ) {
        self.at = at
        self.group = group
        self.direction = direction
        self.hostCount = hostCount
        self.hosts = hosts
        self.reason = reason
        self.error = error
    }
}

/// Whether an autoscaler action added hosts or removed them.
public enum ScalingDirection: String, Hashable, Codable, CaseIterable, Sendable {
    case up
    case down
}
