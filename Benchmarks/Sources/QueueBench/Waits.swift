import FenzoCore

/// Per-tier waits on a mixed workload, in simulated time: long-running services (tier 0)
/// arriving steadily and using about half the fleet, and every 5 minutes a flood of short
/// batch tasks (tier 1) asking for more than is free, using about 40 % of the fleet on
/// average; one iteration a second. Freed and unused resources are offered again as
/// leases, as Mesos does. With `tiered: false` every task shares one tier and one bucket
/// (first come, first served), for comparison.
enum WaitsBenchmark {
    struct Ending {
        var id: TaskID
        var host: HostName
        var resources: Resources
    }

    enum Mode: String {
        case tiered = "tiered"
        case fifo = "one tier, FIFO"
        case tieredBatchCapped = "tiered, each batch group capped at 40 % of the fleet's cpus"
        case tieredReserved = "tiered, 60 % of the hosts reserved for services"
    }

    static func run(hosts hostCount: Int, seconds: Int, warmUp: Int, mode: Mode) throws {
        print(
            "== waits per tier (\(mode.rawValue)): \(hostCount) hosts of 16 cpus, "
                + "\(seconds) s simulated, first \(warmUp) s not counted"
        )
        let tiered = mode != .fifo
        var random = SeededRandom(seed: 2024)
        var scheduler = TaskScheduler(configuration: SchedulerConfiguration(leaseExpiry: nil))
        var queue = TieredTaskQueue()
        if mode == .tieredBatchCapped {
            let cap = CapacityGroupPolicy(cap: Resources(cpus: 0.4 * Double(hostCount) * 16))
            let batchGroups = Dictionary(uniqueKeysWithValues: (0..<4).map { (CapacityGroupName("batch\($0)"), cap) })
            queue = try TieredTaskQueue(
                configuration: TaskQueueConfiguration(tiers: [
                    TierConfiguration(), TierConfiguration(capacityGroups: batchGroups),
                ])
            )
        }
        if mode == .tieredReserved {
            let services = Set((0..<5).map { CapacityGroupName("service\($0)") })
            queue = try TieredTaskQueue(
                configuration: TaskQueueConfiguration(
                    hostGroups: HostGroupPolicy(
                        activeGroups: ["services", "general"],
                        reservations: ["services": services]
                    )
                )
            )
        }
        let reservedHosts = mode == .tieredReserved ? hostCount * 6 / 10 : 0
        var leaseNumber = 0
        func lease(_ host: HostName, _ resources: Resources, at now: Instant) -> Lease {
            leaseNumber += 1
            let number = Int(host.rawValue.dropFirst(4)) ?? 0
            return Lease(
                id: LeaseID("l\(leaseNumber)"),
                hostname: host,
                resources: resources,
                attributes: ["group": number < reservedHosts ? "services" : "general"],
                offeredAt: now
            )
        }
        var offers = (0..<hostCount).map {
            lease(HostName("host\($0)"), Resources(cpus: 16, memoryMB: 65_536), at: .zero)
        }
        var endings: [Int: [Ending]] = [:]
        var waits: [Int: [Double]] = [0: [], 1: []]
        var lifetimes: [TaskID: Int] = [:]
        var taskNumber = 0
        let fleetCpus = Double(hostCount) * 16
        // Services: ~50 % of the fleet (lifetime 600-3000 s, 1-4 cpus), there from the start.
        let serviceRate = 0.5 * fleetCpus / (2.5 * 1800)
        var serviceCredit = 0.0
        // Batch: a flood every 300 s, ~40 % of the fleet on average (lifetime 60-220 s, 1-2 cpus).
        let floodEvery = 300
        let floodSize = Int(0.4 * fleetCpus * Double(floodEvery) / (1.5 * 140))

        func submit(_ tier: Int, group: String, cpus: Double, memoryMB: Double, lifetime: Int, at now: Instant) {
            taskNumber += 1
            let id = TaskID("\(tier == 0 ? "svc" : "batch")\(taskNumber)")
            let request = TaskRequest(
                id: id,
                group: TaskGroup(group),
                resources: Resources(cpus: cpus, memoryMB: memoryMB)
            )
            let task = QueuedTask(
                request,
                tier: tiered ? tier : 0,
                capacityGroup: CapacityGroupName(tiered ? group : "everyone")
            )
            try? queue.enqueue(task, at: now)
            lifetimes[id] = lifetime
        }

        var tierOfTask: [TaskID: Int] = [:]
        var maxQueued = 0
        // The services already running at the start, part-way through their lives.
        for _ in 0..<Int(serviceRate * 1800) {
            let cpus = Double(1 + random.next() % 4)
            submit(
                0,
                group: "service\(random.next() % 5)",
                cpus: cpus,
                memoryMB: cpus * 2048,
                lifetime: 1 + Int(random.next() % 3000),
                at: .zero
            )
            tierOfTask[TaskID("svc\(taskNumber)")] = 0
        }
        for second in 0..<seconds {
            let now = Instant.seconds(Double(second))
            for ending in endings.removeValue(forKey: second) ?? [] {
                queue.taskEnded(ending.id)
                _ = try? scheduler.removeRunningTask(ending.id)
                offers.append(lease(ending.host, ending.resources, at: now))
            }
            serviceCredit += serviceRate
            while serviceCredit >= 1 {
                serviceCredit -= 1
                let cpus = Double(1 + random.next() % 4)
                submit(
                    0,
                    group: "service\(random.next() % 5)",
                    cpus: cpus,
                    memoryMB: cpus * 2048,
                    lifetime: 600 + Int(random.next() % 2401),
                    at: now
                )
                tierOfTask[TaskID("svc\(taskNumber)")] = 0
            }
            if second % floodEvery == 0 {
                let group = "batch\(second / floodEvery % 4)"
                for _ in 0..<floodSize {
                    let cpus = Double(1 + random.next() % 2)
                    submit(
                        1,
                        group: group,
                        cpus: cpus,
                        memoryMB: cpus * 2048,
                        lifetime: 60 + Int(random.next() % 161),
                        at: now
                    )
                    tierOfTask[TaskID("batch\(taskNumber)")] = 1
                }
            }
            maxQueued = max(maxQueued, queue.count)
            let result = queue.schedule(on: &scheduler, newLeases: offers, at: now)
            offers = []
            for assignment in result.scheduling.assignments {
                let unused = assignment.unused
                if unused.cpus > 1e-9 || unused.memoryMB > 1e-9 {
                    offers.append(lease(assignment.hostname, unused, at: now))
                }
                for placed in assignment.tasks {
                    let lifetime = lifetimes.removeValue(forKey: placed.taskID) ?? 60
                    endings[second + lifetime, default: []].append(
                        Ending(id: placed.taskID, host: assignment.hostname, resources: placed.request.resources)
                    )
                }
            }
            for placement in result.placements where second >= warmUp {
                waits[tierOfTask[placement.taskID] ?? 1, default: []].append(placement.waited.milliseconds / 1000)
            }
        }
        for tier in [0, 1] {
            let sorted = (waits[tier] ?? []).sorted()
            let name = tier == 0 ? "services (tier 0)" : "batch (tier 1)"
            print(
                "\(name): \(sorted.count) placed, wait p50 \(format(percentile(sorted, 0.5))) s, "
                    + "p99 \(format(percentile(sorted, 0.99))) s, max \(format(sorted.last ?? .nan)) s"
            )
        }
        print("still queued at the end: \(queue.count); most queued at once: \(maxQueued); flood size \(floodSize)")
    }
}
