import FenzoCore
import Logging

/// The control plane's scheduling, on FenzoCore's `SchedulingService` (the tiered queue with
/// fair shares between capacity groups), with this type as the offer source for agent hosts.
///
/// Offers follow Mesos semantics and are kept exact per host: what is offered and not yet
/// consumed (outstanding leases) plus what runs there never exceeds the host's capacity. When
/// something changes (a host arrives, a run ends, an iteration consumes a host's leases and
/// reports what it left unused) the host is offered exactly what is missing: capacity minus
/// runs minus outstanding leases. A lease an iteration in flight is consuming still counts as
/// outstanding until that iteration's result arrives, so nothing is offered twice.
///
/// Leases never expire (`leaseExpiry: nil`): they stand for free resources this type computes
/// and hold nothing outside it.
public actor ServicePlacement: PlacementScheduling {
    private struct Host {
        var capacity: HostCapacity
        var offered = false
        var outstanding: [LeaseID: Lease] = [:]
        var runs: [TaskID: (resources: Resources, ports: [Int], scalars: [String: Double])] = [:]
    }

    private let service: SchedulingService
    private var hosts: [HostName: Host] = [:]
    private var runHost: [TaskID: HostName] = [:]
    private var queued: [TaskID: TaskGroup] = [:]
    private var leaseCounter = 0
    private let logger: Logger
    public nonisolated let rounds: AsyncStream<PlacementRound>
    private let roundsContinuation: AsyncStream<PlacementRound>.Continuation

    /// - Parameters:
    ///   - interval: iterations run at least this often, and as soon as something changes.
    ///   - logger: for tasks the queue refuses.
    public init(interval: Duration, logger: Logger = Logger(label: "titan.scheduling")) throws {
        var configuration = SchedulerConfiguration()
        configuration.leaseExpiry = nil
        configuration.placementOrder = .hostByHost
        service = try SchedulingService(
            scheduler: TaskScheduler(configuration: configuration),
            queue: TieredTaskQueue(),
            configuration: SchedulingServiceConfiguration(
                iterationInterval: interval,
                iterateOnChange: true,
                incrementalIterations: true
            ),
            clock: ContinuousClock()
        )
        self.logger = logger
        (rounds, roundsContinuation) = AsyncStream.makeStream(of: PlacementRound.self)
    }

    public func submit(_ tasks: [PlacementTask]) async {
        let fresh = tasks.filter { queued[$0.request.id] == nil && runHost[$0.request.id] == nil }
        let queuedTasks = fresh.map {
            QueuedTask($0.request, tier: $0.tier, capacityGroup: CapacityGroupName($0.capacityGroup))
        }
        do {
            try await service.submit(queuedTasks)
            for task in fresh { queued[task.request.id] = task.request.group }
        } catch {
            // All or nothing: submit one by one so one refusal does not keep the others out.
            for (task, queuedTask) in zip(fresh, queuedTasks) {
                do {
                    try await service.submit(queuedTask)
                    queued[task.request.id] = task.request.group
                } catch {
                    logger.warning(
                        "Task refused by the queue",
                        metadata: ["task.id": "\(task.request.id)", "error": "\(error)"]
                    )
                }
            }
        }
    }

    public func withdraw(_ ids: [TaskID]) async {
        for id in ids where queued.removeValue(forKey: id) != nil {
            await service.remove(id)
        }
    }

    public func withdrawGroup(_ group: TaskGroup) async {
        await withdraw(queued.filter { $0.value == group }.map(\.key))
    }

    public func queuedTaskIDs() -> Set<TaskID> { Set(queued.keys) }

    public func setHost(_ capacity: HostCapacity) async {
        var host = hosts[capacity.name] ?? Host(capacity: capacity)
        host.capacity = capacity
        host.offered = true
        hosts[capacity.name] = host
        await offerMissing(capacity.name)
    }

    public func removeHost(_ name: HostName) async {
        guard var host = hosts[name] else { return }
        host.offered = false
        let leases = Array(host.outstanding.keys)
        host.outstanding = [:]
        hosts[name] = host
        for lease in leases { await service.rescind(lease) }
    }

    public func forgetHost(_ name: HostName) async {
        await removeHost(name)
        guard let host = hosts[name], host.runs.isEmpty else { return }
        hosts[name] = nil
        await service.updateScheduler { scheduler, _ in _ = try? scheduler.removeHost(name) }
    }

    public func updateScheduler<Value: Sendable>(
        _ body: @Sendable (_ scheduler: inout TaskScheduler, _ now: Instant) -> Value
    ) async -> Value {
        await service.updateScheduler(body)
    }

    public func addRunning(_ runs: [PlacementRun]) async {
        var touched = Set<HostName>()
        for run in runs where runHost[run.task.request.id] == nil {
            let task = QueuedTask(
                run.task.request,
                tier: run.task.tier,
                capacityGroup: CapacityGroupName(run.task.capacityGroup)
            )
            do {
                try await service.recordRunning(task, on: run.host, ports: run.ports)
            } catch {
                logger.warning(
                    "Could not record a running task",
                    metadata: ["task.id": "\(task.id)", "error": "\(error)"]
                )
                continue
            }
            record(run.task.request, on: run.host, ports: run.ports)
            touched.insert(run.host)
        }
        for name in touched.sorted() { await offerMissing(name) }
    }

    public func runsEnded(_ ids: [TaskID]) async {
        var touched = Set<HostName>()
        for id in ids {
            queued[id] = nil
            await service.taskEnded(id)
            guard let name = runHost.removeValue(forKey: id) else { continue }
            hosts[name]?.runs[id] = nil
            touched.insert(name)
        }
        for name in touched.sorted() { await offerMissing(name) }
    }

    public func pause() async { await service.pause() }

    public func resume() async { await service.resume() }

    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            let service = self.service
            group.addTask {
                do {
                    try await service.run()
                } catch {
                    // Only a second run() throws; the first keeps going until cancelled.
                }
            }
            group.addTask {
                for await iteration in service.results { await self.handle(iteration) }
            }
            await group.waitForAll()
        }
        roundsContinuation.finish()
    }

    /// Records an iteration's placements against their hosts, offers what they left, and
    /// hands the round on.
    private func handle(_ iteration: SchedulingIteration) async {
        let result = iteration.scheduling
        for assignment in result.assignments {
            for lease in assignment.leases { hosts[assignment.hostname]?.outstanding[lease.id] = nil }
            for task in assignment.tasks {
                queued[task.taskID] = nil
                record(task.request, on: assignment.hostname, ports: task.ports)
            }
        }
        for name in Set(result.assignments.map(\.hostname)).sorted() { await offerMissing(name) }
        for rejected in iteration.rejectedTasks {
            queued[rejected.task.id] = nil
            logger.warning(
                "Task refused by the queue",
                metadata: ["task.id": "\(rejected.task.id)", "error": "\(rejected.error)"]
            )
        }
        roundsContinuation.yield(
            PlacementRound(
                placements: result.placedTasks,
                failures: result.failures,
                waitingTasks: iteration.queuedTasks,
                duration: iteration.duration,
                statistics: result.statistics,
                triedEveryTask: !iteration.isIncremental
            )
        )
    }

    private func record(_ request: TaskRequest, on name: HostName, ports: [Int]) {
        runHost[request.id] = name
        if hosts[name] == nil { hosts[name] = Host(capacity: HostCapacity(name: name, resources: .zero, ports: .none)) }
        hosts[name]?.runs[request.id] = (request.resources, ports, request.scalars)
    }

    /// Offers the host what is missing from its offers: capacity minus runs minus outstanding
    /// leases, if anything (and if the host takes tasks).
    private func offerMissing(_ name: HostName) async {
        guard let host = hosts[name], host.offered else { return }
        var free = host.capacity.resources
        var ports = host.capacity.ports
        var scalars = host.capacity.scalars
        for run in host.runs.values {
            free -= run.resources
            for port in run.ports { ports.remove(port) }
            for (scalar, amount) in run.scalars { scalars[scalar, default: 0] -= amount }
        }
        for lease in host.outstanding.values {
            free -= lease.resources
            for range in lease.ports.ranges { for port in range { ports.remove(port) } }
            for (scalar, amount) in lease.scalars { scalars[scalar, default: 0] -= amount }
        }
        free = Resources(
            cpus: max(0, free.cpus),
            memoryMB: max(0, free.memoryMB),
            diskMB: max(0, free.diskMB),
            networkMbps: max(0, free.networkMbps)
        )
        scalars = scalars.filter { $0.value > 0 }
        // Nothing worth offering: not even a hundredth of a cpu or one MB of memory.
        guard free.cpus >= 0.01 || free.memoryMB >= 1 || !ports.isEmpty || !scalars.isEmpty else { return }
        leaseCounter += 1
        let lease = Lease(
            id: LeaseID("\(name.rawValue)#\(leaseCounter)"),
            hostname: name,
            resources: free,
            ports: ports,
            scalars: scalars,
            attributes: host.capacity.attributes
        )
        hosts[name]?.outstanding[lease.id] = lease
        await service.offer([lease])
    }
}
