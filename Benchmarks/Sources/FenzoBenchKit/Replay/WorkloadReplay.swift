import FenzoCore

/// Schedules a workload through FenzoCore's real scheduling iteration, playing the offer
/// source, and records where every task went.
///
/// A round is one FenzoCore iteration, or one per phase for a strategy that places its
/// tasks in phases (each phase's iteration sees the leases the previous one left).
/// A batch workload (no `submitAt`/`durationS`) is one round at time 0 with every host
/// offering its whole capacity. A timed workload is replayed in time order, one iteration
/// every `interval` seconds of workload time: tasks whose `submitAt` has come join the
/// queue, tasks whose duration has passed end (`removeRunningTask`) and their resources
/// are offered again, the unused rest of every consumed lease is offered again, and tasks
/// that did not fit wait and are retried. Iterations in which nothing changed (no task
/// submitted, none ended) are skipped: FenzoCore is deterministic, so they would place
/// nothing. Tasks still waiting when nothing more can change are failures, with the
/// reasons of their last try. Leases never expire (`leaseExpiry` nil).
public struct WorkloadReplay: Sendable {
    public var workload: Workload
    /// Seconds of workload time between iterations of a timed workload.
    public var interval: Double
    /// Task requests with soft constraints, then without (built on first use).
    private let requests: [TaskRequest]
    private let hardOnlyRequests: [TaskRequest]

    public init(workload: Workload, interval: Double = 1) throws(BenchError) {
        guard interval > 0, interval.isFinite else {
            throw .invalidArgument("--interval must be a positive number of seconds, got \(interval)")
        }
        self.workload = workload
        self.interval = interval
        requests = workload.tasks.map { Self.request(for: $0, soft: true) }
        hardOnlyRequests = workload.tasks.map { Self.request(for: $0, soft: false) }
    }

    /// What a run produced besides the result: per-iteration timings.
    public struct Run: Sendable {
        public var result: PackingResult
        /// Wall time of each iteration that had tasks to place, in seconds.
        public var iterationSeconds: [Double]
        /// Tasks tried per iteration, matching `iterationSeconds`.
        public var tasksPerIteration: [Int]
    }

    /// Runs the workload with a strategy.
    public func run(_ strategy: PackingStrategy) -> Run {
        var scheduler = TaskScheduler(configuration: strategy.configuration)
        let requests = strategy.usesSoftConstraints ? self.requests : hardOnlyRequests
        let phaseOfTask = strategy.phases(of: workload.tasks)
        let phaseCount = strategy.phases.count
        var state = ReplayState(hostCount: workload.hosts.count)
        for host in workload.hosts.indices { state.offer(host, Self.capacity(of: workload.hosts[host])) }
        let clock = ContinuousClock()
        var hostSlot: [String: Int] = [:]
        for (position, host) in workload.hosts.enumerated() { hostSlot[host.name] = position }
        let tasks = workload.tasks
        let submissionOrder = tasks.indices.sorted {
            tasks[$0].submitTime != tasks[$1].submitTime ? tasks[$0].submitTime < tasks[$1].submitTime : $0 < $1
        }
        var taskOfID: [String: Int] = [:]
        for (position, task) in tasks.enumerated() { taskOfID[task.id] = position }
        var nextSubmission = 0
        var pending: [Int] = []
        var lastReasons: [Int: [String]] = [:]
        var ends = EndQueue()
        var assignments: [ResultAssignment] = []
        var iterationSeconds: [Double] = []
        var tasksPerIteration: [Int] = []
        var schedulerCalls = 0
        var tick = 0
        var changed = true
        while true {
            let now = Double(tick) * interval
            while let ending = ends.popDue(atOrBefore: now + 1e-9) {
                if let running = try? scheduler.removeRunningTask(requests[ending].id),
                    let slot = hostSlot[running.hostname.rawValue]
                {
                    state.offer(slot, Self.demand(of: tasks[ending], ports: running.ports))
                }
                changed = true
            }
            while nextSubmission < submissionOrder.count,
                tasks[submissionOrder[nextSubmission]].submitTime <= now + 1e-9
            {
                pending.append(submissionOrder[nextSubmission])
                nextSubmission += 1
                changed = true
            }
            if !pending.isEmpty, changed {
                let instant = Instant.seconds(now)
                var placedTasks = Set<Int>()
                var roundSeconds = 0.0
                // One round: a FenzoCore iteration per phase of the strategy (most have one).
                for phase in 0..<phaseCount {
                    let batch = phaseCount == 1 ? pending : pending.filter { phaseOfTask[$0] == phase }
                    if batch.isEmpty { continue }
                    let leases = state.takeLeases(workload.hosts, at: instant)
                    let batchRequests = batch.map { requests[$0] }
                    let started = clock.now
                    let result = scheduler.schedule(batchRequests, newLeases: leases, at: instant)
                    roundSeconds += Self.seconds(clock.now - started)
                    schedulerCalls += 1
                    for hostAssignment in result.assignments {
                        guard let slot = hostSlot[hostAssignment.hostname.rawValue] else { continue }
                        state.offer(
                            slot,
                            OfferedResources(
                                resources: hostAssignment.unused,
                                ports: hostAssignment.unusedPorts.ranges,
                                scalars: hostAssignment.unusedScalars
                            )
                        )
                        for placed in hostAssignment.tasks {
                            guard let task = taskOfID[placed.taskID.rawValue] else { continue }
                            placedTasks.insert(task)
                            assignments.append(
                                ResultAssignment(
                                    task: placed.taskID.rawValue,
                                    host: placed.hostname.rawValue,
                                    ports: placed.ports,
                                    at: now
                                )
                            )
                            if let duration = tasks[task].durationS { ends.push(task, at: now + duration) }
                        }
                    }
                    for failure in result.failures {
                        if let task = taskOfID[failure.taskID.rawValue] { lastReasons[task] = Self.reasons(failure) }
                    }
                }
                iterationSeconds.append(roundSeconds)
                tasksPerIteration.append(pending.count)
                if !placedTasks.isEmpty { pending.removeAll { placedTasks.contains($0) } }
            }
            changed = false
            // The next instant at which something changes, on the interval grid.
            var nextEvent = Double.infinity
            if nextSubmission < submissionOrder.count {
                nextEvent = tasks[submissionOrder[nextSubmission]].submitTime
            }
            if let nextEnd = ends.nextTime { nextEvent = min(nextEvent, nextEnd) }
            guard nextEvent.isFinite else { break }
            tick = max(tick + 1, Int((nextEvent / interval - 1e-9).rounded(.up)))
        }
        let failures = pending.map {
            ResultFailure(
                task: tasks[$0].id,
                reasons: lastReasons[$0] ?? ["never tried: no iteration ran after it was submitted"]
            )
        }
        return finish(
            strategy: strategy,
            assignments: assignments,
            failures: failures,
            iterationSeconds: iterationSeconds,
            tasksPerIteration: tasksPerIteration,
            schedulerCalls: schedulerCalls,
            intervalS: workload.isTimed ? interval : nil
        )
    }

    private func finish(
        strategy: PackingStrategy,
        assignments: [ResultAssignment],
        failures: [ResultFailure],
        iterationSeconds: [Double],
        tasksPerIteration: [Int],
        schedulerCalls: Int,
        intervalS: Double?
    ) -> Run {
        let total = iterationSeconds.reduce(0, +)
        let sorted = iterationSeconds.sorted()
        let stats = RunStatistics(
            iterations: iterationSeconds.count,
            schedulerCalls: schedulerCalls,
            schedulingSeconds: total,
            placementsPerSecond: total > 0 ? Double(assignments.count) / total : nil,
            iterationSecondsP50: Self.percentile(sorted, 0.50),
            iterationSecondsP99: Self.percentile(sorted, 0.99),
            iterationSecondsMax: sorted.last,
            peakRSSMB: ProcessMemory.peakResidentMB(),
            intervalS: intervalS
        )
        return Run(
            result: PackingResult(
                workload: workload.name,
                strategy: strategy.name,
                assignments: assignments,
                failures: failures,
                stats: stats
            ),
            iterationSeconds: iterationSeconds,
            tasksPerIteration: tasksPerIteration
        )
    }

    /// The nearest-rank percentile of sorted values.
    static func percentile(_ sorted: [Double], _ fraction: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }

    static func seconds(_ duration: Duration) -> Double {
        let (whole, attoseconds) = duration.components
        return Double(whole) + Double(attoseconds) * 1e-18
    }

    static func reasons(_ failure: TaskFailure) -> [String] {
        let reasons = failure.reasons.map(\.description)
        return reasons.isEmpty ? ["no host could take it"] : reasons
    }

    // MARK: Converting the workload

    static func request(for task: WorkloadTask, soft: Bool) -> TaskRequest {
        TaskRequest(
            id: TaskID(task.id),
            group: TaskGroup(task.groupKey),
            resources: Resources(
                cpus: task.cpus,
                memoryMB: task.memoryMB,
                diskMB: task.diskMB,
                networkMbps: task.networkMbps
            ),
            ports: task.ports,
            scalars: task.scalars,
            hardConstraints: task.hardConstraints.map(constraint),
            softConstraints: soft ? task.softConstraints.map(constraint) : []
        )
    }

    static func constraint(_ constraint: WorkloadConstraint) -> PlacementConstraint {
        let attribute = constraint.attribute ?? ""
        switch constraint.type {
        case .hostAttrValue: return .hostAttributeValue(attribute: attribute, values: constraint.values ?? [])
        case .uniqueHostAttr: return .uniqueHostAttribute(attribute)
        case .balancedHostAttr: return .balancedHostAttribute(attribute, expectedValues: constraint.expectedValues)
        case .exclusiveHost: return .exclusiveHost
        }
    }

    static func capacity(of host: WorkloadHost) -> OfferedResources {
        OfferedResources(
            resources: Resources(
                cpus: host.cpus,
                memoryMB: host.memoryMB,
                diskMB: host.diskMB,
                networkMbps: host.networkMbps
            ),
            ports: host.ports.compactMap { $0.count == 2 && $0[0] <= $0[1] ? $0[0]...$0[1] : nil },
            scalars: host.scalars
        )
    }

    static func demand(of task: WorkloadTask, ports: [Int]) -> OfferedResources {
        OfferedResources(
            resources: Resources(
                cpus: task.cpus,
                memoryMB: task.memoryMB,
                diskMB: task.diskMB,
                networkMbps: task.networkMbps
            ),
            ports: ports.map { $0...$0 },
            scalars: task.scalars
        )
    }
}

/// Resources to offer a host in its next lease.
struct OfferedResources: Sendable {
    var resources: Resources
    var ports: [ClosedRange<Int>]
    var scalars: [String: Double]

    mutating func add(_ other: OfferedResources) {
        resources += other.resources
        ports += other.ports
        for (name, amount) in other.scalars { scalars[name, default: 0] += amount }
    }
}

/// The offer source's side: what each host will offer in the next iteration.
private struct ReplayState {
    var waiting: [OfferedResources?]
    var hostsWithOffers: [Int] = []
    var nextLease = 0

    init(hostCount: Int) { waiting = Array(repeating: nil, count: hostCount) }

    mutating func offer(_ host: Int, _ resources: OfferedResources) {
        if waiting[host] == nil {
            waiting[host] = resources
            hostsWithOffers.append(host)
        } else {
            waiting[host]?.add(resources)
        }
    }

    /// One new lease per host with something to offer, in the order offers arrived.
    mutating func takeLeases(_ hosts: [WorkloadHost], at instant: Instant) -> [Lease] {
        var leases: [Lease] = []
        leases.reserveCapacity(hostsWithOffers.count)
        for host in hostsWithOffers {
            guard let offer = waiting[host] else { continue }
            waiting[host] = nil
            nextLease += 1
            leases.append(
                Lease(
                    id: LeaseID("\(hosts[host].name)#\(nextLease)"),
                    hostname: HostName(hosts[host].name),
                    resources: offer.resources,
                    ports: PortRanges(offer.ports),
                    scalars: offer.scalars,
                    attributes: hosts[host].attributes,
                    offeredAt: instant
                )
            )
        }
        hostsWithOffers.removeAll(keepingCapacity: true)
        return leases
    }
}

/// Running tasks by end time: a binary min-heap.
private struct EndQueue {
    private var heap: [(time: Double, task: Int)] = []

    var nextTime: Double? { heap.first?.time }

    mutating func push(_ task: Int, at time: Double) {
        heap.append((time, task))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.before(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popDue(atOrBefore time: Double) -> Int? {
        guard let first = heap.first, first.time <= time else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < heap.count, Self.before(heap[left], heap[smallest]) { smallest = left }
                if right < heap.count, Self.before(heap[right], heap[smallest]) { smallest = right }
                if smallest == parent { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first.task
    }

    private static func before(_ lhs: (time: Double, task: Int), _ rhs: (time: Double, task: Int)) -> Bool {
        lhs.time != rhs.time ? lhs.time < rhs.time : lhs.task < rhs.task
    }
}
