/// How the tiered queue shares capacity: its tiers, the capacity groups' shares and caps,
/// and which host groups take which work.
public struct TaskQueueConfiguration: Sendable {
    /// One entry per tier, tier 0 first. Tasks may only name tiers listed here. The
    /// default has two: 0 (critical) and 1 (flex).
    public var tiers: [TierConfiguration]
    /// Which host groups take new tasks and which are reserved; by default every host
    /// takes any task.
    public var hostGroups: HostGroupPolicy

    public init(
        tiers: [TierConfiguration] = [TierConfiguration(), TierConfiguration()],
        hostGroups: HostGroupPolicy = HostGroupPolicy()
    ) {
        self.tiers = tiers
        self.hostGroups = hostGroups
    }

    /// Every reason this configuration cannot be used as it is.
    public func problems() -> [String] {
        var found: [String] = []
        if tiers.isEmpty { found.append("no tiers: configure at least one") }
        for (number, tier) in tiers.enumerated() {
            found += tier.problems().map { "tier \(number): \($0)" }
        }
        found += hostGroups.problems()
        return found
    }
}

/// One tier: the capacity its shares are measured against and its capacity groups.
public struct TierConfiguration: Sendable {
    /// What the tier's shares are measured against; nil: the whole fleet the scheduler
    /// knows (free plus used on every host).
    public var capacity: Resources?
    /// Weights, guarantees and caps by capacity group; a group not listed has weight 1,
    /// no guarantee and no cap.
    public var capacityGroups: [CapacityGroupName: CapacityGroupPolicy]

    public init(capacity: Resources? = nil, capacityGroups: [CapacityGroupName: CapacityGroupPolicy] = [:]) {
        self.capacity = capacity
        self.capacityGroups = capacityGroups
    }

    func problems() -> [String] {
        var found = capacity.map { $0.problems().map { "capacity: \($0)" } } ?? []
        for (name, policy) in capacityGroups.sorted(by: { $0.key < $1.key }) {
            found += policy.problems().map { "capacity group \(name): \($0)" }
        }
        return found
    }
}

/// A capacity group's claim on its tier.
///
/// Within a tier, groups below their guarantee go first (the furthest below first); then
/// every group in order of its dominant resource share of the tier divided by its weight,
/// so that over time each gets capacity in proportion to its weight. A group whose next
/// task would take it over its cap waits.
public struct CapacityGroupPolicy: Sendable, Hashable {
    /// The group's share relative to the tier's other groups: weights 1 : 2 : 1 share a
    /// tier that all three want 25 % : 50 % : 25 %.
    public var weight: Double
    /// What the group is served first up to, ahead of groups at or over their own
    /// guarantee; nil: no guarantee. Guarantees are not held back for an idle group: what
    /// it does not use, others may.
    public var guarantee: Resources?
    /// The most the group may use in this tier, running tasks included; nil: no cap.
    /// Resources left at zero in the cap are not limited.
    public var cap: Resources?

    public init(weight: Double = 1, guarantee: Resources? = nil, cap: Resources? = nil) {
        self.weight = weight
        self.guarantee = guarantee
        self.cap = cap
    }

    func problems() -> [String] {
        var found: [String] = []
        if !(weight > 0) || weight.isInfinite { found.append("weight must be a finite number above 0 (got \(weight))") }
        if let guarantee { found += guarantee.problems().map { "guarantee: \($0)" } }
        if let cap { found += cap.problems().map { "cap: \($0)" } }
        return found
    }
}

/// Which host groups take new tasks, and which are reserved for some capacity groups.
///
/// A host's group is the value of its `attribute` (Fenzo's VM groups, an auto scaling
/// group, say). The queue enforces the policy by adding a hard constraint on the
/// attribute to each task it hands out, naming the groups the task may use, so a
/// reserved group's hosts never take other work, even when the rest of the fleet is full.
public struct HostGroupPolicy: Sendable, Hashable {
    /// The host attribute that names a host's group.
    public var attribute: String
    /// The groups whose hosts take new tasks; hosts of other groups, or with no group,
    /// take none (their running tasks stay). nil: every host takes tasks, and pinning a
    /// task to a group is the only use of groups.
    public var activeGroups: Set<String>?
    /// Host groups reserved for some capacity groups: only their tasks may run there.
    /// Needs `activeGroups`, since the queue names the groups a task may use.
    public var reservations: [String: Set<CapacityGroupName>]

    public init(
        attribute: String = "group",
        activeGroups: Set<String>? = nil,
        reservations: [String: Set<CapacityGroupName>] = [:]
    ) {
        self.attribute = attribute
        self.activeGroups = activeGroups
        self.reservations = reservations
    }

    func problems() -> [String] {
        var found: [String] = []
        if attribute.isEmpty { found.append("host groups: the attribute name is empty") }
        if attribute == "name" { found.append("host groups: the attribute cannot be `name`, which is the hostname") }
        if !reservations.isEmpty && activeGroups == nil {
            found.append(
                "host groups: reservations need activeGroups; list the groups that take tasks, reserved ones included"
            )
        }
        for (group, members) in reservations.sorted(by: { $0.key < $1.key }) where members.isEmpty {
            found.append("host groups: group \(group) is reserved for no capacity group, so no task could use it")
        }
        return found
    }

    /// Where a task of `capacityGroup`, pinned to `pinned` (if set), may run.
    func eligibility(for capacityGroup: CapacityGroupName, pinned: String?) -> HostGroupEligibility {
        guard let active = activeGroups else {
            return pinned.map { .groups([$0]) } ?? .anywhere
        }
        if let pinned {
            guard active.contains(pinned) else {
                let listed = active.isEmpty ? "none" : active.sorted().joined(separator: ", ")
                return .nowhere(reason(pinned, "host group \(pinned) is not active (active groups: \(listed))"))
            }
            if let members = reservations[pinned], !members.contains(capacityGroup) {
                return .nowhere(reason(pinned, reservedDetail(pinned, members)))
            }
            return .groups([pinned])
        }
        let usable = active.filter { reservations[$0]?.contains(capacityGroup) ?? true }.sorted()
        guard usable.isEmpty else { return .groups(usable) }
        let detail =
            active.isEmpty
            ? "no host group is active"
            : "every active host group is reserved for other capacity groups: "
                + active.sorted().map { reservedDetail($0, reservations[$0] ?? []) }.joined(separator: "; ")
        return .nowhere(reason(nil, detail))
    }

    private func reason(_ group: String?, _ detail: String) -> FailureReason {
        .constraint(name: "hostGroup(\(attribute)=\(group ?? "*"))", hostsRejected: 0, detail: detail)
    }

    private func reservedDetail(_ group: String, _ members: Set<CapacityGroupName>) -> String {
        "host group \(group) is reserved for capacity groups "
            + members.sorted().map(\.rawValue).joined(separator: ", ")
    }
}

/// Where a task may run under a host group policy.
enum HostGroupEligibility: Sendable {
    /// Any host: no constraint is added.
    case anywhere
    /// Hosts of these groups only.
    case groups([String])
    /// No host: the task waits for this reason.
    case nowhere(FailureReason)
}
