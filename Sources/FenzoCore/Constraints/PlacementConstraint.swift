/// A rule about where a task may go (hard) or should go (soft).
///
/// Every constraint can be used either way: as a hard constraint it removes hosts
/// from consideration; as a soft one it scores hosts in 0...1 and the score is
/// combined with fitness (see `SchedulerConfiguration.softConstraintWeight`).
public enum PlacementConstraint: Sendable, CustomStringConvertible {
    /// The host's attribute is one of `values`. `name` is the hostname.
    case hostAttributeValue(attribute: String, values: [String])
    /// The host is one of these; the same as `hostAttributeValue` on `name`.
    case hostname([HostName])
    /// No two tasks of the task's group on hosts sharing a value of `attribute`
    /// (`name`: one per host; `zone`: one per zone).
    case uniqueHostAttribute(String)
    /// Spread the task's group evenly over the values of `attribute`. `expectedValues`
    /// is how many values to spread over; by default, the number the known hosts have.
    case balancedHostAttribute(String, expectedValues: Int? = nil)
    /// The task is alone on its host: it needs an empty host and nothing joins it.
    /// As a soft constraint it prefers an empty host and does not keep others away.
    case exclusiveHost
    /// A rule of the caller's own.
    case custom(any CustomConstraint)

    /// A short name for messages, such as `uniqueHostAttr(zone)`.
    public var description: String {
        switch self {
        case .hostAttributeValue(let attribute, let values):
            "hostAttrValue(\(attribute) in \(values.joined(separator: ",")))"
        case .hostname(let names):
            "hostname(\(names.map(\.rawValue).joined(separator: ",")))"
        case .uniqueHostAttribute(let attribute):
            "uniqueHostAttr(\(attribute))"
        case .balancedHostAttribute(let attribute, let expected):
            expected.map { "balancedHostAttr(\(attribute), \($0) values)" } ?? "balancedHostAttr(\(attribute))"
        case .exclusiveHost:
            "exclusiveHost"
        case .custom(let constraint):
            constraint.name
        }
    }

    /// Every reason this constraint cannot be evaluated as it is written.
    public func problems() -> [String] {
        switch self {
        case .hostAttributeValue(let attribute, let values):
            var found: [String] = []
            if attribute.isEmpty { found.append("\(self): attribute name is empty") }
            if values.isEmpty { found.append("\(self): no values given, so no host could match") }
            return found
        case .hostname(let names):
            return names.isEmpty ? ["\(self): no hostnames given, so no host could match"] : []
        case .uniqueHostAttribute(let attribute), .balancedHostAttribute(let attribute, _):
            var found = attribute.isEmpty ? ["\(self): attribute name is empty"] : []
            if case .balancedHostAttribute(_, let expected?) = self, expected < 1 {
                found.append("\(self): expected values must be at least 1")
            }
            return found
        case .exclusiveHost, .custom:
            return []
        }
    }
}

/// A placement rule of the caller's own, usable as a hard or a soft constraint.
///
/// Evaluated for each candidate host; keep it cheap. A constraint that throws stops the
/// iteration: nothing is assigned and the error is reported in the result.
public protocol CustomConstraint: Sendable {
    /// The name used in failure reasons.
    var name: String { get }
    /// How well `host` suits `task`: a score of 0 rejects the host when the constraint
    /// is hard; any score weighs in when it is soft.
    func evaluate(_ task: TaskRequest, on host: HostView) throws -> ConstraintVerdict
}

/// What a custom constraint says of one host.
public struct ConstraintVerdict: Sendable, Hashable {
    /// 0...1; 0 rejects the host when the constraint is hard.
    public var score: Double
    /// Why the host was rejected or scored low, for failure reasons.
    public var reason: String?

    public init(score: Double, reason: String? = nil) {
        self.score = min(1, max(0, score.isNaN ? 0 : score))
        self.reason = reason
    }

    public static let accept = ConstraintVerdict(score: 1)
    public static func reject(_ reason: String) -> ConstraintVerdict { ConstraintVerdict(score: 0, reason: reason) }

    public var accepts: Bool { score > 0 }
}

/// A read-only view of a host as a candidate, given to custom constraints and
/// fitness calculators.
public struct HostView: Sendable {
    public var name: HostName
    public var attributes: [String: String]
    /// Free plus used: what the host has in all.
    public var total: Resources
    /// What is still free now, after the placements made so far in this iteration.
    public var free: Resources
    /// What running tasks and this iteration's placements use.
    public var used: Resources
    public var freePorts: Int
    /// How many tasks run on the host or were placed there this iteration.
    public var taskCount: Int
    /// The groups of those tasks, with how many tasks each. Filled for custom
    /// constraints; empty for fitness calculators, which never need it.
    public var tasksByGroup: [TaskGroup: Int]

    public init(
        name: HostName,
        attributes: [String: String] = [:],
        total: Resources,
        free: Resources,
        used: Resources = .zero,
        freePorts: Int = 0,
        taskCount: Int = 0,
        tasksByGroup: [TaskGroup: Int] = [:]
    ) {
        self.name = name
        self.attributes = attributes
        self.total = total
        self.free = free
        self.used = used
        self.freePorts = freePorts
        self.taskCount = taskCount
        self.tasksByGroup = tasksByGroup
    }
}
