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
        var classes: [TaskClass] = []
        var classOfKey: [ClassKey: Int] = [:]
        var leftovers: [CompiledTask] = []
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
                continue
            }
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
        guard !classes.isEmpty else {
            for task in laterTasks where !tryCompiled(task, iteration: &iteration, source: &source) { return }
            return
        }

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
        guard !candidates.isEmpty else {
            leftovers = classes.flatMap { $0.tasks } + laterTasks
            for task in leftovers where !tryCompiled(task, iteration: &iteration, source: &source) { return }
            return
        }
        let meanCpus = candidates.reduce(0.0) { $0 + hosts[$1].total.cpus } / Double(candidates.count)
        let meanMemory = candidates.reduce(0.0) { $0 + hosts[$1].total.memoryMB } / Double(candidates.count)
        let cpuWeight = meanCpus > 0 ? demandCpus / meanCpus : 0
        let memoryWeight = meanMemory > 0 ? demandMemory / meanMemory : 0
        let weightTotal = max(cpuWeight + memoryWeight, 1e-12)

        var remaining = classes.reduce(0) { $0 + $1.remaining }
        var scored: [(score: Double, bucket: Int)] = []
        for slot in hostFillOrder(candidates, cpuWeight: cpuWeight, memoryWeight: memoryWeight) {
            if remaining == 0 { break }
            while remaining > 0, index.isIndexed(slot) {
                let free = hosts[slot].free
                let total = hosts[slot].total
                scored.removeAll(keepingCapacity: true)
                for (position, bucket) in buckets.enumerated() where bucket.remaining > 0 {
                    guard bucket.cpus <= free.cpus + Resources.tolerance,
                        bucket.memoryMB <= free.memoryMB + Resources.tolerance
                    else { continue }
                    let cpuLeft = total.cpus > 0 ? (free.cpus - bucket.cpus) / total.cpus : 0
                    let memoryLeft = total.memoryMB > 0 ? (free.memoryMB - bucket.memoryMB) / total.memoryMB : 0
                    let residual =
                        (cpuWeight * cpuLeft * cpuLeft + memoryWeight * memoryLeft * memoryLeft) / weightTotal
                    scored.append((1 - residual.squareRoot(), position))
                }
                if scored.isEmpty { break }
                scored.sort { $0.score != $1.score ? $0.score > $1.score : $0.bucket < $1.bucket }
                guard let pick = choose(from: scored, buckets: buckets, classes: classes, slot: slot) else { break }
                iteration.result.statistics.hostsEvaluated += 1
                let task = classes[pick.taskClass].head
                classes[pick.taskClass].next += 1
                buckets[pick.bucket].remaining -= 1
                remaining -= 1
                _ = commit(task, on: Candidate(slot: slot, score: pick.score), iteration: &iteration)
            }
        }
        for taskClass in classes where taskClass.remaining > 0 {
            leftovers += taskClass.tasks[taskClass.next...]
        }
        leftovers += laterTasks
        for task in leftovers where !tryCompiled(task, iteration: &iteration, source: &source) { return }
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

    /// Partly used hosts first, fullest first; then empty hosts, those with the most
    /// of what the tasks need first, hosts offering named resources (such as gpus)
    /// last; host order breaks ties.
    private func hostFillOrder(_ candidates: [Int], cpuWeight: Double, memoryWeight: Double) -> [Int] {
        var largestCpus = 0.0
        var largestMemory = 0.0
        for slot in candidates {
            largestCpus = max(largestCpus, hosts[slot].total.cpus)
            largestMemory = max(largestMemory, hosts[slot].total.memoryMB)
        }
        func fullness(_ slot: Int) -> Double {
            let total = hosts[slot].total
            let used = hosts[slot].used
            return (total.cpus > 0 ? cpuWeight * used.cpus / total.cpus : 0)
                + (total.memoryMB > 0 ? memoryWeight * used.memoryMB / total.memoryMB : 0)
        }
        func capacity(_ slot: Int) -> Double {
            let total = hosts[slot].total
            return (largestCpus > 0 ? cpuWeight * total.cpus / largestCpus : 0)
                + (largestMemory > 0 ? memoryWeight * total.memoryMB / largestMemory : 0)
        }
        let used = candidates.filter { !hosts[$0].tasks.isEmpty }.map { (slot: $0, key: fullness($0)) }
            .sorted { $0.key != $1.key ? $0.key > $1.key : $0.slot < $1.slot }
        let empty = candidates.filter { hosts[$0].tasks.isEmpty }
            .map { (slot: $0, special: hosts[$0].freeScalars.contains { $0 > 0 }, key: capacity($0)) }
            .sorted {
                if $0.special != $1.special { return !$0.special }
                return $0.key != $1.key ? $0.key > $1.key : $0.slot < $1.slot
            }
        return used.map(\.slot) + empty.map(\.slot)
    }
}
