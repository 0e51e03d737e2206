/// A string that names something, as a type of its own so one kind of name cannot be
/// passed where another is meant. Conformers get literals, ordering and printing.
public protocol SchedulingIdentifier: Hashable, Comparable, Sendable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    var rawValue: String { get }
    init(_ rawValue: String)
}

extension SchedulingIdentifier {
    public init(stringLiteral value: String) { self.init(value) }
    public var description: String { rawValue }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Identifies a task for its whole life, across iterations, restarts and hosts.
public struct TaskID: SchedulingIdentifier {
    public var rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
}

/// The name a host is known by; unique in the fleet and also its `name` attribute.
public struct HostName: SchedulingIdentifier {
    public var rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
}

/// Identifies one lease (an offer of a host's free resources).
public struct LeaseID: SchedulingIdentifier {
    public var rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
}

/// The group a task belongs to, normally its job. Group-scoped constraints
/// (unique and balanced host attributes) count the tasks of one group.
public struct TaskGroup: SchedulingIdentifier {
    public var rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
}
