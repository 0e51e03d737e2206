/// What the autoscaler decided a host group needs; a provider carries it out.
public enum ScalingAction: Sendable, Hashable, CustomStringConvertible {
    /// Add `count` hosts to the group.
    case scaleUp(group: HostGroup, count: Int, reason: ScalingReason)
    /// Remove these hosts of the group. They are drained in the scheduler already: no
    /// new task lands on them.
    case scaleDown(group: HostGroup, hosts: [HostName], reason: ScalingReason)

    /// The group the action is for.
    public var group: HostGroup {
        switch self {
        case .scaleUp(let group, _, _), .scaleDown(let group, _, _): group
        }
    }

    /// Why the action was taken.
    public var reason: ScalingReason {
        switch self {
        case .scaleUp(_, _, let reason), .scaleDown(_, _, let reason): reason
        }
    }

    public var description: String {
        switch self {
        case .scaleUp(let group, let count, let reason):
            "scale up \(group) by \(count): \(reason)"
        case .scaleDown(let group, let hosts, let reason):
            "scale down \(group) by \(hosts.count) (\(hosts.map(\.rawValue).joined(separator: ", "))): \(reason)"
        }
    }
}

/// Why a group is grown or shrunk, with the figures that decided it.
public enum ScalingReason: Sendable, Hashable, CustomStringConvertible {
    /// Waiting tasks need this many hosts beyond the idle ones and those on their way.
    case shortfall(tasks: Int, hostsNeeded: Int)
    /// Fewer hosts are idle (or on their way) than the rule's minimum.
    case idleBelowMinimum(idle: Int, minimum: Int)
    /// More hosts are idle than the rule's maximum.
    case idleAboveMaximum(idle: Int, maximum: Int)
    /// The group is smaller than the rule's minimum size.
    case belowMinimumSize(size: Int, minimum: Int)
    /// The group is larger than the rule's maximum size.
    case aboveMaximumSize(size: Int, maximum: Int)
    /// The forecast says the group will need this many busy hosts in the next period
    /// (the idle minimum comes on top).
    case forecast(busyHosts: Int)

    public var description: String {
        switch self {
        case .shortfall(let tasks, let hosts):
            "\(tasks) waiting task(s) need \(hosts) more host(s)"
        case .idleBelowMinimum(let idle, let minimum):
            "\(idle) idle host(s), fewer than the minimum of \(minimum)"
        case .idleAboveMaximum(let idle, let maximum):
            "\(idle) idle host(s), more than the maximum of \(maximum)"
        case .belowMinimumSize(let size, let minimum):
            "\(size) host(s), fewer than the minimum size of \(minimum)"
        case .aboveMaximumSize(let size, let maximum):
            "\(size) host(s), more than the maximum size of \(maximum)"
        case .forecast(let busy):
            "the forecast needs \(busy) busy host(s) next period"
        }
    }
}

/// What became of an action a provider was asked to carry out.
public struct ScalingOutcome: Sendable {
    public var action: ScalingAction
    /// The provider's error, or nil if it accepted the action.
    public var error: (any Error)?

    public init(action: ScalingAction, error: (any Error)? = nil) {
        self.action = action
        self.error = error
    }

    public var succeeded: Bool { error == nil }
}
