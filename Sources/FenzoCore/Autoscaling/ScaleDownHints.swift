/// A partly used host that could be emptied by moving its tasks to other busy hosts,
/// with the moves that would do it.
public struct ScaleDownHint: Sendable, Hashable {
    /// The host that would be left empty, and could then be removed.
    public var host: HostName
    /// Its group, if it has one.
    public var group: HostGroup?
    /// Where each of its tasks would go.
    public var moves: [TaskMove]

    public init(host: HostName, group: HostGroup?, moves: [TaskMove]) {
        self.host = host
        self.group = group
        self.moves = moves
    }

    /// Hosts freed per task moved: how much a hint gives for what it costs.
    public var hostsFreedPerTaskMoved: Double { moves.isEmpty ? 0 : 1 / Double(moves.count) }
}

/// Moving one running task from one host to another.
public struct TaskMove: Sendable, Hashable, CustomStringConvertible {
    public var task: TaskID
    public var from: HostName
    public var to: HostName

    public init(task: TaskID, from: HostName, to: HostName) {
        self.task = task
        self.from = from
        self.to = to
    }

    public var description: String { "\(task): \(from) → \(to)" }
}

extension Autoscaler {
    /// Finds partly used hosts whose tasks could all move to other busy hosts without
    /// breaking any constraint, best first (hosts freed per task moved).
    ///
    /// Each candidate is tried on a copy of the scheduler: its tasks are removed, it is
    /// disabled along with every idle host (moving a task to an idle host frees
    /// nothing) and the hosts freed by earlier hints, and its tasks are scheduled by the
    /// real engine, so every constraint is checked as for any placement. A hint is kept
    /// only if all its tasks find a place; later hints assume the earlier ones were
    /// carried out, so the list can be followed in order, as far as one likes. A host
    /// that takes moved tasks is not emptied by a later hint: no task moves twice.
    ///
    /// Free room is what hosts offer as leases: a host with room it has not offered
    /// takes no moved task.
    /// - Parameters:
    ///   - scheduler: the scheduler that owns the fleet (copied, not changed).
    ///   - now: the current time.
    ///   - groups: the groups whose hosts may be emptied; nil for every group with a rule.
    public func scaleDownHints(
        for scheduler: TaskScheduler,
        at now: Instant,
        groups: Set<HostGroup>? = nil
    ) -> [ScaleDownHint] {
        let wanted = groups ?? Set(configuration.rules.map(\.group))
        let draining = Set(drainingHosts.values.joined())
        var working = scheduler
        working.configuration.leaseExpiry = nil
        let far = now + .seconds(365 * 24 * 3600)
        var candidates: [HostView] = []
        for view in working.hostViews {
            if view.taskCount == 0 {
                try? working.disableHost(view.name, until: far)
                continue
            }
            guard working.disabledUntil(view.name) == nil, !draining.contains(view.name),
                let value = view.attributes[configuration.groupAttribute], wanted.contains(HostGroup(value)),
                view.taskCount <= configuration.maxTasksMovedPerHint
            else { continue }
            candidates.append(view)
        }
        candidates.sort { lhs, rhs in
            if lhs.taskCount != rhs.taskCount { return lhs.taskCount < rhs.taskCount }
            let left = Self.share(lhs.used, of: lhs.total)
            let right = Self.share(rhs.used, of: rhs.total)
            return left != right ? left < right : lhs.name < rhs.name
        }
        var hints: [ScaleDownHint] = []
        var serial = 0
        // A host that takes moved tasks is not emptied later, so no task moves twice.
        var destinations = Set<HostName>()
        for candidate in candidates.prefix(configuration.maxHintCandidates) where !destinations.contains(candidate.name)
        {
            var trial = working
            let tasks = trial.runningTasks(on: candidate.name)
            guard !tasks.isEmpty else { continue }
            for task in tasks { _ = try? trial.removeRunningTask(task.request.id) }
            try? trial.disableHost(candidate.name, until: far)
            let result = trial.schedule(tasks.map(\.request), at: now)
            guard result.failures.isEmpty, result.error == nil else { continue }
            for assignment in result.assignments {
                destinations.insert(assignment.hostname)
                serial += 1
                let lease = Lease(
                    id: LeaseID("~hint~\(serial)"),
                    hostname: assignment.hostname,
                    resources: assignment.unused,
                    ports: assignment.unusedPorts,
                    scalars: assignment.unusedScalars,
                    resourceSets: Self.resourceSets(of: assignment.leases),
                    attributes: trial.host(assignment.hostname)?.attributes ?? [:],
                    offeredAt: now
                )
                try? trial.addLease(lease)
            }
            let moves = result.placedTasks.map { TaskMove(task: $0.taskID, from: candidate.name, to: $0.hostname) }
            let group = candidate.attributes[configuration.groupAttribute].map { HostGroup($0) }
            hints.append(ScaleDownHint(host: candidate.name, group: group, moves: moves))
            working = trial
        }
        // Candidates were tried fewest tasks first, so the hints are already best first.
        return hints
    }

    /// The larger of the host's cpu and memory shares in use.
    static func share(_ used: Resources, of total: Resources) -> Double {
        max(
            total.cpus > 0 ? used.cpus / total.cpus : 0,
            total.memoryMB > 0 ? used.memoryMB / total.memoryMB : 0
        )
    }

    /// The resource sets the consumed leases declared, the last declaration of each name.
    static func resourceSets(of leases: [Lease]) -> [ResourceSetDefinition] {
        var byName: [String: ResourceSetDefinition] = [:]
        var order: [String] = []
        for definition in leases.flatMap(\.resourceSets) {
            if byName[definition.name] == nil { order.append(definition.name) }
            byName[definition.name] = definition
        }
        return order.compactMap { byName[$0] }
    }
}
