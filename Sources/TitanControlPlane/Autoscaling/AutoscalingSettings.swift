import FenzoCore

/// The host attribute that names a host's group: the autoscaler sizes each group by its rule.
public enum HostGroupAttribute {
    public static let name = "group"
}

/// How titan-api's autoscaler sizes its provider's host group (the command line's
/// `--autoscale-*` options). Off unless asked for.
public struct AutoscalingSettings: Sendable, Hashable {
    /// Fewer idle hosts than this grows the group until `maxIdleHosts` would be idle.
    public var minIdleHosts: Int
    /// More idle hosts than this removes the extra ones (drained first, removed once idle).
    public var maxIdleHosts: Int
    /// The least time between scale-ups, and between any action and a scale-down; a host added
    /// stays at least this long. Growth for waiting tasks does not wait for it.
    public var coolDown: Duration
    /// The group never shrinks below this many hosts (and grows to it).
    public var minHosts: Int
    /// The group never grows beyond this many hosts.
    public var maxHosts: Int
    /// The autoscaler evaluates after scheduling iterations, at most this often.
    public var evaluationInterval: Duration

    public init(
        minIdleHosts: Int = 1,
        maxIdleHosts: Int = 2,
        coolDown: Duration = .seconds(120),
        minHosts: Int = 0,
        maxHosts: Int = 100,
        evaluationInterval: Duration = .seconds(5)
    ) {
        self.minIdleHosts = minIdleHosts
        self.maxIdleHosts = maxIdleHosts
        self.coolDown = coolDown
        self.minHosts = minHosts
        self.maxHosts = maxHosts
        self.evaluationInterval = evaluationInterval
    }

    /// Every reason these settings cannot be used, worded with the command line's option names.
    public func problems() -> [String] {
        var found: [String] = []
        if minIdleHosts < 0 { found.append("--autoscale-min-idle must be 0 or more (got \(minIdleHosts))") }
        if maxIdleHosts < minIdleHosts {
            found.append(
                "--autoscale-max-idle (\(maxIdleHosts)) must be at least --autoscale-min-idle (\(minIdleHosts))"
            )
        }
        if coolDown < .zero { found.append("--autoscale-cooldown must be 0 seconds or more") }
        if minHosts < 0 { found.append("--autoscale-min-hosts must be 0 or more (got \(minHosts))") }
        if maxHosts < 1 { found.append("--autoscale-max-hosts must be 1 or more (got \(maxHosts))") }
        if maxHosts < minHosts {
            found.append("--autoscale-max-hosts (\(maxHosts)) must be at least --autoscale-min-hosts (\(minHosts))")
        }
        if evaluationInterval <= .zero { found.append("--autoscale-interval must be above 0 seconds") }
        return found
    }

    /// FenzoCore's rule for `group`, with what a new host offers.
    func rule(for group: HostGroup, hostShape: HostShape?) -> AutoscaleRule {
        AutoscaleRule(
            group: group,
            minIdleHosts: minIdleHosts,
            maxIdleHosts: maxIdleHosts,
            coolDown: coolDown,
            minSize: minHosts,
            maxSize: maxHosts,
            // A host offering nothing (disabled, or lost) is not idle headroom.
            minimumIdleHostSize: Resources(cpus: 0.01, memoryMB: 1),
            hostShape: hostShape
        )
    }
}
