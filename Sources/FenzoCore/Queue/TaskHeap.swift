/// Where a queued task stands in its bucket's line: by when it could first be placed,
/// then by when it was enqueued. Small and compared as integers: heaps are walked once
/// per iteration for every ready task.
struct HeapItem: Sendable {
    /// When the task could first be placed, in nanoseconds since the reference point.
    var eligibleAt: Int64
    var sequence: UInt64
    var slot: Int32

    @inline(__always)
    func precedes(_ other: HeapItem) -> Bool {
        eligibleAt != other.eligibleAt ? eligibleAt < other.eligibleAt : sequence < other.sequence
    }
}

extension Instant {
    /// Nanoseconds since the reference point, saturating, for heap keys.
    var heapNanoseconds: Int64 {
        let (seconds, attoseconds) = sinceReference.components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, carry) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        return carry ? (seconds < 0 ? .min : .max) : sum
    }
}

/// A binary min-heap of one bucket's queued tasks that knows where each task sits, so a
/// task can be removed or moved by id in O(log n).
///
/// Positions live in an array the queue shares between all its buckets (indexed by the
/// task's slot), so every operation takes it `inout`.
struct TaskHeap: Sendable {
    static let absent: Int32 = -1

    private(set) var items: [HeapItem] = []

    var count: Int { items.count }
    var isEmpty: Bool { items.isEmpty }
    var first: HeapItem? { items.first }

    mutating func insert(_ item: HeapItem, positions: inout [Int32]) {
        items.append(item)
        positions[Int(item.slot)] = Int32(items.count - 1)
        siftUp(items.count - 1, positions: &positions)
    }

    /// Removes and returns the first item.
    mutating func popFirst(positions: inout [Int32]) -> HeapItem? {
        guard !items.isEmpty else { return nil }
        return remove(at: 0, positions: &positions)
    }

    /// Removes the item at `position`.
    @discardableResult
    mutating func remove(at position: Int, positions: inout [Int32]) -> HeapItem {
        let removed = items[position]
        let last = items.count - 1
        if position != last {
            items.swapAt(position, last)
            positions[Int(items[position].slot)] = Int32(position)
        }
        items.removeLast()
        positions[Int(removed.slot)] = TaskHeap.absent
        if position < items.count {
            if position > 0 && items[position].precedes(items[(position - 1) / 2]) {
                siftUp(position, positions: &positions)
            } else {
                siftDown(position, positions: &positions)
            }
        }
        return removed
    }

    private mutating func siftUp(_ start: Int, positions: inout [Int32]) {
        var child = start
        let item = items[child]
        while child > 0 {
            let parent = (child - 1) / 2
            guard item.precedes(items[parent]) else { break }
            items[child] = items[parent]
            positions[Int(items[child].slot)] = Int32(child)
            child = parent
        }
        items[child] = item
        positions[Int(item.slot)] = Int32(child)
    }

    /// Moves the item at `start` down to where it belongs. Floyd's way: the hole goes
    /// down to a leaf along the smaller children (one comparison a level), then the item
    /// climbs back up, which is short since a heap's last item belongs near the bottom.
    private mutating func siftDown(_ start: Int, positions: inout [Int32]) {
        let item = items[start]
        let count = items.count
        var hole = start
        while true {
            let left = 2 * hole + 1
            guard left < count else { break }
            let right = left + 1
            let child = right < count && items[right].precedes(items[left]) ? right : left
            items[hole] = items[child]
            positions[Int(items[hole].slot)] = Int32(hole)
            hole = child
        }
        while hole > start {
            let parent = (hole - 1) / 2
            guard item.precedes(items[parent]) else { break }
            items[hole] = items[parent]
            positions[Int(items[hole].slot)] = Int32(hole)
            hole = parent
        }
        items[hole] = item
        positions[Int(item.slot)] = Int32(hole)
    }
}
