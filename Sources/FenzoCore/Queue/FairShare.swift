/// A bucket's place in its tier's order for the next slot.
///
/// Buckets below their guarantee come first, the furthest below first (their usage as a
/// dominant share of the guarantee); then every other bucket by its usage as a dominant
/// share of the tier's capacity, divided by its weight. Equal shares go by the capacity
/// group's name, so the order never depends on history or on hashing.
struct FairShareKey: Sendable {
    var belowGuarantee: Bool
    var share: Double
    var nameRank: Int

    func precedes(_ other: FairShareKey) -> Bool {
        if belowGuarantee != other.belowGuarantee { return belowGuarantee }
        if !FairShareKey.nearlyEqual(share, other.share) { return share < other.share }
        return nameRank < other.nameRank
    }

    /// Shares that differ only by rounding (0.1 + 0.2 against 0.3) count as equal.
    static func nearlyEqual(_ lhs: Double, _ rhs: Double) -> Bool {
        abs(lhs - rhs) <= 1e-9 * max(1, abs(lhs), abs(rhs))
    }

    init(usage: Resources, policy: CapacityGroupPolicy, tierCapacity: Resources, nameRank: Int) {
        self.nameRank = nameRank
        if let guarantee = policy.guarantee, let ofGuarantee = usage.dominantShare(of: guarantee),
            ofGuarantee < 1 && !FairShareKey.nearlyEqual(ofGuarantee, 1)
        {
            belowGuarantee = true
            share = ofGuarantee
        } else {
            belowGuarantee = false
            // With no capacity known (no hosts yet) cpus alone order the buckets.
            share = (usage.dominantShare(of: tierCapacity) ?? usage.cpus) / policy.weight
        }
    }
}

extension Resources {
    /// The largest of these amounts as a fraction of `whole`, over the kinds `whole` has
    /// (Dominant Resource Fairness); nil when `whole` has none of any kind.
    func dominantShare(of whole: Resources) -> Double? {
        var share: Double?
        for kind in ResourceKind.allCases where whole[kind] > 0 {
            share = max(share ?? 0, self[kind] / whole[kind])
        }
        return share
    }

    /// The first kind in which `self + more` exceeds `cap`, for kinds the cap limits.
    func firstKindExceeding(_ cap: Resources, adding more: Resources) -> ResourceKind? {
        ResourceKind.allCases.first { kind in
            cap[kind] > 0 && more[kind] > 0 && self[kind] + more[kind] > cap[kind] + 1e-9
        }
    }
}
