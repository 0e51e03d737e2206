/// Where a queued task stands in its bucket's line: by when it could first be placed,
/// then by when it was enqueued. `id` tells whether the item is still the task's own
/// (see `QueueEntry.lineItem`); an item whose task left, ran or moved is stale.
struct LineItem: Sendable {
    /// When the task could first be placed, in nanoseconds since the reference point.
    var eligibleAt: Int64
    var sequence: UInt64
    var id: UInt64
    var slot: Int32

    @inline(__always)
    func precedes(_ other: LineItem) -> Bool {
        eligibleAt != other.eligibleAt ? eligibleAt < other.eligibleAt : sequence < other.sequence
    }
}

extension Instant {
    /// Nanoseconds since the reference point, saturating, for line keys.
    var lineNanoseconds: Int64 {
        let (seconds, attoseconds) = sinceReference.components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, carry) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        return carry ? (seconds < 0 ? .min : .max) : sum
    }
}

/// One bucket's tasks in the order they are tried: a sorted run, walked by an iteration
/// with a cursor, plus the items added out of order since the last iteration.
///
/// Tasks nearly always arrive in order (ready when enqueued, later than those before),
/// so adding one appends to the run. An item added out of order (a later ready-at time
/// on an early task, a move) waits in `pending` and is merged in before the next walk.
/// Removing a task, or placing it, leaves its item behind as stale, to be skipped and
/// dropped when the run is compacted. So every operation is O(1) amortized; a walk costs
/// O(1) per item, and merging costs O(p log p + n) for p pending items.
struct WaitingLine: Sendable {
    private(set) var run: [LineItem] = []
    private(set) var pending: [LineItem] = []
    /// Items in `run` and `pending` no longer their task's own.
    private(set) var staleCount = 0

    /// Adds a task's (new) item.
    mutating func add(_ item: LineItem) {
        if let last = run.last, item.precedes(last) {
            pending.append(item)
        } else {
            run.append(item)
        }
    }

    /// Notes that one item went stale (its task left, ran or moved).
    mutating func noteStale() { staleCount += 1 }

    /// Notes that a stale item is live again (a placement undone within its iteration).
    mutating func noteRevived() { staleCount = max(0, staleCount - 1) }

    /// Whether stale items outnumber live ones enough that the line should be compacted
    /// now, to keep memory proportional to the tasks queued.
    var needsCompaction: Bool {
        staleCount > 1024 && 2 * staleCount > run.count + pending.count
    }

    /// Merges pending items into the run, so that a walk sees every live item in order,
    /// dropping stale items on the way (or when they are a quarter of the run). Does
    /// nothing when nothing is pending and little is stale.
    mutating func prepare(isLive: (LineItem) -> Bool) {
        guard !pending.isEmpty || 4 * staleCount > run.count || needsCompaction else { return }
        pending.sort { $0.precedes($1) }
        var merged: [LineItem] = []
        merged.reserveCapacity(run.count + pending.count - staleCount)
        var left = 0
        var right = 0
        while left < run.count || right < pending.count {
            let takeLeft = right == pending.count || (left < run.count && !pending[right].precedes(run[left]))
            let item = takeLeft ? run[left] : pending[right]
            if takeLeft { left += 1 } else { right += 1 }
            if isLive(item) { merged.append(item) }
        }
        run = merged
        pending = []
        staleCount = 0
    }
}
