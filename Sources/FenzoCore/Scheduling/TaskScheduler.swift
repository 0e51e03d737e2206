/// Places tasks on hosts: the scheduling core.
///
/// A value holding what the scheduler knows: hosts and their leases, tasks running on
/// them, and an index of hosts by free resources. Feed it leases, tell it what runs
/// where, and call `schedule(_:newLeases:at:)` with the tasks to place; it returns the
/// assignments and, for every task it could not place, why. It does no I/O and reads
/// no clock, so the same calls give the same results. Not shared between threads:
/// own it from one actor (see `SchedulingService` in the service layer).
public struct TaskScheduler: Sendable {
    public var configuration: SchedulerConfiguration

    var hosts: [HostRecord] = []
    var slotOfHost: [HostName: Int] = [:]
    var slotOfLease: [LeaseID: Int] = [:]
    var attributes = AttributeTable()
    var index = HostIndex()
    var scalarIDs: [String: Int] = [:]
    var scalarNames: [String] = []
    var groupIDs: [TaskGroup: Int] = [:]
    var groups: [GroupPlacements] = []
    var running: [TaskID: RunningRecord] = [:]
    /// Hosts disabled now, so failure reasons can count them without a full scan.
    var disabledSlots = Set<Int>()

    public init(configuration: SchedulerConfiguration = SchedulerConfiguration()) {
        self.configuration = configuration
    }

    // MARK: Hosts and leases

    /// Adds a lease; leases of one host add up. Throws if the lease is malformed or its
    /// id is already held.
    public mutating func addLease(_ lease: Lease) throws(SchedulingError) {
        let problems = lease.problems()
        guard problems.isEmpty else { throw .invalidLease(lease.id, problems) }
        if let holder = slotOfLease[lease.id] { throw .duplicateLease(lease.id, host: hosts[holder].name) }
        let slot = slot(for: lease.hostname, attributes: lease.attributes)
        if !lease.attributes.isEmpty || hosts[slot].leases.isEmpty {
            setAttributes(lease.attributes, slot: slot)
        }
        hosts[slot].leases.append(lease)
        hosts[slot].free += lease.resources
        hosts[slot].freePorts.formUnion(lease.ports)
        for (name, amount) in lease.scalars.sorted(by: { $0.key < $1.key }) {
            hosts[slot].addScalar(scalarID(name), free: amount)
        }
        hosts[slot].adoptResourceSets(lease.resourceSets)
        slotOfLease[lease.id] = slot
        reindex(slot)
    }

    /// Withdraws a lease (Mesos rescinded the offer). Its resources are no longer used.
    @discardableResult
    public mutating func rescindLease(_ id: LeaseID) throws(SchedulingError) -> Lease {
        guard let slot = slotOfLease[id], let position = hosts[slot].leases.firstIndex(where: { $0.id == id }) else {
            throw .unknownLease(id)
        }
        let lease = hosts[slot].leases.remove(at: position)
        slotOfLease[id] = nil
        recomputeOffer(slot)
        return lease
    }

    /// Hands back every unused lease now, for an offer source that wants them all back.
    public mutating func expireAllLeases() -> [Lease] {
        var expired: [Lease] = []
        for slot in hosts.indices where !hosts[slot].leases.isEmpty {
            expired += releaseLeases(of: slot)
        }
        return expired
    }

    /// Keeps tasks off a host until `until` (or until enabled). Its leases stay held.
    public mutating func disableHost(_ name: HostName, until: Instant) throws(SchedulingError) {
        guard let slot = slotOfHost[name] else { throw .unknownHost(name) }
        hosts[slot].disabledUntil = until
        disabledSlots.insert(slot)
        reindex(slot)
    }

    /// Lets a disabled host take tasks again.
    public mutating func enableHost(_ name: HostName) throws(SchedulingError) {
        guard let slot = slotOfHost[name] else { throw .unknownHost(name) }
        hosts[slot].disabledUntil = nil
        disabledSlots.remove(slot)
        reindex(slot)
    }

    /// Every host known, in the order first seen; hosts removed with `removeHost` are left out.
    public var hostViews: [HostView] {
        hosts.indices.compactMap { slotOfHost[hosts[$0].name] == $0 ? hosts[$0].view() : nil }
    }

    /// One host's current state, or nil if it is not known.
    public func host(_ name: HostName) -> HostView? {
        slotOfHost[name].map { hosts[$0].view() }
    }

    /// The leases held for a host, oldest first.
    public func leases(of name: HostName) -> [Lease] {
        slotOfHost[name].map { hosts[$0].leases } ?? []
    }

    /// When a disabled host may take tasks again; nil if it is enabled or unknown.
    public func disabledUntil(_ name: HostName) -> Instant? {
        slotOfHost[name].flatMap { hosts[$0].disabledUntil }
    }

    // MARK: Running tasks

    /// Records a task that already runs on a host (reported after a restart, say), so
    /// it counts against the host's resources and later placements' constraints. Tasks
    /// placed by `schedule` are recorded automatically.
    public mutating func addRunningTask(_ task: RunningTask) throws(SchedulingError) {
        let request = task.request
        let problems = request.problems()
        guard problems.isEmpty else { throw .invalidTask(request.id, problems) }
        if let existing = running[request.id] { throw .duplicateTask(request.id, host: hosts[existing.slot].name) }
        let slot = slot(for: task.hostname, attributes: [:])
        for allocation in task.resourceSets {
            guard let set = hosts[slot].resourceSetIndex(named: allocation.name) else {
                throw .conflictingRunningTask(
                    request.id,
                    "host \(task.hostname) has no resource set \(allocation.name); offer a lease declaring it first"
                )
            }
            guard hosts[slot].resourceSets[set].canHold(allocation) else {
                throw .conflictingRunningTask(
                    request.id,
                    "set \(allocation.index) of \(allocation.name) on \(task.hostname) cannot hold it"
                )
            }
        }
        for allocation in task.resourceSets {
            if let set = hosts[slot].resourceSetIndex(named: allocation.name) {
                hosts[slot].resourceSets[set].hold(allocation)
            }
        }
        for port in task.ports { hosts[slot].freePorts.remove(port) }
        let scalars = request.scalars.sorted { $0.key < $1.key }.map { (id: scalarID($0.key), amount: $0.value) }
        hosts[slot].used += request.resources
        for scalar in scalars { hosts[slot].usedScalars(add: scalar) }
        let exclusive = request.hardConstraints.contains { if case .exclusiveHost = $0 { true } else { false } }
        recordRunning(
            RunningRecord(
                request: request,
                slot: slot,
                group: groupID(request.group),
                ports: task.ports,
                resourceSets: task.resourceSets,
                scalars: scalars,
                exclusive: exclusive,
                uniqueAttributes: uniqueAttributes(of: request)
            )
        )
        reindex(slot)
    }

    /// Forgets a task that ended or was never launched; what it held no longer counts
    /// against its host. The resources themselves come back with the host's next lease.
    @discardableResult
    public mutating func removeRunningTask(_ id: TaskID) throws(SchedulingError) -> RunningTask {
        guard let record = running.removeValue(forKey: id) else { throw .unknownTask(id) }
        let slot = record.slot
        hosts[slot].used -= record.request.resources
        hosts[slot].used = Resources(
            cpus: max(0, hosts[slot].used.cpus),
            memoryMB: max(0, hosts[slot].used.memoryMB),
            diskMB: max(0, hosts[slot].used.diskMB),
            networkMbps: max(0, hosts[slot].used.networkMbps)
        )
        for scalar in record.scalars { hosts[slot].releaseScalar(scalar.id, scalar.amount) }
        for allocation in record.resourceSets {
            if let set = hosts[slot].resourceSetIndex(named: allocation.name) {
                hosts[slot].resourceSets[set].release(allocation)
            }
        }
        if let position = hosts[slot].tasks.firstIndex(of: id) { hosts[slot].tasks.remove(at: position) }
        if record.exclusive { hosts[slot].exclusiveTasks -= 1 }
        groups[record.group].add(slot: slot, table: attributes, delta: -1)
        for attribute in record.uniqueAttributes {
            let remaining = (groups[record.group].declaredUnique[attribute] ?? 0) - 1
            groups[record.group].declaredUnique[attribute] = remaining > 0 ? remaining : nil
        }
        reindex(slot)
        return RunningTask(
            request: record.request,
            hostname: hosts[slot].name,
            ports: record.ports,
            resourceSets: record.resourceSets
        )
    }

    /// A running task as recorded, or nil if the scheduler does not know it.
    public func runningTask(_ id: TaskID) -> RunningTask? {
        running[id].map {
            RunningTask(
                request: $0.request,
                hostname: hosts[$0.slot].name,
                ports: $0.ports,
                resourceSets: $0.resourceSets
            )
        }
    }

    /// How many tasks the scheduler counts as running.
    public var runningTaskCount: Int { running.count }

    // MARK: Internals shared by the iteration

    mutating func slot(for name: HostName, attributes hostAttributes: [String: String]) -> Int {
        if let slot = slotOfHost[name] { return slot }
        let slot = hosts.count
        hosts.append(HostRecord(name: name, attributes: hostAttributes))
        slotOfHost[name] = slot
        attributes.appendHost()
        index.appendSlot()
        _ = attributes.setAttributes(hostAttributes, slot: slot)
        return slot
    }

    mutating func setAttributes(_ newAttributes: [String: String], slot: Int) {
        hosts[slot].attributes = newAttributes
        if attributes.setAttributes(newAttributes, slot: slot) {
            for group in groups.indices { groups[group].invalidateValues() }
            if index.isIndexed(slot) { index.update(slot: slot, host: hosts[slot], table: attributes, eligible: false) }
        }
    }

    mutating func scalarID(_ name: String) -> Int {
        if let id = scalarIDs[name] { return id }
        scalarIDs[name] = scalarNames.count
        scalarNames.append(name)
        return scalarNames.count - 1
    }

    mutating func groupID(_ group: TaskGroup) -> Int {
        if let id = groupIDs[group] { return id }
        groupIDs[group] = groups.count
        groups.append(GroupPlacements())
        return groups.count - 1
    }

    func isEligible(_ slot: Int) -> Bool {
        let host = hosts[slot]
        return host.disabledUntil == nil && host.hasOffer && host.exclusiveTasks == 0
    }

    /// Puts the host where its current state belongs in the index.
    mutating func reindex(_ slot: Int) {
        index.update(slot: slot, host: hosts[slot], table: attributes, eligible: isEligible(slot))
        index.refreshChunk(of: slot, hosts: hosts)
    }

    mutating func recordRunning(_ record: RunningRecord) {
        running[record.request.id] = record
        hosts[record.slot].tasks.append(record.request.id)
        if record.exclusive { hosts[record.slot].exclusiveTasks += 1 }
        groups[record.group].add(slot: record.slot, table: attributes, delta: 1)
        for attribute in record.uniqueAttributes {
            groups[record.group].declaredUnique[attribute, default: 0] += 1
        }
    }

    /// The attributes a request declares unique as hard constraints.
    mutating func uniqueAttributes(of request: TaskRequest) -> [Int] {
        request.hardConstraints.compactMap {
            if case .uniqueHostAttribute(let name) = $0 { attributes.intern(name) } else { nil }
        }
    }

    /// Sets the host's free resources to what its leases offer.
    mutating func recomputeOffer(_ slot: Int) {
        var free = Resources.zero
        var ports = PortRanges()
        var scalars: [Double] = Array(repeating: 0, count: hosts[slot].freeScalars.count)
        for lease in hosts[slot].leases {
            free += lease.resources
            ports.formUnion(lease.ports)
            for (name, amount) in lease.scalars {
                let id = scalarID(name)
                if scalars.count <= id { scalars += Array(repeating: 0, count: id + 1 - scalars.count) }
                scalars[id] += amount
            }
        }
        for port in running.values.filter({ $0.slot == slot }).flatMap(\.ports) { ports.remove(port) }
        hosts[slot].free = free
        hosts[slot].freePorts = ports
        hosts[slot].freeScalars = scalars
        if hosts[slot].usedScalars.count < scalars.count {
            hosts[slot].usedScalars += Array(repeating: 0, count: scalars.count - hosts[slot].usedScalars.count)
        }
        reindex(slot)
    }

    /// Removes and returns every lease of the host, leaving it nothing free.
    mutating func releaseLeases(of slot: Int) -> [Lease] {
        let leases = hosts[slot].leases
        for lease in leases { slotOfLease[lease.id] = nil }
        hosts[slot].leases = []
        hosts[slot].free = .zero
        hosts[slot].freePorts = PortRanges()
        hosts[slot].freeScalars = Array(repeating: 0, count: hosts[slot].freeScalars.count)
        reindex(slot)
        return leases
    }
}

extension HostRecord {
    mutating func usedScalars(add scalar: (id: Int, amount: Double)) {
        addScalar(scalar.id, free: 0)
        usedScalars[scalar.id] += scalar.amount
    }
}
