/// A group of interchangeable hosts that grows and shrinks as one, such as an AWS Auto
/// Scaling group; a host belongs to the group named by its group attribute.
public struct HostGroup: Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }
    public static func < (lhs: HostGroup, rhs: HostGroup) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// How one host group is sized: the idle hosts it keeps ready, how fast it may change,
/// and the bounds on its size.
///
/// Idle hosts (no tasks, offering at least `minimumIdleHostSize`) are the headroom that
/// lets new tasks start at once. When fewer than `minIdleHosts` are idle the group
/// grows until `maxIdleHosts` would be; when more than `maxIdleHosts` are idle the extra
/// ones are removed. Keeping the two apart stops the group from flapping.
public struct AutoscaleRule: Sendable {
    /// The group this rule sizes: hosts whose group attribute has this value.
    public var group: HostGroup
    /// Fewer idle hosts than this makes the group grow (to `maxIdleHosts` idle).
    public var minIdleHosts: Int
    /// More idle hosts than this makes the group shrink (to this many idle).
    public var maxIdleHosts: Int
    /// The least time between two scale-ups, and between any action and a scale-down;
    /// also the least time a host added to the fleet stays before it may be removed.
    /// Growth for tasks that are waiting does not wait for it.
    public var coolDown: Duration
    /// The group never shrinks below this many hosts, and grows to it if smaller.
    public var minSize: Int
    /// The group never grows above this many hosts, and shrinks to it if larger.
    public var maxSize: Int
    /// An idle host offering less than this in any resource does not count as idle
    /// headroom (and is not picked for removal): it could not take a typical task.
    public var minimumIdleHostSize: Resources
    /// What a new host of the group offers, used to work out how many hosts waiting
    /// tasks need. When nil it is learned from the group's hosts (the largest of each
    /// resource); set it when the group may be empty.
    public var hostShape: HostShape?

    public init(
        group: HostGroup,
        minIdleHosts: Int,
        maxIdleHosts: Int,
        coolDown: Duration,
        minSize: Int = 0,
        maxSize: Int = Int.max,
        minimumIdleHostSize: Resources = .zero,
        hostShape: HostShape? = nil
    ) {
        self.group = group
        self.minIdleHosts = minIdleHosts
        self.maxIdleHosts = maxIdleHosts
        self.coolDown = coolDown
        self.minSize = minSize
        self.maxSize = maxSize
        self.minimumIdleHostSize = minimumIdleHostSize
        self.hostShape = hostShape
    }

    /// Every reason this rule cannot be used as it is written.
    public func problems() -> [String] {
        var found: [String] = []
        let name = "rule for group \(group)"
        if group.rawValue.isEmpty { found.append("a rule has an empty group name") }
        if minIdleHosts < 0 { found.append("\(name): minIdleHosts is negative (\(minIdleHosts))") }
        if maxIdleHosts < minIdleHosts {
            found.append("\(name): maxIdleHosts (\(maxIdleHosts)) is below minIdleHosts (\(minIdleHosts))")
        }
        if coolDown < .zero { found.append("\(name): coolDown is negative (\(coolDown))") }
        if minSize < 0 { found.append("\(name): minSize is negative (\(minSize))") }
        if maxSize < minSize { found.append("\(name): maxSize (\(maxSize)) is below minSize (\(minSize))") }
        found += minimumIdleHostSize.problems().map { "\(name): minimumIdleHostSize: \($0)" }
        if let hostShape { found += hostShape.problems().map { "\(name): hostShape: \($0)" } }
        return found
    }
}

/// What one new host of a group offers when it joins: resources, ports, named scalars
/// and attributes (the group attribute and the balance attribute are added for it).
public struct HostShape: Sendable, Hashable {
    public var resources: Resources
    public var ports: PortRanges
    public var scalars: [String: Double]
    /// Attributes every host of the group has, such as `instanceType`.
    public var attributes: [String: String]

    public init(
        resources: Resources,
        ports: PortRanges = .none,
        scalars: [String: Double] = [:],
        attributes: [String: String] = [:]
    ) {
        self.resources = resources
        self.ports = ports
        self.scalars = scalars
        self.attributes = attributes
    }

    /// Every reason this shape could not be offered as a lease.
    public func problems() -> [String] {
        var found = resources.problems() + ports.problems()
        for (name, amount) in scalars.sorted(by: { $0.key < $1.key })
        where amount.isNaN || amount.isInfinite || amount < 0 {
            found.append("scalar \(name) is \(amount); it must be a finite number of at least 0")
        }
        return found
    }
}

/// Every knob of the autoscaler, named, documented and defaulted.
public struct AutoscalerConfiguration: Sendable {
    /// The host attribute whose value names a host's group, such as `group` or
    /// `instanceGroup`. Hosts without it, or in a group without a rule, are left alone.
    public var groupAttribute: String
    /// The host attribute to keep balanced when removing hosts, such as `zone`: idle
    /// hosts are taken from the value with the most idle hosts first, so the ones left
    /// are spread evenly. Nil removes hosts in name order.
    public var balanceAttribute: String?
    /// One rule per group, in order of preference: a waiting task that hosts of several
    /// groups could take is counted against the first.
    public var rules: [AutoscaleRule]
    /// Hosts picked for removal are kept free of new tasks for this long; a host still
    /// in the fleet after it takes tasks again (its removal is taken to have failed).
    public var drainTimeout: Duration
    /// Hosts asked for and not seen within this long are taken never to come, so they
    /// stop counting as on their way.
    public var bootTimeout: Duration
    /// At most this many partly used hosts are tried when looking for scale-down hints;
    /// each try schedules the host's tasks on a copy of the scheduler.
    public var maxHintCandidates: Int
    /// Hosts running more tasks than this are not tried for scale-down hints.
    public var maxTasksMovedPerHint: Int

    public init(
        groupAttribute: String,
        balanceAttribute: String? = nil,
        rules: [AutoscaleRule],
        drainTimeout: Duration = .seconds(3600),
        bootTimeout: Duration = .seconds(600),
        maxHintCandidates: Int = 64,
        maxTasksMovedPerHint: Int = 8
    ) {
        self.groupAttribute = groupAttribute
        self.balanceAttribute = balanceAttribute
        self.rules = rules
        self.drainTimeout = drainTimeout
        self.bootTimeout = bootTimeout
        self.maxHintCandidates = maxHintCandidates
        self.maxTasksMovedPerHint = maxTasksMovedPerHint
    }

    /// Every reason this configuration cannot be used as it is.
    public func problems() -> [String] {
        var found: [String] = []
        if groupAttribute.isEmpty {
            found.append("groupAttribute is empty; name the attribute that gives a host's group")
        }
        if balanceAttribute?.isEmpty == true { found.append("balanceAttribute is empty; use nil for no balancing") }
        var seen = Set<HostGroup>()
        for rule in rules {
            found += rule.problems()
            if !seen.insert(rule.group).inserted { found.append("group \(rule.group) has more than one rule") }
        }
        if drainTimeout <= .zero { found.append("drainTimeout must be positive (is \(drainTimeout))") }
        if bootTimeout <= .zero { found.append("bootTimeout must be positive (is \(bootTimeout))") }
        if maxHintCandidates < 0 { found.append("maxHintCandidates is negative (\(maxHintCandidates))") }
        if maxTasksMovedPerHint < 1 { found.append("maxTasksMovedPerHint must be at least 1") }
        return found
    }
}

/// An autoscaler that cannot be set up as asked, with what to change.
public struct AutoscalerError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case invalidConfiguration
    }

    private let code: Code
    /// What is wrong and what to do about it.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    static func invalidConfiguration(_ problems: [String]) -> AutoscalerError {
        AutoscalerError(
            .invalidConfiguration,
            "autoscaler configuration is invalid: " + problems.joined(separator: "; ")
        )
    }
}
