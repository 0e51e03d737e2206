/// What one iteration over a `TieredTaskQueue` did.
public struct QueueIterationResult: Sendable {
    /// The scheduler's result. Its failures also list, after the tasks the scheduler
    /// tried, the tasks the queue held back: those whose capacity group is at its cap and
    /// those no active host group may take (neither counts as a resource shortfall).
    public var scheduling: SchedulingResult
    /// Every task placed, with its tier, capacity group and wait.
    public var placements: [QueuedPlacement]
}

extension TieredTaskQueue {
    /// Runs one scheduling iteration over the queue: every ready task, tier by tier,
    /// in fair-share order within a tier.
    ///
    /// Placed tasks leave the queue and count as running for their capacity group (and
    /// in the scheduler); tasks not placed stay queued with the reasons, which
    /// `pendingReason(for:at:)` then gives. Tasks whose ready-at time has not come are
    /// not tried. If the iteration is abandoned (a custom constraint threw), nothing is
    /// placed and every task stays queued.
    /// - Parameters:
    ///   - scheduler: the scheduler that places the tasks.
    ///   - newLeases: offers that arrived since the last iteration.
    ///   - now: the current time, for ready-at times, lease expiry and waits.
    public mutating func schedule(
        on scheduler: inout TaskScheduler,
        newLeases: [Lease] = [],
        at now: Instant
    ) -> QueueIterationResult {
        // Leases go in first so that shares are measured against the fleet they add to.
        let rejected = scheduler.acceptLeases(newLeases)
        var pass = QueuePass(
            now: now,
            fleetCapacity: scheduler.fleetCapacity,
            usesHostGroups: configuration.hostGroups.activeGroups != nil
        )
        // The pass holds the queue for the iteration: moved, not copied.
        swap(&self, &pass.queue)
        var scheduling = scheduler.schedule(from: &pass, newLeases: [], at: now)
        let placements = pass.finish(scheduling)
        swap(&self, &pass.queue)
        scheduling.rejectedLeases = rejected + scheduling.rejectedLeases
        scheduling.failures += pass.held
        scheduling.statistics.tasksFailed = scheduling.failures.count
        return QueueIterationResult(scheduling: scheduling, placements: placements)
    }

    /// Where the tasks of a bucket, pinned to `pinned` or not, may run; worked out once
    /// per bucket and configuration.
    mutating func eligibility(bucket: Int, pinned: String?) -> HostGroupEligibility {
        let policy = configuration.hostGroups
        guard let pinned else {
            if let known = buckets[bucket].eligibility { return known }
            let found = policy.eligibility(for: buckets[bucket].key.group, pinned: nil)
            buckets[bucket].eligibility = found
            return found
        }
        if let known = buckets[bucket].pinnedEligibility[pinned] { return known }
        let found = policy.eligibility(for: buckets[bucket].key.group, pinned: pinned)
        buckets[bucket].pinnedEligibility[pinned] = found
        return found
    }
}

/// One iteration's walk over the queue: the task source the scheduler draws from.
///
/// Tasks handed out leave their bucket's heap; placed ones leave the queue, the others
/// go back when the iteration ends (`finish`), so each ready task is tried once.
struct QueuePass: TaskSource {
    var queue: TieredTaskQueue
    let now: Instant
    private let nowNanoseconds: Int64
    let fleetCapacity: Resources
    /// Whether host groups restrict unpinned tasks (some groups are marked active).
    private let usesHostGroups: Bool

    /// The tier being walked; -1 before the first.
    private var tier = -1
    private var tierCapacity = Resources.zero
    /// The tier's buckets that may still have ready tasks, as a binary heap by share.
    private var active: [ActiveBucket] = []
    /// The task handed out last, until the scheduler says what became of it.
    private var current: (slot: Int32, bucket: Int32)?
    /// Slots handed out or held back and not placed, to put back in their heaps.
    private var tried: [Int32] = []
    private var placed: [(slot: Int32, hostname: HostName)] = []
    /// Tasks the queue held back, with why.
    private(set) var held: [TaskFailure] = []

    /// A pass with an empty queue; the caller swaps its queue in.
    init(now: Instant, fleetCapacity: Resources, usesHostGroups: Bool) {
        queue = TieredTaskQueue()
        self.now = now
        nowNanoseconds = now.heapNanoseconds
        self.fleetCapacity = fleetCapacity
        self.usesHostGroups = usesHostGroups
    }

    mutating func nextTask() -> TaskRequest? {
        if let current {
            tried.append(current.slot)
            self.current = nil
        }
        while true {
            guard let top = active.first else {
                guard advanceTier() else { return nil }
                continue
            }
            let bucket = Int(top.bucket)
            guard let head = queue.buckets[bucket].heap.first, head.eligibleAt <= nowNanoseconds else {
                removeTopBucket()
                continue
            }
            _ = queue.buckets[bucket].heap.popFirst(positions: &queue.positions)
            let slot = Int(head.slot)
            var request = queue.entries[slot].task.request
            let usage = queue.buckets[bucket].usage
            if let cap = queue.buckets[bucket].policy.cap,
                let kind = usage.firstKindExceeding(cap, adding: request.resources)
            {
                let reason = FailureReason.capacityGroupAtCap(
                    queue.buckets[bucket].key.group,
                    kind,
                    cap: cap[kind],
                    used: usage[kind],
                    needed: request.resources[kind]
                )
                hold(head.slot, request, reason)
                continue
            }
            let pinned = queue.entries[slot].task.hostGroup
            switch usesHostGroups || pinned != nil ? queue.eligibility(bucket: bucket, pinned: pinned) : .anywhere {
            case .anywhere:
                break
            case .groups(let groups):
                request.hardConstraints.append(
                    .hostAttributeValue(attribute: queue.configuration.hostGroups.attribute, values: groups)
                )
            case .nowhere(let reason):
                hold(head.slot, request, reason)
                continue
            }
            current = (head.slot, top.bucket)
            return request
        }
    }

    mutating func taskPlaced(_ assignment: TaskAssignment) {
        guard let current, queue.entries[Int(current.slot)].task.id == assignment.taskID else { return }
        self.current = nil
        queue.markRunning(current.slot)
        placed.append((current.slot, assignment.hostname))
        // The bucket served is the one on top; its share grew, so it may sink.
        if let top = active.first, top.bucket == current.bucket {
            active[0].key = key(of: Int(current.bucket))
            siftDown(0)
        }
    }

    mutating func taskNotPlaced(_ failure: TaskFailure) {
        guard let current, queue.entries[Int(current.slot)].task.id == failure.taskID else { return }
        self.current = nil
        queue.entries[Int(current.slot)].outcome = .notPlaced(failure.reasons)
        tried.append(current.slot)
    }

    /// Puts back what was tried and not placed; if the iteration was abandoned, undoes
    /// its placements too. Returns the placements that stand.
    mutating func finish(_ result: SchedulingResult) -> [QueuedPlacement] {
        if let current {
            tried.append(current.slot)
            self.current = nil
        }
        if result.error != nil {
            for (slot, _) in placed {
                queue.markQueued(slot)
                tried.append(slot)
            }
            placed = []
            for failure in result.failures {
                if let slot = queue.slotOfTask[failure.taskID] {
                    queue.entries[Int(slot)].outcome = .notPlaced(failure.reasons)
                }
            }
        }
        for slot in tried where queue.positions[Int(slot)] == TaskHeap.absent {
            let item = queue.entries[Int(slot)].heapItem(slot: slot)
            queue.buckets[Int(queue.entries[Int(slot)].bucket)].heap.insert(item, positions: &queue.positions)
        }
        tried = []
        return placed.map { slot, hostname in
            // Field by field: copying the whole entry out would retain all it holds.
            let index = Int(slot)
            return QueuedPlacement(
                taskID: queue.entries[index].task.request.id,
                tier: queue.entries[index].task.tier,
                capacityGroup: queue.buckets[Int(queue.entries[index].bucket)].key.group,
                hostname: hostname,
                submittedAt: queue.entries[index].submittedAt,
                waited: now - queue.entries[index].eligibleAt
            )
        }
    }

    // MARK: Walking the tiers

    private mutating func hold(_ slot: Int32, _ request: TaskRequest, _ reason: FailureReason) {
        queue.entries[Int(slot)].outcome = .notPlaced([reason])
        held.append(TaskFailure(request: request, reasons: [reason]))
        tried.append(slot)
    }

    /// Moves on to the next tier that has buckets; false when none is left.
    private mutating func advanceTier() -> Bool {
        while tier + 1 < queue.bucketsOfTier.count {
            tier += 1
            tierCapacity = queue.configuration.tiers[tier].capacity ?? fleetCapacity
            active = queue.bucketsOfTier[tier].compactMap { bucket in
                guard let head = queue.buckets[Int(bucket)].heap.first, head.eligibleAt <= nowNanoseconds else {
                    return nil
                }
                return ActiveBucket(key: key(of: Int(bucket)), bucket: bucket)
            }
            guard !active.isEmpty else { continue }
            for position in stride(from: active.count / 2 - 1, through: 0, by: -1) { siftDown(position) }
            return true
        }
        return false
    }

    private func key(of bucket: Int) -> FairShareKey {
        let state = queue.buckets[bucket]
        return FairShareKey(
            usage: state.usage,
            policy: state.policy,
            tierCapacity: tierCapacity,
            nameRank: state.nameRank
        )
    }

    private mutating func removeTopBucket() {
        let last = active.removeLast()
        guard !active.isEmpty else { return }
        active[0] = last
        siftDown(0)
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        let item = active[parent]
        while true {
            let left = 2 * parent + 1
            guard left < active.count else { break }
            let right = left + 1
            let child = right < active.count && active[right].key.precedes(active[left].key) ? right : left
            guard active[child].key.precedes(item.key) else { break }
            active[parent] = active[child]
            parent = child
        }
        active[parent] = item
    }
}

/// A bucket in the walk of its tier, with its share as of the last placement.
private struct ActiveBucket {
    var key: FairShareKey
    var bucket: Int32
}
