/// A task waiting to be placed: what it needs and where it may go.
public struct TaskRequest: Sendable {
    public var id: TaskID
    /// The task's group, normally its job; group-scoped constraints count its tasks.
    public var group: TaskGroup
    public var resources: Resources
    /// How many host ports the task needs; it is given that many concrete port numbers.
    public var ports: Int
    /// Other named scalar resources, such as `["gpu": 1]`.
    public var scalars: [String: Double]
    /// Slots in named resource sets, such as a network interface for a security group.
    public var resourceSets: [ResourceSetAsk]
    /// Constraints every placement must satisfy.
    public var hardConstraints: [PlacementConstraint]
    /// Constraints that steer the choice of host among those that satisfy the hard ones.
    public var softConstraints: [PlacementConstraint]

    public init(
        id: TaskID,
        group: TaskGroup = "default",
        resources: Resources,
        ports: Int = 0,
        scalars: [String: Double] = [:],
        resourceSets: [ResourceSetAsk] = [],
        hardConstraints: [PlacementConstraint] = [],
        softConstraints: [PlacementConstraint] = []
    ) {
        self.id = id
        self.group = group
        self.resources = resources
        self.ports = ports
        self.scalars = scalars
        self.resourceSets = resourceSets
        self.hardConstraints = hardConstraints
        self.softConstraints = softConstraints
    }

    /// Every reason this request cannot be scheduled as it is.
    public func problems() -> [String] {
        var found: [String] = []
        if id.rawValue.isEmpty { found.append("task id is empty") }
        found += resources.problems()
        if ports < 0 { found.append("ports is negative (\(ports))") }
        for (name, amount) in scalars.sorted(by: { $0.key < $1.key }) {
            if amount.isNaN || amount.isInfinite || amount < 0 {
                found.append("scalar \(name) is \(amount); it must be a finite number of at least 0")
            }
        }
        for ask in resourceSets where ask.slots < 1 {
            found.append("resource set \(ask.name): slots must be at least 1 (got \(ask.slots))")
        }
        for constraint in hardConstraints + softConstraints {
            found += constraint.problems()
        }
        return found
    }
}

/// A task known to run on a host, either placed by an iteration or reported by the
/// host (after a restart, say). It counts against the host's resources and against
/// the constraints of later placements until it is removed.
public struct RunningTask: Sendable {
    public var request: TaskRequest
    public var hostname: HostName
    /// The host ports it holds.
    public var ports: [Int]
    /// The resource-set slots it holds.
    public var resourceSets: [ResourceSetAllocation]

    public init(
        request: TaskRequest,
        hostname: HostName,
        ports: [Int] = [],
        resourceSets: [ResourceSetAllocation] = []
    ) {
        self.request = request
        self.hostname = hostname
        self.ports = ports
        self.resourceSets = resourceSets
    }
}
