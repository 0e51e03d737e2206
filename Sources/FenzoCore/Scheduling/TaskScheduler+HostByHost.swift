extension TaskScheduler {
    /// Tasks with the same needs and constraints, waiting in their given order.
    private struct TaskClass {
        var tasks: [CompiledTask]
        var next = 0
        var remaining: Int { tasks.count - next }
        var head: CompiledTask { tasks[next] }
    }

    /// Classes of one cpu and memory size: the unit the filler scores.
    private struct SizeBucket {
        var cpus: Double
        var memoryMB: Double
        var classes: [Int] = []
        var remaining = 0
    }

    private struct ClassKey: Hashable {
        var failureKey: FailureKey
        var group: Int?
        var soft: String
    }

    /// The `.hostByHost` placement order: see `PlacementOrder.hostByHost`.
    mutating func fillHostByHost(_ tasks: [TaskRequest], iteration: inout Iteration) {
        var source = TaskList([])
        // Classes of tasks confined by a hard attribute constraint (an instance type, a
        // zone) fill hosts before the rest, or the rest would take the few hosts they
        // may use.
        var confined = ClassList()
        var others = ClassList()
        // Only as many tasks, in queue order, as the free capacity could hold go host
        // by host; the filler favours tasks that fill hosts, so on a fleet too small
        // for the queue it would otherwise pass over earlier, smaller tasks.
        var capacity = Resources.zero
        for slot in hosts.indices where index.isIndexed(slot) { capacity += hosts[slot].free }
        var queued = Resources.zero
        var prefixEnded = false
        var laterTasks: [CompiledTask] = []
        // Tasks with few places to go are placed first, one by one: pinned ones, those
        // with custom constraints, those needing a named resource such as a gpu (so
        // other work does not take those hosts first), and exclusive ones (the packer
        // gives them the smallest empty host that fits, since they use it whole).
        for request in tasks {
            guard let task = admit(request, iteration: &iteration, source: &source) else { continue }
            if task.pinned != nil || task.hasCustom || !task.scalars.isEmpty || task.exclusive {
                if !tryCompiled(task, iteration: &iteration, source: &source) { return }
                continue
            }
            if !prefixEnded {
                queued += task.request.resources
                prefixEnded = !capacity.covers(queued)
            }
            if prefixEnded {
                laterTasks.append(task)
            } else if task.hard.contains(where: { if case .attributeIn = $0.rule { true } else { false } }) {
                confined.add(task)
            } else {
                others.add(task)
            }
        }
        var leftovers = fill(confined.classes, iteration: &iteration)
        leftovers += fill(others.classes, iteration: &iteration)
        leftovers += laterTasks
        for task in leftovers where !tryCompiled(task, iteration: &iteration, source: &source) { return }
    }

    /// Tasks gathered into classes of the same needs and constraints, in queue order.
    private struct ClassList {
        var classes: [TaskClass] = []
        var classOfKey: [ClassKey: Int] = [:]

        mutating func add(_ task: CompiledTask) {
            let key = ClassKey(
                failureKey: FailureKey(task),
                group: task.dependsOnGroup || !task.soft.isEmpty ? task.group : nil,
                soft: task.request.softConstraints.map(\.description).joined(separator: "|")
            )
            if let existing = classOfKey[key] {
                classes[existing].tasks.append(task)
            } else {
                classOfKey[key] = classes.count
                classes.append(TaskClass(tasks: [task]))
            }
        }
    }

    /// Fills hosts one at a time with the classes' tasks; returns the tasks it placed
    /// nowhere, in class order.
    private mutating func fill(_ classList: [TaskClass], iteration: inout Iteration) -> [CompiledTask] {
        var classes = classList
        guard !classes.isEmpty else { return [] }
        var buckets: [SizeBucket] = []
        var bucketOfSize: [Resources: Int] = [:]
        var demandCpus = 0.0
        var demandMemory = 0.0
        for (position, taskClass) in classes.enumerated() {
            let demand = taskClass.head.request.resources
            let size = Resources(cpus: demand.cpus, memoryMB: demand.memoryMB)
            let bucket =
                bucketOfSize[size]
                ?? {
                    buckets.append(SizeBucket(cpus: size.cpus, memoryMB: size.memoryMB))
                    bucketOfSize[size] = buckets.count - 1
                    return buckets.count - 1
                }()
            buckets[bucket].classes.append(position)
            buckets[bucket].remaining += taskClass.remaining
            demandCpus += demand.cpus * Double(taskClass.remaining)
            demandMemory += demand.memoryMB * Double(taskClass.remaining)
        }

        // Weigh each resource by how many hosts' worth of it the tasks need.
        let candidates = (0..<hosts.count).filter { index.isIndexed($0) }
        guard !candidates.isEmpty else { return classes.flatMap(\.tasks) }
        let meanCpus = candidates.reduce(0.0) { $0 + hosts[$1].total.cpus } / Double(candidates.count)
        let meanMemory = candidates.reduce(0.0) { $0 + hosts[$1].total.memoryMB } / Double(candidates.count)
        let cpuWeight = meanCpus > 0 ? demandCpus / meanCpus : 0
        let memoryWeight = meanMemory > 0 ? demandMemory / meanMemory : 0
        let weightTotal = max(cpuWeight + memoryWeight, 1e-12)

        var remaining = classes.reduce(0) { $0 + $1.remaining }
        var scored: [(score: Double, bucket: Int)] = []
        var fillOrder = HostFillOrder(
            scheduler: self,
            candidates: candidates,
            cpuWeight: cpuWeight,
            memoryWeight: memoryWeight,
            demand: Resources(cpus: demandCpus, memoryMB: demandMemory)
        )
        while remaining > 0, let slot = fillOrder.next() {
            while remaining > 0, index.isIndexed(slot) {
                let free = hosts[slot].free
                let total = hosts[slot].total
                scored.removeAll(keepingCapacity: true)
                for (position, bucket) in buckets.enumerated() where bucket.remaining > 0 {
                    guard bucket.cpus <= free.cpus + Resources.tolerance,
                        bucket.memoryMB <= free.memoryMB + Resources.tolerance
                    else { continue }
                    scored.append(
                        (
                            TaskScheduler.fillScore(
                                cpus: bucket.cpus,
                                memoryMB: bucket.memoryMB,
                                free: free,
                                total: total,
                                cpuWeight: cpuWeight / weightTotal,
                                memoryWeight: memoryWeight / weightTotal
                            ),
                            position
                        )
                    )
                }
                if scored.isEmpty { break }
                scored.sort { $0.score != $1.score ? $0.score > $1.score : $0.bucket < $1.bucket }
                guard let pick = choose(from: scored, buckets: buckets, classes: classes, slot: slot) else { break }
                iteration.result.statistics.hostsEvaluated += 1
                let task = classes[pick.taskClass].head
                classes[pick.taskClass].next += 1
                buckets[pick.bucket].remaining -= 1
                remaining -= 1
                fillOrder.placed(task.request.resources)
                _ = commit(task, on: Candidate(slot: slot, score: pick.score), iteration: &iteration)
            }
        }
        return classes.flatMap { $0.tasks[$0.next...] }
    }

    /// How well a task of this size suits a host with this much free: how closely its
    /// demand points the way the host's free cpu and memory do (the cosine of the angle
    /// between them, each as a share of the host), less half the weighted mean square of
    /// what the host would have left. Alignment sends memory-heavy tasks to hosts with
    /// memory to spare and cpu-heavy ones to cpu-rich hosts, so a fleet of mixed instance
    /// types fills evenly; the residual term prefers the task that fills the host most.
    /// On generated workloads this gave 0.5–3.5 % above the lower bound where minimising
    /// the residual alone gave 2.4–28 % (mixed fleets were the worst).
    static func fillScore(
        cpus: Double,
        memoryMB: Double,
        free: Resources,
        total: Resources,
        cpuWeight: Double,
        memoryWeight: Double
    ) -> Double {
        let demandCpu = total.cpus > 0 ? cpus / total.cpus : 0
        let demandMemory = total.memoryMB > 0 ? memoryMB / total.memoryMB : 0
        let freeCpu = total.cpus > 0 ? max(0, free.cpus) / total.cpus : 0
        let freeMemory = total.memoryMB > 0 ? max(0, free.memoryMB) / total.memoryMB : 0
        let demandNorm = (demandCpu * demandCpu + demandMemory * demandMemory).squareRoot()
        let freeNorm = (freeCpu * freeCpu + freeMemory * freeMemory).squareRoot()
        let alignment =
            demandNorm > 0 && freeNorm > 0
            ? (demandCpu * freeCpu + demandMemory * freeMemory) / (demandNorm * freeNorm) : 1
        let cpuLeft = freeCpu - demandCpu
        let memoryLeft = freeMemory - demandMemory
        let residual = cpuWeight * cpuLeft * cpuLeft + memoryWeight * memoryLeft * memoryLeft
        return alignment - 0.5 * residual
    }

    /// The class whose next task suits the host best: the packing score of its size
    /// weighed with its soft constraints, among classes whose next task fits and may
    /// go there.
    private mutating func choose(
        from scored: [(score: Double, bucket: Int)],
        buckets: [SizeBucket],
        classes: [TaskClass],
        slot: Int
    ) -> (taskClass: Int, bucket: Int, score: Double)? {
        var best: (taskClass: Int, bucket: Int, score: Double)?
        let weight = configuration.softConstraintWeight
        for entry in scored {
            // A class with every soft constraint met scores (1 - w)·pack + w.
            if let best, best.score >= (1 - weight) * entry.score + weight { break }
            for position in buckets[entry.bucket].classes where classes[position].remaining > 0 {
                let task = classes[position].head
                guard fits(task, slot: slot), let soft = try? hardPassingSoftScore(task, slot: slot) else {
                    continue
                }
                let score = (1 - weight) * entry.score + weight * soft
                if score > (best?.score ?? -1) { best = (position, entry.bucket, score) }
                if soft >= 1 { break }
            }
        }
        return best
    }

    /// The mean soft score (1 with none) if every hard constraint, including
    /// uniqueness the group declared, holds on the host; nil otherwise.
    private func hardPassingSoftScore(_ task: CompiledTask, slot: Int) throws(ConstraintFailure) -> Double? {
        for constraint in task.hard where try hostScore(constraint, task: task, slot: slot, hard: true) <= 0 {
            return nil
        }
        for attribute in groups[task.group].declaredUnique.keys
        where attributeScore(
            .unique(attribute: attribute),
            group: task.group,
            value: attributes.value(of: attribute, slot: slot),
            hard: true
        ) <= 0 {
            return nil
        }
        guard !task.soft.isEmpty else { return 1 }
        var total = 0.0
        for constraint in task.soft { total += try hostScore(constraint, task: task, slot: slot, hard: false) }
        return total / Double(task.soft.count)
    }

}

/// The order the host-by-host filler takes hosts in: partly used hosts first, fullest
/// first; then empty hosts, choosing each time the kind of host that covers the most of
/// what is still to place in the resource it covers least (of cpu and memory), so a
/// fleet of several instance types is opened in the mix the demand calls for (memory-rich
/// hosts while the tasks are memory-heavy, cpu-rich ones once they are not). Hosts
/// offering named resources such as gpus come last; host order breaks ties.
private struct HostFillOrder {
    /// Empty hosts of one capacity, in host order.
    private struct Kind {
        var cpus: Double
        var memoryMB: Double
        var special: Bool
        var slots: [Int]
        var next = 0
    }

    private var used: [Int]
    private var nextUsed = 0
    private var kinds: [Kind] = []
    /// What the tasks still to place need, in all.
    private var demand: Resources

    init(scheduler: TaskScheduler, candidates: [Int], cpuWeight: Double, memoryWeight: Double, demand: Resources) {
        self.demand = demand
        func fullness(_ slot: Int) -> Double {
            let total = scheduler.hosts[slot].total
            let used = scheduler.hosts[slot].used
            return (total.cpus > 0 ? cpuWeight * used.cpus / total.cpus : 0)
                + (total.memoryMB > 0 ? memoryWeight * used.memoryMB / total.memoryMB : 0)
        }
        used = candidates.filter { !scheduler.hosts[$0].tasks.isEmpty }.map { (slot: $0, key: fullness($0)) }
            .sorted { $0.key != $1.key ? $0.key > $1.key : $0.slot < $1.slot }
            .map(\.slot)
        var kindOf: [Resources: Int] = [:]
        for slot in candidates where scheduler.hosts[slot].tasks.isEmpty {
            let total = scheduler.hosts[slot].total
            let special = scheduler.hosts[slot].freeScalars.contains { $0 > 0 }
            let key = Resources(cpus: total.cpus, memoryMB: total.memoryMB, diskMB: special ? 1 : 0)
            if let kind = kindOf[key] {
                kinds[kind].slots.append(slot)
            } else {
                kindOf[key] = kinds.count
                kinds.append(Kind(cpus: total.cpus, memoryMB: total.memoryMB, special: special, slots: [slot]))
            }
        }
    }

    /// Counts a placed task out of what is still to place.
    mutating func placed(_ resources: Resources) {
        demand.cpus = max(0, demand.cpus - resources.cpus)
        demand.memoryMB = max(0, demand.memoryMB - resources.memoryMB)
    }

    mutating func next() -> Int? {
        if nextUsed < used.count {
            defer { nextUsed += 1 }
            return used[nextUsed]
        }
        var best: (kind: Int, special: Bool, cover: Double, firstSlot: Int)?
        for (position, kind) in kinds.enumerated() where kind.next < kind.slots.count {
            let cover = min(
                demand.cpus > 0 ? min(kind.cpus, demand.cpus) / demand.cpus : .infinity,
                demand.memoryMB > 0 ? min(kind.memoryMB, demand.memoryMB) / demand.memoryMB : .infinity
            )
            let firstSlot = kind.slots[kind.next]
            guard let current = best else {
                best = (position, kind.special, cover, firstSlot)
                continue
            }
            let better =
                current.special != kind.special
                ? current.special
                : (cover != current.cover ? cover > current.cover : firstSlot < current.firstSlot)
            if better { best = (position, kind.special, cover, firstSlot) }
        }
        guard let best else { return nil }
        kinds[best.kind].next += 1
        return best.firstSlot
    }
}
