/// One reason a task could not be placed, in words a person can act on.
public enum FailureReason: Sendable, Hashable, CustomStringConvertible {
    /// The request itself is unusable (negative or NaN resources, an empty id, ...).
    case invalidRequest([String])
    /// A task with this id already runs or was already tried in this iteration.
    case duplicateTaskID
    /// No host has offered resources.
    case noHostsOffered
    /// Even the host with the most of this resource free has less than the task needs.
    case insufficientResource(ResourceKind, needed: Double, mostFree: Double)
    /// Even the host with the most free ports has fewer than the task needs.
    case insufficientPorts(needed: Int, mostFree: Int)
    /// Even the host with the most of this named resource free has less than needed.
    case insufficientScalar(name: String, needed: Double, mostFree: Double)
    /// No host has a set of this resource free for the label (or it asks more slots
    /// than a set has).
    case insufficientResourceSet(name: String, label: String, slots: Int)
    /// Each resource is free somewhere, but no host has all of them at once; how many
    /// offered hosts fell short of each.
    case resourcesNotTogether(hostsShort: [String: Int], hostsOffered: Int)
    /// A hard constraint ruled out hosts that had room.
    case constraint(name: String, hostsRejected: Int, detail: String)
    /// A custom constraint threw while being evaluated.
    case constraintError(name: String, message: String)
    /// Hosts that could otherwise be used are disabled.
    case hostsDisabled(count: Int, until: Instant)
    /// The iteration was abandoned before this task could be placed.
    case iterationAbandoned(String)
    /// The task's capacity group would go over its cap in this tier: it waits until the
    /// group's running tasks end. A policy limit, not a shortage of hosts.
    case capacityGroupAtCap(CapacityGroupName, ResourceKind, cap: Double, used: Double, needed: Double)

    /// Whether more hosts like the ones known could fix this: a shortage of resources
    /// rather than a constraint or bad input.
    public var isResourceShortage: Bool {
        switch self {
        case .noHostsOffered, .insufficientResource, .insufficientPorts, .insufficientScalar,
            .insufficientResourceSet, .resourcesNotTogether:
            true
        case .invalidRequest, .duplicateTaskID, .constraint, .constraintError, .hostsDisabled,
            .iterationAbandoned, .capacityGroupAtCap:
            false
        }
    }

    public var description: String {
        switch self {
        case .invalidRequest(let problems):
            return "invalid request: " + problems.joined(separator: "; ")
        case .duplicateTaskID:
            return "duplicate task id: a task with this id already runs or was already tried in this iteration"
        case .noHostsOffered:
            return "no host has offered resources"
        case .insufficientResource(let kind, let needed, let mostFree):
            return "\(kind.displayName): needs \(needed.compactText) \(kind.unit), "
                + "the most free on any host is \(mostFree.compactText) \(kind.unit)"
        case .insufficientPorts(let needed, let mostFree):
            return "ports: needs \(needed), the most free on any host is \(mostFree)"
        case .insufficientScalar(let name, let needed, let mostFree):
            return "\(name): needs \(needed.compactText), the most free on any host is \(mostFree.compactText)"
        case .insufficientResourceSet(let name, let label, let slots):
            return "resource set \(name): no host has a set free for \(label) with \(slots) slot(s)"
        case .resourcesNotTogether(let short, let offered):
            let parts = short.sorted { $0.key < $1.key }.map { "\($0.value) short of \($0.key)" }
            return "no host has all the resources free at once: of \(offered) hosts offering, "
                + parts.joined(separator: ", ")
        case .constraint(let name, _, let detail):
            return "constraint \(name): \(detail)"
        case .constraintError(let name, let message):
            return "constraint \(name) failed to evaluate: \(message)"
        case .hostsDisabled(let count, let until):
            return "\(count) host(s) that could take it are disabled, the first until \(until)"
        case .iterationAbandoned(let why):
            return "not tried: the iteration was abandoned (\(why))"
        case .capacityGroupAtCap(let group, let kind, let cap, let used, let needed):
            let what = kind == .cpus ? "cpus" : "\(kind.unit) of \(kind.displayName)"
            return "capacity group \(group) is at its cap of \(cap.compactText) \(what) "
                + "(\(used.compactText) in use, the task needs \(needed.compactText))"
        }
    }
}

/// An error from a scheduler operation, with a message a person can act on.
public struct SchedulingError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case invalidLease
        case duplicateLease
        case unknownLease
        case unknownHost
        case unknownTask
        case duplicateTask
        case invalidTask
        case conflictingRunningTask
        case constraintThrew
    }

    private let code: Code
    /// What went wrong and what to do about it.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    static func invalidLease(_ id: LeaseID, _ problems: [String]) -> SchedulingError {
        SchedulingError(.invalidLease, "lease \(id) is invalid: " + problems.joined(separator: "; "))
    }
    static func duplicateLease(_ id: LeaseID, host: HostName) -> SchedulingError {
        SchedulingError(.duplicateLease, "lease \(id) was already offered for host \(host); give each lease a new id")
    }
    static func unknownLease(_ id: LeaseID) -> SchedulingError {
        SchedulingError(.unknownLease, "no lease \(id) is held: it was used, expired or never offered")
    }
    static func unknownHost(_ name: HostName) -> SchedulingError {
        SchedulingError(.unknownHost, "host \(name) is not known: it has never offered a lease")
    }
    static func unknownTask(_ id: TaskID) -> SchedulingError {
        SchedulingError(.unknownTask, "task \(id) is not running on any host the scheduler knows")
    }
    static func duplicateTask(_ id: TaskID, host: HostName) -> SchedulingError {
        SchedulingError(.duplicateTask, "task \(id) already runs on host \(host); remove it before adding it again")
    }
    static func invalidTask(_ id: TaskID, _ problems: [String]) -> SchedulingError {
        SchedulingError(.invalidTask, "task \(id) is invalid: " + problems.joined(separator: "; "))
    }
    static func conflictingRunningTask(_ id: TaskID, _ why: String) -> SchedulingError {
        SchedulingError(.conflictingRunningTask, "task \(id) cannot be recorded as running: \(why)")
    }
    static func constraintThrew(_ name: String, task: TaskID, _ error: any Error) -> SchedulingError {
        SchedulingError(
            .constraintThrew,
            "constraint \(name) threw while placing task \(task): \(error); nothing was assigned in this iteration"
        )
    }

    public static func == (lhs: SchedulingError, rhs: SchedulingError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message
    }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
    }
}
