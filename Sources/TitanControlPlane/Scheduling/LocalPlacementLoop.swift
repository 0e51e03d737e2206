import FenzoCore

/// The scheduling loop titan-api runs until FenzoCore's `SchedulingService` (issue 5) is
/// available: a queue in tier order (critical first, then first come first served), one
/// `TaskScheduler`, and the offer bookkeeping for agent hosts.
///
/// It has no fair shares between capacity groups; that is the service's job. Leases never
/// expire (`leaseExpiry: nil`): they stand for a host's free resources as this loop computes
/// them, and hold nothing outside it.
///
/// Iterations are change-triggered: new tasks, freed resources or a host's new offer start one
/// within 10 ms, but two iterations are at least `interval` apart, so a burst of changes is
/// placed in one iteration. With no change an iteration would decide exactly what the last one
/// did (FenzoCore is deterministic and no lease expires), so none runs; and while no offer
/// changed but for this loop's own placements, an iteration tries only the tasks queued since
/// the last one (the others would fail again for the same reasons).
public actor LocalPlacementLoop: PlacementScheduling {
    private struct Host {
        var capacity: HostCapacity
        var offered = false
        /// Runs counted against the host: resources, ports and scalars they hold.
        var runs: [TaskID: (resources: Resources, ports: [Int], scalars: [String: Double])] = [:]
    }

    private var scheduler: TaskScheduler
    private var queue: [TaskID: (order: Int, task: QueuedTask)] = [:]
    private var nextOrder = 0
    private var hosts: [HostName: Host] = [:]
    /// Hosts whose offer must be made again before the next iteration.
    private var staleOffers = Set<HostName>()
    private var runHost: [TaskID: HostName] = [:]
    private var leaseCounter = 0
    private var changed = false
    /// Whether any host's offer changed for a reason other than this loop's own placements
    /// (a new host, freed resources, a removed host). If not, every task that failed before
    /// would fail again, and an iteration only needs to try the tasks queued since.
    private var offersChanged = true
    private var queuedSinceLastIteration = Set<TaskID>()
    private var paused = false
    private let interval: Duration
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private var lastIteration: ContinuousClock.Instant?
    public nonisolated let rounds: AsyncStream<PlacementRound>
    private let roundsContinuation: AsyncStream<PlacementRound>.Continuation

    /// - Parameters:
    ///   - interval: the shortest time between two iterations.
    ///   - placementOrder: how an iteration walks its tasks; `.hostByHost` packs best.
    public init(interval: Duration, placementOrder: PlacementOrder = .hostByHost) {
        var configuration = SchedulerConfiguration()
        configuration.leaseExpiry = nil
        configuration.placementOrder = placementOrder
        self.scheduler = TaskScheduler(configuration: configuration)
        self.interval = interval
        self.start = clock.now
        (rounds, roundsContinuation) = AsyncStream.makeStream(of: PlacementRound.self)
    }

    public func submit(_ tasks: [QueuedTask]) {
        for task in tasks {
            queue[task.request.id] = (nextOrder, task)
            queuedSinceLastIteration.insert(task.request.id)
            nextOrder += 1
        }
        if !tasks.isEmpty { changed = true }
    }

    public func withdraw(_ ids: [TaskID]) {
        for id in ids { queue[id] = nil }
    }

    public func withdrawGroup(_ group: TaskGroup) {
        queue = queue.filter { $0.value.task.request.group != group }
    }

    public func queuedTaskIDs() -> Set<TaskID> { Set(queue.keys) }

    public func setHost(_ capacity: HostCapacity) {
        var host = hosts[capacity.name] ?? Host(capacity: capacity)
        host.capacity = capacity
        host.offered = true
        hosts[capacity.name] = host
        staleOffers.insert(capacity.name)
        changed = true
        offersChanged = true
    }

    public func removeHost(_ name: HostName) {
        guard hosts[name] != nil else { return }
        hosts[name]?.offered = false
        staleOffers.insert(name)
        offersChanged = true
    }

    public func addRunning(_ tasks: [RunningTask]) {
        for task in tasks where runHost[task.request.id] == nil {
            do {
                try scheduler.addRunningTask(task)
            } catch {
                continue
            }
            record(task.request, on: task.hostname, ports: task.ports)
        }
    }

    public func runsEnded(_ ids: [TaskID]) {
        for id in ids {
            guard let name = runHost.removeValue(forKey: id) else { continue }
            _ = try? scheduler.removeRunningTask(id)
            hosts[name]?.runs[id] = nil
            staleOffers.insert(name)
            changed = true
            offersChanged = true
        }
    }

    public func pause() { paused = true }

    public func resume() {
        paused = false
        changed = true
        offersChanged = true
    }

    public func run() async {
        defer { roundsContinuation.finish() }
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(10))
            guard !paused, changed, !queue.isEmpty else { continue }
            if let lastIteration, clock.now - lastIteration < interval { continue }
            iterate()
        }
    }

    /// One iteration: refresh stale offers, place what waits, re-offer what the placements
    /// left free, and hand the round to the consumer.
    func iterate() {
        changed = false
        let began = clock.now
        lastIteration = began
        refreshOffers()
        let candidates =
            offersChanged ? Array(queue.values) : queuedSinceLastIteration.compactMap { queue[$0] }
        offersChanged = false
        queuedSinceLastIteration.removeAll()
        let ordered = candidates.sorted { lhs, rhs in
            lhs.task.tier != rhs.task.tier ? lhs.task.tier < rhs.task.tier : lhs.order < rhs.order
        }
        let result = scheduler.schedule(ordered.map(\.task.request), at: instant(began))
        for assignment in result.assignments {
            for task in assignment.tasks {
                queue[task.taskID] = nil
                record(task.request, on: assignment.hostname, ports: task.ports)
            }
            // The iteration consumed the host's lease; offer what is left.
            staleOffers.insert(assignment.hostname)
        }
        refreshOffers()
        roundsContinuation.yield(
            PlacementRound(
                placements: result.placedTasks,
                failures: result.failures,
                duration: clock.now - began,
                statistics: result.statistics
            )
        )
    }

    private func record(_ request: TaskRequest, on name: HostName, ports: [Int]) {
        runHost[request.id] = name
        if hosts[name] == nil {
            hosts[name] = Host(capacity: HostCapacity(name: name, resources: .zero, ports: .none))
        }
        hosts[name]?.runs[request.id] = (request.resources, ports, request.scalars)
        staleOffers.insert(name)
    }

    /// Replaces the lease of every host whose free resources changed with one offering
    /// exactly what is free now: capacity minus the runs it holds.
    private func refreshOffers() {
        let now = instant(clock.now)
        for name in staleOffers.sorted() {
            for lease in scheduler.leases(of: name) { _ = try? scheduler.rescindLease(lease.id) }
            guard let host = hosts[name], host.offered else { continue }
            var free = host.capacity.resources
            var ports = host.capacity.ports
            var scalars = host.capacity.scalars
            for run in host.runs.values {
                free -= run.resources
                for port in run.ports { ports.remove(port) }
                for (scalar, amount) in run.scalars { scalars[scalar, default: 0] -= amount }
            }
            free = Resources(
                cpus: max(0, free.cpus),
                memoryMB: max(0, free.memoryMB),
                diskMB: max(0, free.diskMB),
                networkMbps: max(0, free.networkMbps)
            )
            leaseCounter += 1
            let lease = Lease(
                id: LeaseID("\(name.rawValue)#\(leaseCounter)"),
                hostname: name,
                resources: free,
                ports: ports,
                scalars: scalars.mapValues { max(0, $0) },
                attributes: host.capacity.attributes,
                offeredAt: now
            )
            try? scheduler.addLease(lease)
        }
        staleOffers.removeAll()
    }

    private func instant(_ time: ContinuousClock.Instant) -> Instant {
        Instant(sinceReference: time - start)
    }
}
