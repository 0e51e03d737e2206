/// Everything the scheduler knows about one host: its offered leases, what they leave
/// free after this iteration's placements, and what runs there.
struct HostRecord: Sendable {
    let name: HostName
    var attributes: [String: String]
    /// Leases held, oldest first.
    var leases: [Lease] = []
    /// Offered and not yet placed on, summed over the leases.
    var free: Resources = .zero
    /// Used by running tasks and this iteration's placements.
    var used: Resources = .zero
    var freePorts = PortRanges()
    /// Free and used amounts of named scalar resources, by scalar id.
    var freeScalars: [Double] = []
    var usedScalars: [Double] = []
    var resourceSets: [ResourceSetState] = []
    /// Running tasks and this iteration's placements, in the order they arrived.
    var tasks: [TaskID] = []
    /// Tasks here that must be alone on their host.
    var exclusiveTasks = 0
    var disabledUntil: Instant?
    /// Whether this iteration placed a task here (its leases are then consumed).
    var placedThisIteration = false

    init(name: HostName, attributes: [String: String]) {
        self.name = name
        self.attributes = attributes
    }

    /// What the host has in all: free plus used.
    var total: Resources { free + used }

    var hasOffer: Bool { !leases.isEmpty || placedThisIteration }

    func freeScalar(_ id: Int) -> Double { id < freeScalars.count ? freeScalars[id] : 0 }

    mutating func addScalar(_ id: Int, free amount: Double) {
        if freeScalars.count <= id {
            freeScalars += Array(repeating: 0, count: id + 1 - freeScalars.count)
            usedScalars += Array(repeating: 0, count: id + 1 - usedScalars.count)
        }
        freeScalars[id] += amount
    }

    mutating func useScalar(_ id: Int, _ amount: Double) {
        addScalar(id, free: 0)
        freeScalars[id] -= amount
        usedScalars[id] += amount
    }

    mutating func releaseScalar(_ id: Int, _ amount: Double) {
        addScalar(id, free: 0)
        usedScalars[id] = max(0, usedScalars[id] - amount)
    }

    func resourceSetIndex(named name: String) -> Int? {
        resourceSets.firstIndex { $0.definition.name == name }
    }

    /// Makes the host's sets follow `definitions`, keeping which slots are in use.
    mutating func adoptResourceSets(_ definitions: [ResourceSetDefinition]) {
        for definition in definitions {
            if let index = resourceSetIndex(named: definition.name) {
                var state = ResourceSetState(definition: definition)
                let old = resourceSets[index]
                for set in 0..<min(old.labels.count, state.labels.count) {
                    state.labels[set] = old.labels[set]
                    state.used[set] = old.used[set]
                }
                resourceSets[index] = state
            } else {
                resourceSets.append(ResourceSetState(definition: definition))
            }
        }
    }

    func view(includingGroups groups: [TaskGroup: Int] = [:]) -> HostView {
        HostView(
            name: name,
            attributes: attributes,
            total: total,
            free: free,
            used: used,
            freePorts: freePorts.count,
            taskCount: tasks.count,
            tasksByGroup: groups
        )
    }
}

/// A task the scheduler counts as running, with where it runs and what it holds.
struct RunningRecord: Sendable {
    var request: TaskRequest
    var slot: Int
    var group: Int
    var ports: [Int]
    var resourceSets: [ResourceSetAllocation]
    var scalars: [(id: Int, amount: Double)]
    var exclusive: Bool
    /// Attributes the task declared unique (hard), which bind its whole group.
    var uniqueAttributes: [Int]
}
