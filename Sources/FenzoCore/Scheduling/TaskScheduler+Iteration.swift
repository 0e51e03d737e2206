extension TaskScheduler {
    /// Runs one scheduling iteration over `tasks`, in `configuration.placementOrder`.
    ///
    /// New leases are added first; then each task goes to the host with the best
    /// combined score among those that fit it and satisfy its hard constraints, tasks
    /// placed earlier counting for later ones. Placed tasks are recorded as running;
    /// the leases of every host given tasks are consumed. Finally leases unused past
    /// the expiry are handed back.
    /// - Parameters:
    ///   - tasks: the tasks to place.
    ///   - newLeases: offers that arrived since the last iteration.
    ///   - now: the current time, for lease expiry and disabled hosts.
    public mutating func schedule(_ tasks: [TaskRequest], newLeases: [Lease] = [], at now: Instant)
        -> SchedulingResult
    {
        var iteration = beginIteration(newLeases: newLeases, at: now)
        if configuration.placementOrder == .hostByHost {
            fillHostByHost(tasks, iteration: &iteration)
        } else {
            var source = TaskList(ordered(tasks))
            while let request = source.nextTask() {
                if !tryTask(request, iteration: &iteration, source: &source) { break }
            }
        }
        return finishIteration(&iteration, at: now)
    }

    /// Runs one scheduling iteration over the tasks a source hands out.
    ///
    /// The same as `schedule(_:newLeases:at:)` in task order, but the source picks each
    /// next task and hears what became of the last, so a queue can keep its fair
    /// shares current.
    public mutating func schedule<Source: TaskSource>(
        from source: inout Source,
        newLeases: [Lease] = [],
        at now: Instant
    ) -> SchedulingResult {
        var iteration = beginIteration(newLeases: newLeases, at: now)
        while let request = source.nextTask() {
            if !tryTask(request, iteration: &iteration, source: &source) { break }
        }
        return finishIteration(&iteration, at: now)
    }

    // MARK: The shape of an iteration

    /// What an iteration has done so far.
    struct Iteration {
        var result = SchedulingResult()
        var placements: [TaskAssignment] = []
        /// Hosts given tasks, in the order first chosen.
        var hostOrder: [Int] = []
        var triedIDs = Set<TaskID>()
        /// Reasons already found for tasks that failed, by group (nil: tasks whose
        /// constraints do not depend on their group) and by what they need.
        var knownFailures: [Int?: [FailureKey: [FailureReason]]] = [:]
        var abandoned: (error: SchedulingError, tried: [TaskRequest])?
    }

    mutating func beginIteration(newLeases: [Lease], at now: Instant) -> Iteration {
        var iteration = Iteration()
        iteration.result.rejectedLeases = acceptLeases(newLeases)
        enableHostsDue(at: now)
        iteration.result.statistics.hostsAvailable = index.indexedCount
        return iteration
    }

    /// Checks a request, then places it on the best host or records why it fits none.
    /// Returns false when the iteration must stop (a custom constraint threw).
    mutating func tryTask<Source: TaskSource>(
        _ request: TaskRequest,
        iteration: inout Iteration,
        source: inout Source
    ) -> Bool {
        guard let task = admit(request, iteration: &iteration, source: &source) else { return true }
        return tryCompiled(task, iteration: &iteration, source: &source)
    }

    /// Rejects invalid and duplicate requests; compiles the rest.
    mutating func admit<Source: TaskSource>(
        _ request: TaskRequest,
        iteration: inout Iteration,
        source: inout Source
    ) -> CompiledTask? {
        iteration.result.statistics.tasksTried += 1
        let problems = request.problems()
        guard problems.isEmpty else {
            fail(TaskFailure(request: request, reasons: [.invalidRequest(problems)]), &iteration, &source)
            return nil
        }
        guard running[request.id] == nil, iteration.triedIDs.insert(request.id).inserted else {
            fail(TaskFailure(request: request, reasons: [.duplicateTaskID]), &iteration, &source)
            return nil
        }
        return compile(request)
    }

    mutating func tryCompiled<Source: TaskSource>(
        _ compiled: CompiledTask,
        iteration: inout Iteration,
        source: inout Source
    ) -> Bool {
        // A task compiled earlier in the iteration may predate uniqueness its group
        // has declared since; compile it again if so.
        let stale = groups[compiled.group].declaredUnique.keys.contains { attribute in
            !compiled.hard.contains { if case .unique(let own) = $0.rule { own == attribute } else { false } }
        }
        let task = refreshPoolPositions(stale ? compile(compiled.request) : compiled)
        let failureKey = task.hasCustom ? nil : FailureKey(task)
        let memoGroup = task.dependsOnGroup ? task.group : nil
        if let failureKey, let reasons = iteration.knownFailures[memoGroup]?[failureKey] {
            fail(TaskFailure(request: task.request, reasons: reasons), &iteration, &source)
            return true
        }
        do {
            var found = try findHost(for: task, statistics: &iteration.result.statistics)
            var reasons: [FailureReason] = []
            if found == nil {
                let diagnosis = try diagnose(task)
                found = diagnosis.fallback
                reasons = diagnosis.reasons
            }
            if let found {
                source.taskPlaced(commit(task, on: found, iteration: &iteration))
            } else {
                if let failureKey { iteration.knownFailures[memoGroup, default: [:]][failureKey] = reasons }
                fail(TaskFailure(request: task.request, reasons: reasons), &iteration, &source)
            }
            return true
        } catch {
            let schedulingError = SchedulingError.constraintThrew(error.constraint, task: task.request.id, error.error)
            iteration.abandoned = (schedulingError, iteration.placements.map(\.request) + [task.request])
            return false
        }
    }

    /// Places a task found a host for, and forgets failures its group's move may change.
    mutating func commit(_ task: CompiledTask, on found: Candidate, iteration: inout Iteration) -> TaskAssignment {
        if !hosts[found.slot].placedThisIteration { iteration.hostOrder.append(found.slot) }
        let assignment = place(task, on: found.slot, score: found.score)
        iteration.placements.append(assignment)
        iteration.knownFailures[task.group] = nil
        return assignment
    }

    private func fail<Source: TaskSource>(_ failure: TaskFailure, _ iteration: inout Iteration, _ source: inout Source)
    {
        iteration.result.failures.append(failure)
        source.taskNotPlaced(failure)
    }

    mutating func finishIteration(_ iteration: inout Iteration, at now: Instant) -> SchedulingResult {
        var result = iteration.result
        if let abandoned = iteration.abandoned {
            for assignment in iteration.placements.reversed() { unplace(assignment) }
            for slot in iteration.hostOrder { hosts[slot].placedThisIteration = false }
            result.error = abandoned.error
            result.failures += abandoned.tried.map {
                TaskFailure(request: $0, reasons: [.iterationAbandoned(abandoned.error.message)])
            }
            result.statistics.tasksPlaced = 0
            result.statistics.tasksFailed = result.failures.count
            return result
        }
        result.assignments = consumeLeases(of: iteration.hostOrder, placements: iteration.placements)
        result.statistics.tasksPlaced = iteration.placements.count
        result.statistics.tasksFailed = result.failures.count
        result.expiredLeases = expireLeases(at: now)
        return result
    }

    // MARK: Steps of an iteration

    mutating func acceptLeases(_ leases: [Lease]) -> [RejectedLease] {
        var rejected: [RejectedLease] = []
        for lease in leases {
            do throws(SchedulingError) {
                try addLease(lease)
            } catch {
                rejected.append(RejectedLease(lease: lease, error: error))
            }
        }
        return rejected
    }

    mutating func enableHostsDue(at now: Instant) {
        for slot in disabledSlots.sorted() {
            if let until = hosts[slot].disabledUntil, until <= now {
                hosts[slot].disabledUntil = nil
                disabledSlots.remove(slot)
                reindex(slot)
            }
        }
    }

    /// The tasks in the configured placement order.
    func ordered(_ tasks: [TaskRequest]) -> [TaskRequest] {
        guard configuration.placementOrder == .largestFirst, tasks.count > 1 else { return tasks }
        var cpus = 0.0
        var memory = 0.0
        var counted = 0.0
        for slot in hosts.indices where index.isIndexed(slot) {
            cpus += hosts[slot].total.cpus
            memory += hosts[slot].total.memoryMB
            counted += 1
        }
        let meanCpus = counted > 0 && cpus > 0 ? cpus / counted : 1
        let meanMemory = counted > 0 && memory > 0 ? memory / counted : 1
        let sizes = tasks.map { max($0.resources.cpus / meanCpus, $0.resources.memoryMB / meanMemory) }
        let order = tasks.indices.sorted { sizes[$0] != sizes[$1] ? sizes[$0] > sizes[$1] : $0 < $1 }
        return order.map { tasks[$0] }
    }

    /// Takes the task's resources from the host and records it as running there.
    mutating func place(_ task: CompiledTask, on slot: Int, score: Double) -> TaskAssignment {
        let request = task.request
        let ports = hosts[slot].freePorts.take(request.ports) ?? []
        let sets = chooseResourceSets(request.resourceSets, slot: slot) ?? []
        for allocation in sets {
            if let state = hosts[slot].resourceSetIndex(named: allocation.name) {
                hosts[slot].resourceSets[state].hold(allocation)
            }
        }
        for scalar in task.scalars { hosts[slot].useScalar(scalar.id, scalar.amount) }
        hosts[slot].free -= request.resources
        hosts[slot].used += request.resources
        hosts[slot].placedThisIteration = true
        recordRunning(
            RunningRecord(
                request: request,
                slot: slot,
                group: task.group,
                ports: ports,
                resourceSets: sets,
                scalars: task.scalars,
                exclusive: task.exclusive,
                uniqueAttributes: uniqueAttributes(of: request)
            )
        )
        reindex(slot)
        return TaskAssignment(
            request: request,
            hostname: hosts[slot].name,
            ports: ports,
            resourceSets: sets,
            score: score
        )
    }

    /// Undoes `place`, for an abandoned iteration.
    mutating func unplace(_ assignment: TaskAssignment) {
        guard let record = running[assignment.taskID] else { return }
        let slot = record.slot
        for port in record.ports { hosts[slot].freePorts.insert(port...port) }
        for scalar in record.scalars { hosts[slot].addScalar(scalar.id, free: scalar.amount) }
        hosts[slot].free += record.request.resources
        _ = try? removeRunningTask(assignment.taskID)
    }

    /// Consumes the leases of every host given tasks and groups the placements by host.
    private mutating func consumeLeases(of hostOrder: [Int], placements: [TaskAssignment]) -> [HostAssignment] {
        var assignments: [HostAssignment] = []
        assignments.reserveCapacity(hostOrder.count)
        var position: [Int: Int] = [:]
        for slot in hostOrder {
            position[slot] = assignments.count
            var unusedScalars: [String: Double] = [:]
            for (id, amount) in hosts[slot].freeScalars.enumerated() where amount > Resources.tolerance {
                unusedScalars[scalarNames[id]] = amount
            }
            let unused = hosts[slot].free
            let unusedPorts = hosts[slot].freePorts
            hosts[slot].placedThisIteration = false
            let leases = releaseLeases(of: slot)
            assignments.append(
                HostAssignment(
                    hostname: hosts[slot].name,
                    leases: leases,
                    tasks: [],
                    unused: Resources(
                        cpus: max(0, unused.cpus),
                        memoryMB: max(0, unused.memoryMB),
                        diskMB: max(0, unused.diskMB),
                        networkMbps: max(0, unused.networkMbps)
                    ),
                    unusedPorts: unusedPorts,
                    unusedScalars: unusedScalars
                )
            )
        }
        for assignment in placements {
            if let slot = slotOfHost[assignment.hostname], let at = position[slot] {
                assignments[at].tasks.append(assignment)
            }
        }
        return assignments
    }

    /// Hands back the leases that have gone unused past the expiry, for at most the
    /// configured number of hosts, oldest first.
    private mutating func expireLeases(at now: Instant) -> [Lease] {
        guard let expiry = configuration.leaseExpiry else { return [] }
        let deadline = now - expiry
        var due: [(offeredAt: Instant, slot: Int)] = []
        for slot in hosts.indices {
            guard let oldest = hosts[slot].leases.first?.offeredAt, oldest <= deadline else { continue }
            due.append((oldest, slot))
        }
        due.sort { $0.offeredAt != $1.offeredAt ? $0.offeredAt < $1.offeredAt : $0.slot < $1.slot }
        var expired: [Lease] = []
        for entry in due.prefix(max(0, configuration.maxHostsToExpirePerIteration)) {
            let slot = entry.slot
            let stale = hosts[slot].leases.filter { $0.offeredAt <= deadline }
            hosts[slot].leases.removeAll { $0.offeredAt <= deadline }
            for lease in stale { slotOfLease[lease.id] = nil }
            recomputeOffer(slot)
            expired += stale
        }
        return expired
    }
}

/// What makes two tasks equally placeable: if one of a group fails, another with the
/// same needs and constraints fails for the same reasons until the group places a task.
struct FailureKey: Hashable {
    var resources: Resources
    var ports: Int
    var scalars: [Double]
    var resourceSets: [ResourceSetAsk]
    var constraints: String

    init(_ task: CompiledTask) {
        resources = task.request.resources
        ports = task.request.ports
        scalars = task.scalars.flatMap { [Double($0.id), $0.amount] }
        resourceSets = task.request.resourceSets
        constraints =
            task.request.hardConstraints.isEmpty
            ? "" : task.request.hardConstraints.map(\.description).joined(separator: "|")
    }
}
