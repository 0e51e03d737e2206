/// A host's consumable resource sets of one name: `sets` sets of `slotsPerSet` slots each.
///
/// The model is a host's network interfaces: each interface (set) is bound to one
/// security group (label) by the first task that uses it; tasks of the same label share
/// it up to its slot count (IP addresses), tasks of another label need a free interface.
/// Fenzo calls these preferential named consumable resources.
public struct ResourceSetDefinition: Hashable, Sendable {
    public var name: String
    public var sets: Int
    public var slotsPerSet: Int

    public init(name: String, sets: Int, slotsPerSet: Int) {
        self.name = name
        self.sets = sets
        self.slotsPerSet = slotsPerSet
    }

    func problems() -> [String] {
        var found: [String] = []
        if name.isEmpty { found.append("resource set name is empty") }
        if sets < 0 { found.append("resource set \(name): set count is negative (\(sets))") }
        if slotsPerSet < 0 { found.append("resource set \(name): slots per set is negative (\(slotsPerSet))") }
        return found
    }
}

/// A task's ask for slots in one set of a named resource, bound to a label.
public struct ResourceSetAsk: Hashable, Sendable {
    public var name: String
    /// Tasks with the same label may share a set; a set holds one label at a time.
    public var label: String
    public var slots: Int

    public init(name: String, label: String, slots: Int = 1) {
        self.name = name
        self.label = label
        self.slots = slots
    }
}

/// The set (by index) a task was given for one of its asks.
public struct ResourceSetAllocation: Hashable, Sendable {
    public var name: String
    public var index: Int
    public var label: String
    public var slots: Int

    public init(name: String, index: Int, label: String, slots: Int) {
        self.name = name
        self.index = index
        self.label = label
        self.slots = slots
    }
}

/// The state of one host's sets of one name: which label holds each set and how many
/// of its slots are used.
struct ResourceSetState: Hashable, Sendable {
    var definition: ResourceSetDefinition
    var labels: [String?]
    var used: [Int]

    init(definition: ResourceSetDefinition) {
        self.definition = definition
        labels = Array(repeating: nil, count: max(0, definition.sets))
        used = Array(repeating: 0, count: max(0, definition.sets))
    }

    /// The set an ask would get: one already holding its label with room, else the
    /// lowest-numbered free set; nil if none.
    func choose(for ask: ResourceSetAsk) -> Int? {
        guard ask.slots <= definition.slotsPerSet else { return nil }
        var free: Int?
        for index in labels.indices {
            if labels[index] == ask.label, used[index] + ask.slots <= definition.slotsPerSet { return index }
            if free == nil, labels[index] == nil { free = index }
        }
        return free
    }

    mutating func allocate(_ ask: ResourceSetAsk, at index: Int) {
        labels[index] = ask.label
        used[index] += ask.slots
    }

    /// Whether `allocation` can be recorded as already held (a running task's).
    func canHold(_ allocation: ResourceSetAllocation) -> Bool {
        guard labels.indices.contains(allocation.index) else { return false }
        let label = labels[allocation.index]
        return (label == nil || label == allocation.label)
            && used[allocation.index] + allocation.slots <= definition.slotsPerSet
    }

    mutating func hold(_ allocation: ResourceSetAllocation) {
        guard labels.indices.contains(allocation.index) else { return }
        labels[allocation.index] = allocation.label
        used[allocation.index] += allocation.slots
    }

    mutating func release(_ allocation: ResourceSetAllocation) {
        guard labels.indices.contains(allocation.index) else { return }
        used[allocation.index] = max(0, used[allocation.index] - allocation.slots)
        if used[allocation.index] == 0 { labels[allocation.index] = nil }
    }

    /// Sets in use (bound to a label).
    var setsInUse: Int { labels.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }
}
