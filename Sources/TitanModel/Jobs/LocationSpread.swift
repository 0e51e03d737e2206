/// One instance of a job: its index, never reused within the job, and its cell.
public struct InstancePlacement: Hashable, Codable, Sendable {
    public var index: Int
    public var cell: CellName

    public init(index: Int, cell: CellName) {
        self.index = index
        self.cell = cell
    }
}

/// Spreads a job's instances over cells as its `location` asks, at creation and when scaling.
///
/// At creation, indexes are handed out cell by cell in the order of `location`:
/// `dc1:20,dc2:40` gives dc1 indexes 0–19 and dc2 indexes 20–59.
///
/// When a job is scaled to N instances, the counts in `location` are weights: each cell's
/// target is its share of N by the largest-remainder method (ties to the cell listed first;
/// equal weights if all counts are 0). Cells below target get new instances with fresh
/// indexes (from the job's next unused index, in cell order); cells above target lose their
/// highest-index instances first. Cells not in `location` have a target of 0.
public struct LocationSpread: Hashable, Sendable {
    /// The cells and their weights, as the job spec's `location` gives them.
    public var cells: [CellInstances]

    public init(cells: [CellInstances]) { self.cells = cells }

    public init(spec: JobSpec) { self.cells = spec.location }

    /// The instances of a new job, indexes from 0.
    public func initialInstances() -> [InstancePlacement] {
        var placements: [InstancePlacement] = []
        placements.reserveCapacity(cells.reduce(0) { $0 + max(0, $1.instances) })
        for entry in cells where entry.instances > 0 {
            for _ in 0..<entry.instances {
                placements.append(InstancePlacement(index: placements.count, cell: entry.cell))
            }
        }
        return placements
    }

    /// How many of `total` instances each cell should have, in `cells` order.
    public func targets(total: Int) -> [CellInstances] {
        guard !cells.isEmpty else { return [] }
        let total = max(0, total)
        let weights = cells.map { max(0, $0.instances) }
        let weightSum = weights.reduce(0, +)
        let effective = weightSum == 0 ? weights.map { _ in 1 } : weights
        let effectiveSum = weightSum == 0 ? cells.count : weightSum
        var counts = effective.map { total * $0 / effectiveSum }
        let remainders = effective.map { total * $0 % effectiveSum }
        var left = total - counts.reduce(0, +)
        let order = remainders.indices.sorted {
            remainders[$0] != remainders[$1] ? remainders[$0] > remainders[$1] : $0 < $1
        }
        for position in order where left > 0 {
            counts[position] += 1
            left -= 1
        }
        return zip(cells, counts).map { CellInstances(cell: $0.cell, instances: $1) }
    }

    /// What to add and remove to bring `current` to `total` instances.
    /// - Parameters:
    ///   - current: the job's instances that count towards its size now.
    ///   - nextIndex: the first index never used by the job.
    ///   - total: the new number of instances.
    public func scale(current: [InstancePlacement], nextIndex: Int, to total: Int) -> ScalePlan {
        let targets = targets(total: total)
        var byCell: [CellName: [Int]] = [:]
        for instance in current { byCell[instance.cell, default: []].append(instance.index) }
        var plan = ScalePlan(add: [], remove: [])
        var next = nextIndex
        var targetByCell: [CellName: Int] = [:]
        for target in targets {
            targetByCell[target.cell] = target.instances
            let have = byCell[target.cell]?.count ?? 0
            if have < target.instances {
                for _ in have..<target.instances {
                    plan.add.append(InstancePlacement(index: next, cell: target.cell))
                    next += 1
                }
            }
        }
        for (cell, indexes) in byCell {
            let excess = indexes.count - (targetByCell[cell] ?? 0)
            if excess > 0 { plan.remove += indexes.sorted(by: >).prefix(excess) }
        }
        plan.remove.sort(by: >)
        return plan
    }
}

/// Instances to create and to remove when a job is scaled.
public struct ScalePlan: Hashable, Sendable {
    /// New instances, with fresh indexes.
    public var add: [InstancePlacement]
    /// Indexes of instances to remove, highest first.
    public var remove: [Int]

    public init(add: [InstancePlacement], remove: [Int]) {
        self.add = add
        self.remove = remove
    }
}
