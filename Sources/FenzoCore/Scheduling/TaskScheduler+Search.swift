import Dispatch
import Synchronization

/// The best host found so far for a task.
struct Candidate: Sendable {
    var slot: Int
    var score: Double
}

extension TaskScheduler {
    /// How many fitting hosts of one grid cell are scored before moving on: hosts in a
    /// cell differ by less than a 64th of their capacity, so a few represent it well.
    static let fittingHostsPerCell = 4
    /// How many hosts of a cell on the edge of the task's size may turn out not to fit
    /// before the search moves on (the failure diagnosis still finds any it skipped).
    static let misfitsPerEdgeCell = 32

    /// Finds the host with the best combined score for the task, or nil if the index
    /// holds none that fits and satisfies its hard constraints.
    func findHost(for task: CompiledTask, statistics: inout IterationStatistics) throws(ConstraintFailure)
        -> Candidate?
    {
        if let pinned = task.pinned {
            var best: Candidate?
            for slot in pinned where index.isIndexed(Int(slot)) {
                statistics.hostsEvaluated += 1
                if let score = try evaluate(task, slot: Int(slot)), score > (best?.score ?? -1) {
                    best = Candidate(slot: Int(slot), score: score)
                }
            }
            return best
        }
        switch configuration.fitness.searchOrder {
        case .exhaustive:
            return try scanAllHosts(for: task, statistics: &statistics)
        case .fullestFirst(let weights), .emptiestFirst(let weights):
            // The grid knows cpu and memory only; a score on network alone needs a scan.
            guard weights.cpus > 0 || weights.memory > 0 else {
                return try scanAllHosts(for: task, statistics: &statistics)
            }
            let fullestFirst = if case .fullestFirst = configuration.fitness.searchOrder { true } else { false }
            return try searchPools(
                for: task,
                weights: weights,
                fullestFirst: fullestFirst,
                statistics: &statistics
            )
        }
    }

    /// The combined score of fitness and the soft constraints' total score.
    @inline(__always)
    func combined(fitness: Double, softTotal: Double, softCount: Int) -> Double {
        guard softCount > 0 else { return fitness }
        let weight = configuration.softConstraintWeight
        return (1 - weight) * fitness + weight * softTotal / Double(softCount)
    }

    /// Whether the host has room for the task (resources, ports, scalars, sets, being
    /// alone for an exclusive task); constraints are not checked.
    @inline(__always)
    func fits(_ task: CompiledTask, slot: Int) -> Bool {
        guard hosts[slot].free.covers(task.request.resources) else { return false }
        if task.request.ports > hosts[slot].freePorts.count { return false }
        if task.exclusive, !hosts[slot].tasks.isEmpty { return false }
        if hosts[slot].exclusiveTasks > 0 { return false }
        for scalar in task.scalars where hosts[slot].freeScalar(scalar.id) + Resources.tolerance < scalar.amount {
            return false
        }
        if !task.request.resourceSets.isEmpty {
            return chooseResourceSets(task.request.resourceSets, slot: slot) != nil
        }
        return true
    }

    /// The sets each ask would get on the host, or nil if some ask finds none.
    func chooseResourceSets(_ asks: [ResourceSetAsk], slot: Int) -> [ResourceSetAllocation]? {
        var states = hosts[slot].resourceSets
        var allocations: [ResourceSetAllocation] = []
        for ask in asks {
            guard let state = states.firstIndex(where: { $0.definition.name == ask.name }),
                let set = states[state].choose(for: ask)
            else { return nil }
            states[state].allocate(ask, at: set)
            allocations.append(ResourceSetAllocation(name: ask.name, index: set, label: ask.label, slots: ask.slots))
        }
        return allocations
    }

    /// The task's combined score on a host, or nil if it does not fit or breaks a hard
    /// constraint. Checks every constraint, pool-level ones included.
    func evaluate(_ task: CompiledTask, slot: Int) throws(ConstraintFailure) -> Double? {
        guard fits(task, slot: slot) else { return nil }
        for constraint in task.hard where try hostScore(constraint, task: task, slot: slot, hard: true) <= 0 {
            return nil
        }
        var softTotal = 0.0
        for constraint in task.soft { softTotal += try hostScore(constraint, task: task, slot: slot, hard: false) }
        let fitness = configuration.fitness.fitness(of: task.request, on: hosts[slot].view())
        return combined(fitness: fitness, softTotal: softTotal, softCount: task.soft.count)
    }

    /// The score of the constraints pools cannot decide, or nil if a hard one rejects
    /// the host. `evaluate` covers every constraint; this covers the host-level rest.
    @inline(__always)
    func hostLevelScore(_ task: CompiledTask, slot: Int) throws(ConstraintFailure) -> Double? {
        for constraint in task.hard where constraint.poolPosition == nil {
            if case .exclusive = constraint.rule { continue }
            if try hostScore(constraint, task: task, slot: slot, hard: true) <= 0 { return nil }
        }
        var softTotal = 0.0
        for constraint in task.soft where constraint.poolPosition == nil {
            softTotal += try hostScore(constraint, task: task, slot: slot, hard: false)
        }
        return softTotal
    }

    /// The soft score of the constraints a pool decides, or nil if a hard one rules the
    /// pool out.
    func poolLevelScore(_ task: CompiledTask, pool: Int) -> Double? {
        let values = index.pools[pool].key.values
        for constraint in task.hard {
            guard let position = constraint.poolPosition else { continue }
            if attributeScore(constraint.rule, group: task.group, value: values[position], hard: true) <= 0 {
                return nil
            }
        }
        var softTotal = 0.0
        for constraint in task.soft {
            guard let position = constraint.poolPosition else { continue }
            softTotal += attributeScore(constraint.rule, group: task.group, value: values[position], hard: false)
        }
        return softTotal
    }

    // MARK: Indexed search

    private struct PoolBound {
        var pool: Int
        var softBase: Double
        var upper: Double
    }

    /// Walks the pools that could hold the task, best bound first, and within each the
    /// grid cells in the calculator's order, stopping once no cell could do better.
    private func searchPools(
        for task: CompiledTask,
        weights: ResourceWeights,
        fullestFirst: Bool,
        statistics: inout IterationStatistics
    ) throws(ConstraintFailure) -> Candidate? {
        let demand = task.request.resources
        let hostLevelSoft = task.soft.reduce(0) { $0 + ($1.poolPosition == nil ? 1 : 0) }
        var bounds: [PoolBound] = []
        for pool in index.pools.indices where index.pools[pool].count > 0 {
            let key = index.pools[pool].key
            if demand.cpus > key.totalCpus + Resources.tolerance
                || demand.memoryMB > key.totalMemoryMB + Resources.tolerance
            {
                continue
            }
            guard let softBase = poolLevelScore(task, pool: pool) else { continue }
            let upper = combined(
                fitness: 1,
                softTotal: softBase + Double(hostLevelSoft),
                softCount: task.soft.count
            )
            bounds.append(PoolBound(pool: pool, softBase: softBase, upper: upper))
        }
        if bounds.count > 1 {
            bounds.sort { $0.upper != $1.upper ? $0.upper > $1.upper : $0.pool < $1.pool }
        }
        var best: Candidate?
        let goodEnough = configuration.fitnessGoodEnough
        for bound in bounds {
            if let best, best.score >= bound.upper || best.score >= goodEnough { break }
            try searchGrid(
                of: bound.pool,
                for: task,
                softBase: bound.softBase,
                hostLevelSoft: hostLevelSoft,
                weights: weights,
                fullestFirst: fullestFirst,
                best: &best,
                statistics: &statistics
            )
        }
        return best
    }

    private func searchGrid(
        of poolIndex: Int,
        for task: CompiledTask,
        softBase: Double,
        hostLevelSoft: Int,
        weights: ResourceWeights,
        fullestFirst: Bool,
        best: inout Candidate?,
        statistics: inout IterationStatistics
    ) throws(ConstraintFailure) {
        let size = HostIndex.gridSize
        let pool = index.pools[poolIndex]
        let demand = task.request.resources
        let totalCpus = pool.totalCpus
        let totalMemory = pool.totalMemoryMB
        let lowestRow = task.exclusive ? size - 1 : HostIndex.bucket(totalCpus > 0 ? demand.cpus / totalCpus : 0)
        let lowestColumn =
            task.exclusive ? size - 1 : HostIndex.bucket(totalMemory > 0 ? demand.memoryMB / totalMemory : 0)
        let goodEnough = configuration.fitnessGoodEnough
        let fitnessCalculator = configuration.fitness
        let softCount = task.soft.count
        let softCeiling = softBase + Double(hostLevelSoft)
        let rowWeight = weights.cpus
        let columnWeight = weights.memory
        var corner = HostView(
            name: "",
            total: Resources(cpus: totalCpus, memoryMB: totalMemory, diskMB: 1e15, networkMbps: 1e15),
            free: .zero
        )

        var rows = pool.nonEmptyRows & (UInt64.max << UInt64(lowestRow))
        // Each row's cells still to visit; on the stack, so a search allocates nothing.
        var columns = InlineArray<64, UInt64>(repeating: 0)
        var remaining = rows
        while remaining != 0 {
            let row = remaining.trailingZeroBitCount
            remaining &= remaining - 1
            columns[row] = pool.rowBits[row] & (UInt64.max << UInt64(lowestColumn))
            if columns[row] == 0 { rows &= ~(1 << UInt64(row)) }
        }
        while rows != 0 {
            // The next cell: the best key among each row's first remaining cell.
            var chosenRow = -1
            var chosenColumn = -1
            var chosenKey = 0.0
            var scan = rows
            while scan != 0 {
                let row = scan.trailingZeroBitCount
                scan &= scan - 1
                let column =
                    fullestFirst ? columns[row].trailingZeroBitCount : 63 - columns[row].leadingZeroBitCount
                let key = rowWeight * Double(row) + columnWeight * Double(column)
                if chosenRow < 0 || (fullestFirst ? key < chosenKey : key > chosenKey) {
                    chosenRow = row
                    chosenColumn = column
                    chosenKey = key
                }
            }
            // The most any host in that cell could score.
            if fullestFirst {
                corner.free.cpus = max(Double(chosenRow) / Double(size) * totalCpus, demand.cpus)
                corner.free.memoryMB = max(Double(chosenColumn) / Double(size) * totalMemory, demand.memoryMB)
                corner.free.diskMB = demand.diskMB
                corner.free.networkMbps = demand.networkMbps
            } else {
                corner.free.cpus = min(Double(chosenRow + 1) / Double(size), 1) * totalCpus
                corner.free.memoryMB = min(Double(chosenColumn + 1) / Double(size), 1) * totalMemory
                corner.free.diskMB = 1e15
                corner.free.networkMbps = 1e15
            }
            corner.used = corner.total - corner.free
            let ceiling = combined(
                fitness: fitnessCalculator.fitness(of: task.request, on: corner),
                softTotal: softCeiling,
                softCount: softCount
            )
            if let current = best, current.score >= ceiling { return }

            let cell = chosenRow * size + chosenColumn
            let onEdge = chosenRow == lowestRow || chosenColumn == lowestColumn
            // Hosts of a cell differ in what the grid does not index; look at more
            // of them when the score weighs such a resource.
            let fittingLimit =
                weights.network > 0 ? 4 * TaskScheduler.fittingHostsPerCell : TaskScheduler.fittingHostsPerCell
            var fitting = 0
            var misfits = 0
            for slot32 in pool.cells[cell] {
                let slot = Int(slot32)
                statistics.hostsEvaluated += 1
                guard fits(task, slot: slot), let hostSoft = try hostLevelScore(task, slot: slot) else {
                    misfits += 1
                    if onEdge, misfits >= TaskScheduler.misfitsPerEdgeCell { break }
                    continue
                }
                let fitness = fitnessCalculator.fitness(of: task.request, on: hosts[slot].view())
                let score = combined(fitness: fitness, softTotal: softBase + hostSoft, softCount: softCount)
                if score > (best?.score ?? -1) { best = Candidate(slot: slot, score: score) }
                if score >= goodEnough { return }
                fitting += 1
                if fitting >= fittingLimit { break }
            }
            columns[chosenRow] &= ~(1 << UInt64(chosenColumn))
            if columns[chosenRow] == 0 { rows &= ~(1 << UInt64(chosenRow)) }
        }
    }

    // MARK: Exhaustive search

    /// Scores every host that fits, in host order, skipping chunks of hosts that cannot
    /// fit the task; stops at the first host scoring at least `fitnessGoodEnough`. On
    /// large fleets the hosts are split into parts scored on every core; the answer is
    /// the one the sequential scan would give.
    private func scanAllHosts(for task: CompiledTask, statistics: inout IterationStatistics)
        throws(ConstraintFailure) -> Candidate?
    {
        let poolSoft: [Double?] = index.pools.indices.map { poolLevelScore(task, pool: $0) }
        let chunks = index.chunkMaxFree.count
        guard hosts.count >= configuration.parallelScanThreshold, chunks >= 2 * ParallelScan.parts else {
            let part = try scanChunks(0..<chunks, for: task, poolSoft: poolSoft, stop: nil)
            statistics.hostsEvaluated += part.evaluated
            return part.best
        }
        let scan = ParallelScan()
        let snapshot = self
        DispatchQueue.concurrentPerform(iterations: ParallelScan.parts) { part in
            let range = (chunks * part / ParallelScan.parts)..<(chunks * (part + 1) / ParallelScan.parts)
            let outcome: Result<ScanPart, ConstraintFailure>
            do throws(ConstraintFailure) {
                let found = try snapshot.scanChunks(range, for: task, poolSoft: poolSoft) {
                    scan.firstGoodEnoughPart.load(ordering: .relaxed) < part
                }
                if found.reachedGoodEnough { scan.firstGoodEnoughPart.min(part, ordering: .relaxed) }
                outcome = .success(found)
            } catch {
                outcome = .failure(error)
            }
            scan.results.withLock { $0[part] = outcome }
        }
        var best: Candidate?
        for outcome in scan.results.withLock({ $0 }) {
            guard let outcome else { continue }
            let part = try outcome.get()
            statistics.hostsEvaluated += part.evaluated
            // Parts run in host order: the first good-enough host is the sequential answer.
            if part.reachedGoodEnough { return part.best }
            if let found = part.best, found.score > (best?.score ?? -1) { best = found }
        }
        return best
    }

    /// What one part of a scan found.
    struct ScanPart: Sendable {
        var best: Candidate?
        var reachedGoodEnough = false
        var evaluated = 0
    }

    /// Scans the hosts of `chunks` in order; `stop` lets a parallel part give up once an
    /// earlier part has found a good-enough host.
    private func scanChunks(
        _ chunks: Range<Int>,
        for task: CompiledTask,
        poolSoft: [Double?],
        stop: (() -> Bool)?
    ) throws(ConstraintFailure) -> ScanPart {
        var part = ScanPart()
        let fitnessCalculator = configuration.fitness
        let demand = task.request.resources
        let goodEnough = configuration.fitnessGoodEnough
        let chunkSize = HostIndex.chunkSize
        for chunk in chunks {
            if let stop, stop() { return part }
            if !index.chunkMaxFree[chunk].covers(demand) || index.chunkMaxPorts[chunk] < task.request.ports { continue }
            for slot in (chunk * chunkSize)..<min(hosts.count, (chunk + 1) * chunkSize) {
                let pool = Int(index.poolOfSlot[slot])
                guard pool >= 0, let softBase = poolSoft[pool] else { continue }
                part.evaluated += 1
                guard fits(task, slot: slot), let hostSoft = try hostLevelScore(task, slot: slot) else { continue }
                let fitness = fitnessCalculator.fitness(of: task.request, on: hosts[slot].view())
                let score = combined(fitness: fitness, softTotal: softBase + hostSoft, softCount: task.soft.count)
                if score > (part.best?.score ?? -1) { part.best = Candidate(slot: slot, score: score) }
                if score >= goodEnough {
                    part.reachedGoodEnough = true
                    return part
                }
            }
        }
        return part
    }
}

/// Shared state of one parallel scan.
private final class ParallelScan: Sendable {
    /// How many parts a scan is split into; more than cores, so uneven parts balance.
    static let parts = 16
    /// The lowest part that found a good-enough host; later parts stop early.
    let firstGoodEnoughPart = Atomic<Int>(Int.max)
    let results = Mutex<[Result<TaskScheduler.ScanPart, ConstraintFailure>?]>(
        Array(repeating: nil, count: ParallelScan.parts)
    )
}
