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
    ///   - untriedOnly: try only tasks no iteration has tried since they were enqueued (or
    ///     given a new ready-at time, tier or group); tasks an iteration could not place
    ///     keep their reasons and are not tried again. Right when nothing has been added to
    ///     the fleet since those tasks were tried: what did not fit then does not fit now.
    public mutating func schedule(
        on scheduler: inout TaskScheduler,
        newLeases: [Lease] = [],
        at now: Instant,
        untriedOnly: Bool = false
    ) -> QueueIterationResult {
        // Leases go in first so that shares are measured against the fleet they add to.
        let rejected = scheduler.acceptLeases(newLeases)
        var pass = QueuePass(
            now: now,
            fleetCapacity: scheduler.fleetCapacity,
            usesHostGroups: configuration.hostGroups.activeGroups != nil,
            untriedOnly: untriedOnly
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
/// Each bucket's line is walked with a cursor, so each ready task is handed out once.
/// A placed task is marked running and its item goes stale; a task not placed stays
/// where it was, with its reasons.
struct QueuePass: TaskSource {
    var queue = TieredTaskQueue()
    let now: Instant
    private let nowNanoseconds: Int64
    let fleetCapacity: Resources
    /// Whether host groups restrict unpinned tasks (some groups are marked active).
    private let usesHostGroups: Bool
    /// Whether tasks an earlier iteration tried are passed over.
    private let untriedOnly: Bool

    /// The tier being walked; -1 before the first.
    private var tier = -1
    private var tierCapacity = Resources.zero
    /// The tier's buckets that may still have ready tasks, as a binary heap by share.
    private var active: [ActiveBucket] = []
    /// Where each bucket's walk has got to in its line's run, by bucket index.
    private var cursors: [Int] = []
    /// The task handed out last, until the scheduler says what became of it.
    private var current: (slot: Int32, bucket: Int32)?
    private var placed: [(slot: Int32, hostname: HostName)] = []
    /// Tasks the queue held back, with why.
    private(set) var held: [TaskFailure] = []

    /// A pass with an empty queue; the caller swaps its queue in.
    init(now: Instant, fleetCapacity: Resources, usesHostGroups: Bool, untriedOnly: Bool = false) {
        self.now = now
        nowNanoseconds = now.lineNanoseconds
        self.fleetCapacity = fleetCapacity
        self.usesHostGroups = usesHostGroups
        self.untriedOnly = untriedOnly
    }

    mutating func nextTask() -> TaskRequest? {
        current = nil
        while true {
            guard let top = active.first else {
                guard advanceTier() else { return nil }
                continue
            }
            let bucket = Int(top.bucket)
            guard let item = readyItem(of: bucket) else {
                removeTopBucket()
                continue
            }
            cursors[bucket] += 1
            let slot = Int(item.slot)
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
                hold(item.slot, request, reason)
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
                hold(item.slot, request, reason)
                continue
            }
            current = (item.slot, top.bucket)
            return request
        }
    }

    mutating func taskPlaced(_ assignment: TaskAssignment) {
        guard let current, queue.entries[Int(current.slot)].task.id == assignment.taskID else { return }
        self.current = nil
        queue.markRunning(current.slot, fromLine: true)
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
    }

    /// If the iteration was abandoned, undoes its placements (the tasks are back where
    /// they were in their lines). Returns the placements that stand.
    mutating func finish(_ result: SchedulingResult) -> [QueuedPlacement] {
        current = nil
        if result.error != nil {
            for (slot, _) in placed { queue.unmarkRunning(slot, backInLine: true) }
            placed = []
            for failure in result.failures {
                if let slot = queue.slotOfTask[failure.taskID] {
                    queue.entries[Int(slot)].outcome = .notPlaced(failure.reasons)
                }
            }
        }
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

    /// The bucket's next live item if it is ready, the cursor moved up to it past stale
    /// items (and, in an untried-only pass, past tasks already tried); nil when the bucket
    /// has no more ready tasks.
    private mutating func readyItem(of bucket: Int) -> LineItem? {
        var cursor = cursors[bucket]
        defer { cursors[bucket] = cursor }
        while cursor < queue.buckets[bucket].line.run.count {
            let item = queue.buckets[bucket].line.run[cursor]
            if queue.isLive(item) {
                guard item.eligibleAt <= nowNanoseconds else { return nil }
                guard untriedOnly, queue.entries[Int(item.slot)].outcome != .awaitingIteration else { return item }
            }
            cursor += 1
        }
        return nil
    }

    private mutating func hold(_ slot: Int32, _ request: TaskRequest, _ reason: FailureReason) {
        queue.entries[Int(slot)].outcome = .notPlaced([reason])
        held.append(TaskFailure(request: request, reasons: [reason]))
    }

    /// Moves on to the next tier that has ready tasks; false when none is left.
    private mutating func advanceTier() -> Bool {
        if cursors.count < queue.buckets.count {
            cursors += Array(repeating: 0, count: queue.buckets.count - cursors.count)
        }
        while tier + 1 < queue.bucketsOfTier.count {
            tier += 1
            tierCapacity = queue.configuration.tiers[tier].capacity ?? fleetCapacity
            active = []
            for bucket in queue.bucketsOfTier[tier] where queue.buckets[Int(bucket)].queuedCount > 0 {
                queue.prepareLine(Int(bucket))
                cursors[Int(bucket)] = 0
                // A bucket whose first live task is not ready has none ready.
                guard readyItem(of: Int(bucket)) != nil else { continue }
                active.append(ActiveBucket(key: key(of: Int(bucket)), bucket: bucket))
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
