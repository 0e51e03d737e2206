/// Hosts that can take tasks, indexed by how much of their cpu and memory is free, so a
/// placement looks at a handful of hosts instead of the whole fleet.
///
/// Hosts are split into pools of the same capacity (cpus and memory) and the same
/// values of the attributes constraints ask about (zone, instance type, ...). Within a
/// pool a 64 × 64 grid buckets hosts by free cpu fraction (row) and free memory
/// fraction (column); a bitmap per row marks the cells that hold hosts. A packer walks
/// cells from fullest to emptiest, a spreader the other way, and both stop as soon as
/// no remaining cell could beat the best host found.
struct HostIndex: Sendable {
    static let gridSize = 64
    static let chunkSize = 64
    /// More pools than this and an attribute is checked host by host instead.
    static let maxPools = 1024

    struct PoolKey: Hashable, Sendable {
        var totalCpus: Double
        var totalMemoryMB: Double
        var values: [Int32]
    }

    struct Pool: Sendable {
        var key: PoolKey
        var rowBits = [UInt64](repeating: 0, count: HostIndex.gridSize)
        var nonEmptyRows: UInt64 = 0
        var cells = [[Int32]](repeating: [], count: HostIndex.gridSize * HostIndex.gridSize)
        var count = 0

        init(key: PoolKey) { self.key = key }

        var totalCpus: Double { key.totalCpus }
        var totalMemoryMB: Double { key.totalMemoryMB }
    }

    private(set) var pools: [Pool] = []
    private var poolLookup: [PoolKey: Int] = [:]
    /// Attributes whose values split pools, in key order.
    private(set) var partitionAttributes: [Int] = []
    /// Attributes that would make too many pools; constraints on them are checked per host.
    private(set) var unpartitionable: Set<Int> = []

    private(set) var poolOfSlot: [Int32] = []
    private var cellOfSlot: [Int32] = []
    private var positionOfSlot: [Int32] = []
    /// Per chunk of 64 slots, the most of each resource (and ports) free on an indexed
    /// host in it: scans skip chunks that cannot fit a task, and failure reasons read
    /// the fleet's most free resources without visiting every host.
    private(set) var chunkMaxFree: [Resources] = []
    private(set) var chunkMaxPorts: [Int] = []
    private(set) var indexedCount = 0

    /// The grid row or column of a fraction: NaN and anything at or below 0 go to the
    /// first, anything at or above 1 (infinity too, from a denormal total) to the last.
    @inline(__always)
    static func bucket(_ fraction: Double) -> Int {
        if !(fraction > 0) { return 0 }
        if !(fraction < 1) { return gridSize - 1 }
        return min(gridSize - 1, Int(fraction * Double(gridSize)))
    }

    @inline(__always)
    static func cell(free: Resources, total: Resources) -> Int {
        let row = bucket(total.cpus > 0 ? free.cpus / total.cpus : 0)
        let column = bucket(total.memoryMB > 0 ? free.memoryMB / total.memoryMB : 0)
        return row * gridSize + column
    }

    func isIndexed(_ slot: Int) -> Bool { slot < poolOfSlot.count && poolOfSlot[slot] >= 0 }

    mutating func appendSlot() {
        poolOfSlot.append(-1)
        cellOfSlot.append(-1)
        positionOfSlot.append(-1)
        if poolOfSlot.count > chunkMaxFree.count * HostIndex.chunkSize {
            chunkMaxFree.append(HostIndex.nothingFree)
            chunkMaxPorts.append(-1)
        }
    }

    /// Puts the host in the pool and cell its free and total resources call for, or
    /// takes it out when `eligible` is false.
    mutating func update(slot: Int, host: HostRecord, table: AttributeTable, eligible: Bool) {
        guard eligible else {
            remove(slot: slot)
            return
        }
        let total = host.total
        let key = PoolKey(
            totalCpus: total.cpus,
            totalMemoryMB: total.memoryMB,
            values: partitionAttributes.map { table.value(of: $0, slot: slot) }
        )
        let poolIndex = poolIndex(for: key)
        let cell = HostIndex.cell(free: host.free, total: total)
        if poolOfSlot[slot] == Int32(poolIndex), cellOfSlot[slot] == Int32(cell) { return }
        remove(slot: slot)
        insert(slot: slot, pool: poolIndex, cell: cell)
    }

    /// Updates the summary of `slot`'s chunk after its free resources or eligibility changed.
    mutating func refreshChunk(of slot: Int, hosts: [HostRecord]) {
        let chunk = slot / HostIndex.chunkSize
        var most = HostIndex.nothingFree
        var mostPorts = -1
        let end = min(hosts.count, (chunk + 1) * HostIndex.chunkSize)
        for other in (chunk * HostIndex.chunkSize)..<end where poolOfSlot[other] >= 0 {
            let free = hosts[other].free
            most.cpus = max(most.cpus, free.cpus)
            most.memoryMB = max(most.memoryMB, free.memoryMB)
            most.diskMB = max(most.diskMB, free.diskMB)
            most.networkMbps = max(most.networkMbps, free.networkMbps)
            mostPorts = max(mostPorts, hosts[other].freePorts.count)
        }
        chunkMaxFree[chunk] = most
        chunkMaxPorts[chunk] = mostPorts
    }

    private mutating func poolIndex(for key: PoolKey) -> Int {
        if let index = poolLookup[key] { return index }
        pools.append(Pool(key: key))
        poolLookup[key] = pools.count - 1
        return pools.count - 1
    }

    private mutating func insert(slot: Int, pool: Int, cell: Int) {
        let position = pools[pool].cells[cell].count
        pools[pool].cells[cell].append(Int32(slot))
        pools[pool].count += 1
        let row = cell / HostIndex.gridSize
        pools[pool].rowBits[row] |= 1 << UInt64(cell % HostIndex.gridSize)
        pools[pool].nonEmptyRows |= 1 << UInt64(row)
        poolOfSlot[slot] = Int32(pool)
        cellOfSlot[slot] = Int32(cell)
        positionOfSlot[slot] = Int32(position)
        indexedCount += 1
    }

    private mutating func remove(slot: Int) {
        let pool = Int(poolOfSlot[slot])
        guard pool >= 0 else { return }
        let cell = Int(cellOfSlot[slot])
        let position = Int(positionOfSlot[slot])
        let last = pools[pool].cells[cell].removeLast()
        if Int(last) != slot {
            pools[pool].cells[cell][position] = last
            positionOfSlot[Int(last)] = Int32(position)
        }
        pools[pool].count -= 1
        if pools[pool].cells[cell].isEmpty {
            let row = cell / HostIndex.gridSize
            pools[pool].rowBits[row] &= ~(1 << UInt64(cell % HostIndex.gridSize))
            if pools[pool].rowBits[row] == 0 { pools[pool].nonEmptyRows &= ~(1 << UInt64(row)) }
        }
        poolOfSlot[slot] = -1
        cellOfSlot[slot] = -1
        positionOfSlot[slot] = -1
        indexedCount -= 1
    }

    /// Adds `attribute` to the pool split if the pools stay few enough, rebuilding the
    /// index; returns whether it is now a partition attribute.
    mutating func partition(
        by attribute: Int,
        hosts: [HostRecord],
        table: AttributeTable,
        eligible: [Bool]
    ) -> Bool {
        if partitionAttributes.contains(attribute) { return true }
        if unpartitionable.contains(attribute) { return false }
        let candidate = partitionAttributes + [attribute]
        var keys = Set<PoolKey>()
        for slot in hosts.indices where eligible[slot] {
            let total = hosts[slot].total
            keys.insert(
                PoolKey(
                    totalCpus: total.cpus,
                    totalMemoryMB: total.memoryMB,
                    values: candidate.map { table.value(of: $0, slot: slot) }
                )
            )
            if keys.count > HostIndex.maxPools {
                unpartitionable.insert(attribute)
                return false
            }
        }
        partitionAttributes = candidate
        rebuild(hosts: hosts, table: table, eligible: eligible)
        return true
    }

    /// Re-indexes every host from scratch, keeping the partition attributes.
    mutating func rebuild(hosts: [HostRecord], table: AttributeTable, eligible: [Bool]) {
        pools = []
        poolLookup = [:]
        indexedCount = 0
        for slot in poolOfSlot.indices {
            poolOfSlot[slot] = -1
            cellOfSlot[slot] = -1
            positionOfSlot[slot] = -1
        }
        for slot in hosts.indices where eligible[slot] {
            update(slot: slot, host: hosts[slot], table: table, eligible: true)
        }
        refreshAllChunks(hosts: hosts)
    }

    /// A chunk summary for no indexed host at all.
    static let nothingFree = Resources(cpus: -1, memoryMB: -1, diskMB: -1, networkMbps: -1)

    /// The most of each resource and of ports free on any indexed host; -1 when none.
    func mostFree() -> (resources: Resources, ports: Int) {
        var most = HostIndex.nothingFree
        for chunk in chunkMaxFree {
            most.cpus = max(most.cpus, chunk.cpus)
            most.memoryMB = max(most.memoryMB, chunk.memoryMB)
            most.diskMB = max(most.diskMB, chunk.diskMB)
            most.networkMbps = max(most.networkMbps, chunk.networkMbps)
        }
        return (most, chunkMaxPorts.max() ?? -1)
    }

    mutating func refreshAllChunks(hosts: [HostRecord]) {
        for chunk in chunkMaxFree.indices {
            refreshChunk(of: chunk * HostIndex.chunkSize, hosts: hosts)
        }
    }

    /// Where in its pool's partition values `attribute` sits, if it splits pools.
    func partitionPosition(of attribute: Int) -> Int? {
        partitionAttributes.firstIndex(of: attribute)
    }
}
