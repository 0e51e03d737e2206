/// How many new hosts of which group the waiting tasks need.
public struct ShortfallEstimate: Sendable {
    /// New hosts each group needs to place the tasks counted against it.
    public var hostsNeeded: [HostGroup: Int] = [:]
    /// The waiting tasks counted against each group.
    public var tasks: [HostGroup: [TaskID]] = [:]
    /// Waiting tasks that would now fit hosts already known (the fleet changed since
    /// they failed): they need no new host.
    public var fitExistingHosts: [TaskID] = []
    /// Waiting tasks that no number of new hosts of any group would place: too big for
    /// every group's hosts, invalid, or held back by a constraint more hosts cannot
    /// satisfy (every zone already holds one of a unique-zone job, say).
    public var unfixable: [TaskFailure] = []

    public init() {}

    /// New hosts needed in all.
    public var totalHostsNeeded: Int { hostsNeeded.values.reduce(0, +) }
}

extension Autoscaler {
    /// Works out how many new hosts of which group would place the waiting tasks, by
    /// placing them on would-be hosts of each group's shape with the real engine.
    ///
    /// A copy of the scheduler is given empty hosts of the group's shape (with its
    /// attributes, zones taken in turn) and schedules the tasks with the scheduler's own
    /// configuration, so the count is what bin packing needs, tasks already running
    /// count against constraints, and a task held back by a constraint more hosts
    /// cannot satisfy fails there too. Groups are tried in rule order; a task goes to
    /// the first that places it.
    /// - Parameters:
    ///   - failures: the tasks the last iteration could not place.
    ///   - scheduler: the scheduler they failed in (it is copied, not changed).
    ///   - now: the current time.
    public func shortfall(of failures: [TaskFailure], in scheduler: TaskScheduler, at now: Instant)
        -> ShortfallEstimate
    {
        var estimate = ShortfallEstimate()
        var remaining: [TaskFailure] = []
        for failure in failures {
            if failure.reasons.contains(where: \.hidesShortfall) {
                estimate.unfixable.append(failure)
            } else {
                remaining.append(failure)
            }
        }
        guard !remaining.isEmpty else { return estimate }
        let views = scheduler.hostViews
        for rule in configuration.rules where !remaining.isEmpty {
            guard let shape = newHostShape(for: rule, views: views) else { continue }
            let trial = packOnNewHosts(remaining, group: rule.group, shape: shape, scheduler: scheduler, at: now)
            if trial.hostsUsed > 0 {
                estimate.hostsNeeded[rule.group] = trial.hostsUsed
                estimate.tasks[rule.group] = trial.placedOnNew
            }
            estimate.fitExistingHosts += trial.placedOnKnown
            let placed = Set(trial.placedOnNew).union(trial.placedOnKnown)
            remaining.removeAll { placed.contains($0.taskID) }
        }
        estimate.unfixable += remaining
        return estimate
    }

    /// What a new host of the rule's group would offer, with the attributes it would
    /// carry and the balance values new hosts would be spread over.
    struct NewHostShape {
        var shape: HostShape
        var balanceValues: [String]
    }

    func newHostShape(for rule: AutoscaleRule, views: [HostView]) -> NewHostShape? {
        let members = views.filter { $0.attributes[configuration.groupAttribute] == rule.group.rawValue }
        var balanceValues: [String] = []
        if let balance = configuration.balanceAttribute {
            balanceValues = Set(members.compactMap { $0.attributes[balance] }).sorted()
        }
        var shape: HostShape
        if let given = rule.hostShape {
            shape = given
        } else {
            guard !members.isEmpty else { return nil }
            var largest = Resources.zero
            var ports = 0
            for member in members {
                for kind in ResourceKind.allCases { largest[kind] = max(largest[kind], member.total[kind]) }
                ports = max(ports, member.freePorts)
            }
            guard ResourceKind.allCases.contains(where: { largest[$0] > 0 }) else { return nil }
            var common = members[0].attributes
            for member in members.dropFirst() {
                common = common.filter { member.attributes[$0.key] == $0.value }
            }
            common["name"] = nil
            if let balance = configuration.balanceAttribute { common[balance] = nil }
            shape = HostShape(
                resources: largest,
                ports: ports > 0 ? PortRanges([1...ports]) : .none,
                attributes: common
            )
        }
        shape.attributes[configuration.groupAttribute] = rule.group.rawValue
        return NewHostShape(shape: shape, balanceValues: balanceValues)
    }

    struct PackingTrial {
        var hostsUsed = 0
        var placedOnNew: [TaskID] = []
        var placedOnKnown: [TaskID] = []
    }

    /// Schedules the tasks on a copy of the scheduler given empty hosts of the shape and
    /// counts the new hosts that took tasks. Starts with a few more hosts than the
    /// resource lower bound and retries with one host per task if that was too few.
    func packOnNewHosts(
        _ failures: [TaskFailure],
        group: HostGroup,
        shape: NewHostShape,
        scheduler: TaskScheduler,
        at now: Instant
    ) -> PackingTrial {
        let tasks = failures.map(\.request)
        var hostCount = min(tasks.count, 2 * Self.lowerBound(tasks, shape: shape.shape.resources) + 2)
        while true {
            var copy = scheduler
            copy.configuration.leaseExpiry = nil
            let prefix = "~autoscale~\(group.rawValue)~"
            let leases = (0..<hostCount).map { index in
                var attributes = shape.shape.attributes
                if let balance = configuration.balanceAttribute, !shape.balanceValues.isEmpty {
                    attributes[balance] = shape.balanceValues[index % shape.balanceValues.count]
                }
                return Lease(
                    id: LeaseID("\(prefix)\(index)"),
                    hostname: HostName("\(prefix)\(index)"),
                    resources: shape.shape.resources,
                    ports: shape.shape.ports,
                    scalars: shape.shape.scalars,
                    attributes: attributes,
                    offeredAt: now
                )
            }
            let result = copy.schedule(tasks, newLeases: leases, at: now)
            var trial = PackingTrial()
            for assignment in result.assignments {
                if assignment.hostname.rawValue.hasPrefix(prefix) {
                    trial.hostsUsed += 1
                    trial.placedOnNew += assignment.tasks.map(\.taskID)
                } else {
                    trial.placedOnKnown += assignment.tasks.map(\.taskID)
                }
            }
            // Tasks failed with every new host in use: there may have been too few.
            if !result.failures.isEmpty, trial.hostsUsed == hostCount, hostCount < tasks.count {
                hostCount = tasks.count
                continue
            }
            return trial
        }
    }

    /// The fewest hosts of `shape` the tasks could fit on if they split freely.
    static func lowerBound(_ tasks: [TaskRequest], shape: Resources) -> Int {
        var demand = Resources.zero
        for task in tasks { demand += task.resources }
        var bound = 1
        for kind in ResourceKind.allCases where shape[kind] > 0 {
            let hosts = (demand[kind] / shape[kind]).rounded(.up)
            if hosts.isFinite { bound = max(bound, Int(min(hosts, Double(tasks.count)))) }
        }
        return bound
    }
}

extension FailureReason {
    /// Whether this reason means new hosts cannot help, whatever else held the task back.
    var hidesShortfall: Bool {
        switch self {
        case .invalidRequest, .duplicateTaskID, .constraintError, .iterationAbandoned: true
        default: false
        }
    }
}
