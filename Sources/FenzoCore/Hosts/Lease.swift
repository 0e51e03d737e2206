/// An offer of a host's free resources, from Mesos or from an agent.
///
/// Several leases of one host add up. A lease that no task uses within the configured
/// expiry is handed back (so the offer source can decline it); one that a task uses is
/// consumed whole by the iteration that placed it, and what it did not use must be
/// offered again, as Mesos does.
public struct Lease: Hashable, Sendable {
    public var id: LeaseID
    public var hostname: HostName
    /// The free cpus, memory, disk and network on offer.
    public var resources: Resources
    /// The free host ports on offer.
    public var ports: PortRanges
    /// Other named scalar resources on offer, such as `gpu`.
    public var scalars: [String: Double]
    /// The host's consumable resource sets. Unlike the other fields these give the
    /// host's whole sets; which slots are used follows from the tasks running there.
    public var resourceSets: [ResourceSetDefinition]
    /// Host attributes such as `zone` or `instanceType`. `name` is always the hostname.
    public var attributes: [String: String]
    /// When the offer was made; expiry counts from here.
    public var offeredAt: Instant

    public init(
        id: LeaseID,
        hostname: HostName,
        resources: Resources,
        ports: PortRanges = .none,
        scalars: [String: Double] = [:],
        resourceSets: [ResourceSetDefinition] = [],
        attributes: [String: String] = [:],
        offeredAt: Instant = .zero
    ) {
        self.id = id
        self.hostname = hostname
        self.resources = resources
        self.ports = ports
        self.scalars = scalars
        self.resourceSets = resourceSets
        self.attributes = attributes
        self.offeredAt = offeredAt
    }

    /// Every reason this lease cannot be accepted as it is.
    public func problems() -> [String] {
        var found: [String] = []
        if id.rawValue.isEmpty { found.append("lease id is empty") }
        if hostname.rawValue.isEmpty { found.append("hostname is empty") }
        found += resources.problems()
        found += ports.problems()
        for (name, amount) in scalars.sorted(by: { $0.key < $1.key }) {
            if name.isEmpty { found.append("a scalar resource has an empty name") }
            if amount.isNaN || amount.isInfinite || amount < 0 {
                found.append("scalar \(name) is \(amount); it must be a finite number of at least 0")
            }
        }
        for definition in resourceSets { found += definition.problems() }
        return found
    }
}
