import FenzoCore

/// Builders that keep scenarios short: a lease or a task in one line.
enum Fixtures {
    static func lease(
        _ host: String,
        id: String? = nil,
        cpus: Double = 4,
        memoryMB: Double = 8192,
        diskMB: Double = 100_000,
        networkMbps: Double = 1000,
        ports: [ClosedRange<Int>] = [],
        scalars: [String: Double] = [:],
        resourceSets: [ResourceSetDefinition] = [],
        attributes: [String: String] = [:],
        at offeredAt: Instant = .zero
    ) -> Lease {
        Lease(
            id: LeaseID(id ?? "\(host)-lease-\(offeredAt.seconds)-\(cpus)-\(memoryMB)-\(ports.count)"),
            hostname: HostName(host),
            resources: Resources(cpus: cpus, memoryMB: memoryMB, diskMB: diskMB, networkMbps: networkMbps),
            ports: PortRanges(ports),
            scalars: scalars,
            resourceSets: resourceSets,
            attributes: attributes,
            offeredAt: offeredAt
        )
    }

    static func task(
        _ id: String,
        group: String = "job",
        cpus: Double = 1,
        memoryMB: Double = 0,
        diskMB: Double = 0,
        networkMbps: Double = 0,
        ports: Int = 0,
        scalars: [String: Double] = [:],
        resourceSets: [ResourceSetAsk] = [],
        hard: [PlacementConstraint] = [],
        soft: [PlacementConstraint] = []
    ) -> TaskRequest {
        TaskRequest(
            id: TaskID(id),
            group: TaskGroup(group),
            resources: Resources(cpus: cpus, memoryMB: memoryMB, diskMB: diskMB, networkMbps: networkMbps),
            ports: ports,
            scalars: scalars,
            resourceSets: resourceSets,
            hardConstraints: hard,
            softConstraints: soft
        )
    }

    static func tasks(
        _ count: Int,
        prefix: String = "t",
        group: String = "job",
        cpus: Double = 1,
        memoryMB: Double = 0,
        networkMbps: Double = 0,
        hard: [PlacementConstraint] = [],
        soft: [PlacementConstraint] = []
    ) -> [TaskRequest] {
        (0..<count).map {
            task(
                "\(prefix)\($0)",
                group: group,
                cpus: cpus,
                memoryMB: memoryMB,
                networkMbps: networkMbps,
                hard: hard,
                soft: soft
            )
        }
    }

    /// A scheduler that keeps leases until used, unless told otherwise.
    static func scheduler(
        fitness: any FitnessCalculator = BinPackingFitness.cpuMemory,
        leaseExpiry: Duration? = nil,
        configure: (inout SchedulerConfiguration) -> Void = { _ in }
    ) -> TaskScheduler {
        var configuration = SchedulerConfiguration(fitness: fitness, leaseExpiry: leaseExpiry)
        configure(&configuration)
        return TaskScheduler(configuration: configuration)
    }
}

extension SchedulingResult {
    /// Host of each placed task.
    var hostOfTask: [TaskID: HostName] {
        Dictionary(uniqueKeysWithValues: placedTasks.map { ($0.taskID, $0.hostname) })
    }

    var placedIDs: Set<TaskID> { Set(placedTasks.map(\.taskID)) }
    var failedIDs: Set<TaskID> { Set(failures.map(\.taskID)) }

    /// Tasks per host, for counting spread.
    var tasksPerHost: [HostName: Int] {
        assignments.reduce(into: [:]) { $0[$1.hostname, default: 0] += $1.tasks.count }
    }
}
