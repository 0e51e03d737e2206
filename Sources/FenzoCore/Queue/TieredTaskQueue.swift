/// Tasks waiting to be placed, in tiers and, within a tier, in buckets per capacity group,
/// taken in fair-share order.
///
/// An iteration (`schedule(on:newLeases:at:)`) takes the tiers in order, tier 0 first;
/// within a tier it always takes the next ready task of the bucket furthest below its
/// share (see `CapacityGroupPolicy`), so shares move as tasks are placed and no bucket
/// starves another. Within a bucket tasks go in the order they became ready, then in the
/// order they were enqueued. The queue also counts what each bucket's running tasks use,
/// since shares include them: it learns of placements from the iteration, of tasks that
/// ran before it existed from `recordRunning(_:)`, and of tasks that end from
/// `taskEnded(_:)`.
///
/// Enqueue, remove, `setReadyAt` and `move` cost O(1) amortized (see `WaitingLine`); an
/// iteration costs O(1) per task it hands out, plus O(p log p) for the p tasks that
/// arrived out of order since the last one, plus O(b log b) per tier for its b buckets.
/// A value with no I/O and no clock: time is passed in.
public struct TieredTaskQueue: Sendable {
    public private(set) var configuration: TaskQueueConfiguration

    /// Queued and running tasks by slot; a free slot holds `QueueEntry.vacant`, and
    /// `slotOfTask` says which slots are taken. Not optional, so a field is read in place
    /// instead of copying the whole entry out. A placed task keeps its slot, marked
    /// running, so placing and ending it cost no hashing beyond the id lookup.
    var entries: [QueueEntry] = []
    var freeSlots: [Int32] = []
    var slotOfTask: [TaskID: Int32] = [:]
    var buckets: [QueueBucket] = []
    var bucketOfKey: [BucketKey: Int32] = [:]
    /// The buckets of each tier.
    var bucketsOfTier: [[Int32]]
    /// How many entries are running tasks.
    public private(set) var runningCount = 0
    var nextSequence: UInt64 = 0
    /// The id the next line item gets; 0 means "no item".
    var nextItemID: UInt64 = 1

    /// An empty queue with two tiers, 0 (critical) and 1 (flex), and no shares, caps or
    /// host groups.
    public init() {
        configuration = TaskQueueConfiguration()
        bucketsOfTier = Array(repeating: [], count: configuration.tiers.count)
    }

    /// An empty queue; throws if the configuration has problems.
    public init(configuration: TaskQueueConfiguration) throws(TaskQueueError) {
        let problems = configuration.problems()
        guard problems.isEmpty else { throw .invalidConfiguration(problems) }
        self.configuration = configuration
        bucketsOfTier = Array(repeating: [], count: configuration.tiers.count)
    }

    // MARK: Queued tasks

    /// Queues a task. Throws if its request is invalid, its tier is not configured, or a
    /// task with its id is already queued or running.
    /// - Parameters:
    ///   - task: the task and where it queues.
    ///   - now: when it is enqueued; with its ready-at time, this orders it in its bucket.
    public mutating func enqueue(_ task: QueuedTask, at now: Instant) throws(TaskQueueError) {
        try check(task)
        try insert(task, at: now)
    }

    /// Queues a task already checked (by `check(_:tierCount:)`), refusing only a
    /// duplicate id: the scheduling service checks at submission, so it does not check
    /// twice.
    mutating func insert(_ task: QueuedTask, at now: Instant) throws(TaskQueueError) {
        guard task.tier >= 0 && task.tier < bucketsOfTier.count else {
            throw .unknownTier(task.id, tier: task.tier, tierCount: bucketsOfTier.count)
        }
        let slot = allocateSlot()
        // One hash for the duplicate check and the insertion.
        if let existing = slotOfTask.updateValue(slot, forKey: task.id) {
            slotOfTask[task.id] = existing
            freeSlots.append(slot)
            throw .duplicateTask(task.id, running: entries[Int(existing)].isRunning)
        }
        let bucket = bucketIndex(tier: task.tier, group: task.capacityGroup)
        entries[Int(slot)] = QueueEntry(task: task, sequence: nextSequence, submittedAt: now, bucket: bucket)
        nextSequence += 1
        link(slot)
    }

    /// Takes a queued task out of the queue; nil if it is not queued.
    @discardableResult
    public mutating func remove(_ id: TaskID) -> QueuedTask? {
        guard let slot = slotOfTask[id], !entries[Int(slot)].isRunning else { return nil }
        slotOfTask[id] = nil
        let task = entries[Int(slot)].task
        unlink(slot)
        release(slot)
        return task
    }

    /// Sets when a queued task may next be tried (a retry backoff, say); nil: now. The
    /// task keeps its place among tasks that became ready at the same time.
    public mutating func setReadyAt(_ readyAt: Instant?, for id: TaskID) throws(TaskQueueError) {
        guard let slot = slotOfTask[id], !entries[Int(slot)].isRunning else { throw .unknownTask(id) }
        unlink(slot)
        entries[Int(slot)].task.readyAt = readyAt
        entries[Int(slot)].outcome = .awaitingIteration
        link(slot)
    }

    /// Moves a queued task to another tier or capacity group, keeping its place in line
    /// by when it was enqueued.
    public mutating func move(_ id: TaskID, toTier tier: Int, capacityGroup: CapacityGroupName) throws(TaskQueueError) {
        guard let slot = slotOfTask[id], !entries[Int(slot)].isRunning else { throw .unknownTask(id) }
        guard tier >= 0 && tier < configuration.tiers.count else {
            throw .unknownTier(id, tier: tier, tierCount: configuration.tiers.count)
        }
        unlink(slot)
        let bucket = bucketIndex(tier: tier, group: capacityGroup)
        entries[Int(slot)].task.tier = tier
        entries[Int(slot)].task.capacityGroup = capacityGroup
        entries[Int(slot)].bucket = bucket
        entries[Int(slot)].outcome = .awaitingIteration
        link(slot)
    }

    /// A queued task, or nil if it is not queued.
    public func queuedTask(_ id: TaskID) -> QueuedTask? {
        guard let slot = slotOfTask[id], !entries[Int(slot)].isRunning else { return nil }
        return entries[Int(slot)].task
    }

    /// How many tasks are queued.
    public var count: Int { slotOfTask.count - runningCount }

    /// How many tasks are queued in one tier.
    public func count(inTier tier: Int) -> Int {
        guard tier >= 0 && tier < bucketsOfTier.count else { return 0 }
        return bucketsOfTier[tier].reduce(0) { $0 + buckets[Int($1)].queuedCount }
    }

    /// Why a queued task is not running yet; nil if it is not queued.
    /// - Parameters:
    ///   - id: the task.
    ///   - now: the current time, to tell whether its ready-at time has come.
    public func pendingReason(for id: TaskID, at now: Instant) -> PendingReason? {
        guard let slot = slotOfTask[id], !entries[Int(slot)].isRunning else { return nil }
        if let readyAt = entries[Int(slot)].task.readyAt, readyAt > now { return .notReady(until: readyAt) }
        return entries[Int(slot)].outcome
    }

    // MARK: Running tasks

    /// Counts a task that already runs (placed before this queue existed, say) against
    /// its capacity group's share and cap. Tasks the queue's iterations place are counted
    /// automatically.
    public mutating func recordRunning(_ task: QueuedTask) throws(TaskQueueError) {
        try check(task)
        if let slot = slotOfTask[task.id] { throw .duplicateTask(task.id, running: entries[Int(slot)].isRunning) }
        let bucket = bucketIndex(tier: task.tier, group: task.capacityGroup)
        let slot = allocateSlot()
        entries[Int(slot)] = QueueEntry(task: task, sequence: nextSequence, submittedAt: .zero, bucket: bucket)
        nextSequence += 1
        slotOfTask[task.id] = slot
        markRunning(slot, fromLine: false)
    }

    /// Stops counting a running task against its capacity group; returns whether the
    /// queue counted it.
    @discardableResult
    public mutating func taskEnded(_ id: TaskID) -> Bool {
        guard let slot = slotOfTask[id], entries[Int(slot)].isRunning else { return false }
        unmarkRunning(slot, backInLine: false)
        slotOfTask[id] = nil
        release(slot)
        return true
    }

    /// Whether the queue counts this task as running.
    public func isRunning(_ id: TaskID) -> Bool {
        slotOfTask[id].map { entries[Int($0)].isRunning } ?? false
    }

    /// What a capacity group's running tasks use in a tier.
    public func usage(of group: CapacityGroupName, inTier tier: Int) -> Resources {
        bucketOfKey[BucketKey(tier: tier, group: group)].map { buckets[Int($0)].usage } ?? .zero
    }

    // MARK: Configuration

    /// Replaces the configuration: shares, caps and host groups apply from the next
    /// iteration. Throws if it has problems or drops a tier that still holds tasks.
    public mutating func setConfiguration(_ newConfiguration: TaskQueueConfiguration) throws(TaskQueueError) {
        let problems = newConfiguration.problems()
        guard problems.isEmpty else { throw .invalidConfiguration(problems) }
        for tier in newConfiguration.tiers.count..<max(newConfiguration.tiers.count, bucketsOfTier.count) {
            let tasks = bucketsOfTier[tier].reduce(0) {
                $0 + buckets[Int($1)].queuedCount + buckets[Int($1)].runningCount
            }
            if tasks > 0 { throw .tierStillUsed(tier, tasks: tasks) }
        }
        configuration = newConfiguration
        if bucketsOfTier.count > newConfiguration.tiers.count {
            for tier in newConfiguration.tiers.count..<bucketsOfTier.count {
                for bucket in bucketsOfTier[tier] { bucketOfKey[buckets[Int(bucket)].key] = nil }
            }
            bucketsOfTier.removeLast(bucketsOfTier.count - newConfiguration.tiers.count)
        }
        while bucketsOfTier.count < newConfiguration.tiers.count { bucketsOfTier.append([]) }
        for index in buckets.indices {
            let key = buckets[index].key
            guard key.tier < newConfiguration.tiers.count else { continue }
            buckets[index].policy = policy(for: key)
            buckets[index].eligibility = nil
            buckets[index].pinnedEligibility = [:]
        }
    }

    // MARK: Internals

    func check(_ task: QueuedTask) throws(TaskQueueError) {
        try TieredTaskQueue.check(task, tierCount: configuration.tiers.count)
    }

    /// Checks what can be checked of a task without the queue's contents.
    static func check(_ task: QueuedTask, tierCount: Int) throws(TaskQueueError) {
        var problems = task.request.problems()
        if let group = task.hostGroup, group.isEmpty { problems.append("host group is empty; use nil for any group") }
        guard problems.isEmpty else { throw .invalidTask(task.id, problems) }
        guard task.tier >= 0 && task.tier < tierCount else {
            throw .unknownTier(task.id, tier: task.tier, tierCount: tierCount)
        }
    }

    func policy(for key: BucketKey) -> CapacityGroupPolicy {
        configuration.tiers[key.tier].capacityGroups[key.group] ?? CapacityGroupPolicy()
    }

    mutating func bucketIndex(tier: Int, group: CapacityGroupName) -> Int32 {
        let key = BucketKey(tier: tier, group: group)
        if let index = bucketOfKey[key] { return index }
        let index = Int32(buckets.count)
        buckets.append(QueueBucket(key: key, policy: policy(for: key)))
        bucketOfKey[key] = index
        bucketsOfTier[tier].append(index)
        // Ties in share go by name: rank the tier's buckets again (new buckets are rare).
        let ranked = bucketsOfTier[tier].sorted { buckets[Int($0)].key.group < buckets[Int($1)].key.group }
        for (rank, bucket) in ranked.enumerated() { buckets[Int(bucket)].nameRank = rank }
        return index
    }

    mutating func allocateSlot() -> Int32 {
        if let slot = freeSlots.popLast() { return slot }
        entries.append(.vacant)
        return Int32(entries.count - 1)
    }

    /// Frees a slot whose task has left the queue (and its line).
    mutating func release(_ slot: Int32) {
        entries[Int(slot)] = .vacant
        freeSlots.append(slot)
    }

    /// Puts a queued slot's task in its bucket's line, with a new item.
    mutating func link(_ slot: Int32) {
        let bucket = Int(entries[Int(slot)].bucket)
        let item = LineItem(
            eligibleAt: entries[Int(slot)].eligibleAt.lineNanoseconds,
            sequence: entries[Int(slot)].sequence,
            id: nextItemID,
            slot: slot
        )
        nextItemID += 1
        entries[Int(slot)].lineItem = item.id
        buckets[bucket].line.add(item)
        buckets[bucket].queuedCount += 1
    }

    /// Takes a queued slot's task out of its bucket's line: its item goes stale.
    mutating func unlink(_ slot: Int32) {
        let bucket = Int(entries[Int(slot)].bucket)
        entries[Int(slot)].lineItem = 0
        buckets[bucket].queuedCount -= 1
        buckets[bucket].line.noteStale()
        if buckets[bucket].line.needsCompaction { prepareLine(bucket) }
    }

    /// Whether a line item is still its task's own, and the task still queued.
    @inline(__always)
    func isLive(_ item: LineItem) -> Bool {
        entries[Int(item.slot)].lineItem == item.id && !entries[Int(item.slot)].isRunning
    }

    /// Merges a bucket's pending items and drops stale ones, as `WaitingLine.prepare`.
    mutating func prepareLine(_ bucket: Int) {
        // Moved out so the line is not copied while `isLive` reads the entries.
        var line = buckets[bucket].line
        buckets[bucket].line = WaitingLine()
        line.prepare { isLive($0) }
        buckets[bucket].line = line
    }

    /// Counts a slot's task as running, against its bucket; a task placed out of its
    /// line leaves its item there, stale.
    mutating func markRunning(_ slot: Int32, fromLine: Bool) {
        let bucket = Int(entries[Int(slot)].bucket)
        entries[Int(slot)].isRunning = true
        buckets[bucket].usage += entries[Int(slot)].task.request.resources
        buckets[bucket].runningCount += 1
        runningCount += 1
        if fromLine {
            buckets[bucket].queuedCount -= 1
            buckets[bucket].line.noteStale()
        }
    }

    /// Stops counting a slot's task as running: it ended, or (`backInLine`) its placement
    /// was undone within the iteration, and its item in the line is live again.
    mutating func unmarkRunning(_ slot: Int32, backInLine: Bool) {
        let bucket = Int(entries[Int(slot)].bucket)
        entries[Int(slot)].isRunning = false
        if backInLine {
            buckets[bucket].queuedCount += 1
            buckets[bucket].line.noteRevived()
        }
        let left = buckets[bucket].usage - entries[Int(slot)].task.request.resources
        buckets[bucket].usage = Resources(
            cpus: max(0, left.cpus),
            memoryMB: max(0, left.memoryMB),
            diskMB: max(0, left.diskMB),
            networkMbps: max(0, left.networkMbps)
        )
        buckets[bucket].runningCount -= 1
        runningCount -= 1
    }
}

/// A bucket: one capacity group in one tier.
struct BucketKey: Hashable, Sendable {
    var tier: Int
    var group: CapacityGroupName
}

struct QueueBucket: Sendable {
    let key: BucketKey
    var policy: CapacityGroupPolicy
    var line = WaitingLine()
    /// How many of its tasks are queued (live in the line).
    var queuedCount = 0
    /// What the bucket's running tasks use.
    var usage: Resources = .zero
    var runningCount = 0
    /// The bucket's place by name among its tier's buckets, for ties in share.
    var nameRank = 0
    /// Where the bucket's unpinned tasks may run, worked out once per configuration.
    var eligibility: HostGroupEligibility?
    var pinnedEligibility: [String: HostGroupEligibility] = [:]

    init(key: BucketKey, policy: CapacityGroupPolicy) {
        self.key = key
        self.policy = policy
    }
}

/// A queued task and what the queue knows of it.
struct QueueEntry: Sendable {
    var task: QueuedTask
    var sequence: UInt64
    var submittedAt: Instant
    var bucket: Int32
    /// What became of it in the last iteration that tried it.
    var outcome = PendingReason.awaitingIteration
    /// Placed (or recorded as running): counted against its bucket, not waiting.
    var isRunning = false
    /// The id of its item in its bucket's line; 0 while it has none.
    var lineItem: UInt64 = 0

    /// When it could first be placed: enqueued, or its ready-at time if later.
    var eligibleAt: Instant { max(submittedAt, task.readyAt ?? submittedAt) }

    /// What a free slot holds.
    static let vacant = QueueEntry(
        task: QueuedTask(TaskRequest(id: "", resources: .zero)),
        sequence: 0,
        submittedAt: .zero,
        bucket: -1
    )
}
