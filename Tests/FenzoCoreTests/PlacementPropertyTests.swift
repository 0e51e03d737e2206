import PropertyBased
import Testing

@testable import FenzoCore

/// A small deterministic generator (SplitMix64) so a seed rebuilds the same workload.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A random fleet and task list, with constraints of every built-in kind.
struct RandomWorkload {
    var leases: [Lease]
    var tasks: [TaskRequest]

    init(seed: UInt64, hostCount: Int, taskCount: Int) {
        var random = SeededGenerator(seed: seed)
        let zones = ["za", "zb", "zc"]
        leases = (0..<hostCount).map { index in
            let base = Int.random(in: 31000...31100, using: &random)
            return Lease(
                id: LeaseID("l\(index)"),
                hostname: HostName("h\(index)"),
                resources: Resources(
                    cpus: [2, 4, 8, 16].randomElement(using: &random) ?? 4,
                    memoryMB: [2048, 8192, 16384].randomElement(using: &random) ?? 8192,
                    diskMB: [1000, 10000].randomElement(using: &random) ?? 1000,
                    networkMbps: [100, 1000].randomElement(using: &random) ?? 100
                ),
                ports: PortRanges([base...(base + Int.random(in: 0...6, using: &random))]),
                scalars: Bool.random(using: &random) ? ["gpu": Double(Int.random(in: 0...4, using: &random))] : [:],
                resourceSets: [ResourceSetDefinition(name: "eni", sets: 2, slotsPerSet: 3)],
                attributes: ["zone": zones[index % zones.count], "type": Bool.random(using: &random) ? "m5" : "r5"]
            )
        }
        tasks = (0..<taskCount).map { index in
            var hard: [PlacementConstraint] = []
            var soft: [PlacementConstraint] = []
            switch Int.random(in: 0..<10, using: &random) {
            case 0: hard.append(.uniqueHostAttribute("name"))
            case 1: hard.append(.uniqueHostAttribute("zone"))
            case 2: hard.append(.hostAttributeValue(attribute: "type", values: ["m5"]))
            case 3: hard.append(.balancedHostAttribute("zone"))
            case 4: hard.append(.exclusiveHost)
            case 5: soft.append(.balancedHostAttribute("zone"))
            case 6: soft.append(.uniqueHostAttribute("name"))
            default: break
            }
            let setAsk =
                Int.random(in: 0..<4, using: &random) == 0
                ? [ResourceSetAsk(name: "eni", label: "sg\(Int.random(in: 0..<3, using: &random))")] : []
            return TaskRequest(
                id: TaskID("t\(index)"),
                group: TaskGroup("g\(Int.random(in: 0..<6, using: &random))"),
                resources: Resources(
                    cpus: [0.25, 0.5, 1, 2, 4].randomElement(using: &random) ?? 1,
                    memoryMB: [128, 512, 1024, 4096].randomElement(using: &random) ?? 512,
                    diskMB: [0, 100, 500].randomElement(using: &random) ?? 0,
                    networkMbps: [0, 10, 50].randomElement(using: &random) ?? 0
                ),
                ports: Int.random(in: 0...2, using: &random),
                scalars: Int.random(in: 0..<5, using: &random) == 0 ? ["gpu": 1] : [:],
                resourceSets: setAsk,
                hardConstraints: hard,
                softConstraints: soft
            )
        }
    }
}

/// Checks a set of placements against the fleet, independently of the scheduler.
struct PlacementChecker {
    var leases: [Lease]
    var placements: [TaskAssignment]

    func violations() -> [String] {
        var problems: [String] = []
        let leaseOf = Dictionary(uniqueKeysWithValues: leases.map { ($0.hostname, $0) })
        let byHost = Dictionary(grouping: placements, by: \.hostname)
        for (host, placed) in byHost {
            guard let lease = leaseOf[host] else {
                problems.append("\(host) is not a host")
                continue
            }
            let used = placed.reduce(Resources.zero) { $0 + $1.request.resources }
            for kind in ResourceKind.allCases where used[kind] > lease.resources[kind] + 1e-9 {
                problems.append("\(host) over capacity in \(kind): \(used[kind]) > \(lease.resources[kind])")
            }
            let gpus = placed.reduce(0.0) { $0 + ($1.request.scalars["gpu"] ?? 0) }
            if gpus > (lease.scalars["gpu"] ?? 0) + 1e-9 { problems.append("\(host) over capacity in gpu") }
            let ports = placed.flatMap(\.ports)
            if Set(ports).count != ports.count { problems.append("\(host) gave a port twice: \(ports.sorted())") }
            for port in ports where !lease.ports.contains(port) {
                problems.append("\(host) gave port \(port) outside its ranges")
            }
            for task in placed where task.ports.count != task.request.ports {
                problems.append("\(task.taskID) asked \(task.request.ports) ports, got \(task.ports.count)")
            }
            var setUse: [Int: (labels: Set<String>, slots: Int)] = [:]
            for allocation in placed.flatMap(\.resourceSets) {
                setUse[allocation.index, default: ([], 0)].labels.insert(allocation.label)
                setUse[allocation.index, default: ([], 0)].slots += allocation.slots
            }
            for (index, use) in setUse where use.labels.count > 1 || use.slots > 3 || index >= 2 {
                problems.append("\(host) set \(index) misused: \(use)")
            }
            let exclusive = placed.filter { $0.request.hardConstraints.contains { "\($0)" == "exclusiveHost" } }
            if !exclusive.isEmpty, placed.count > 1 { problems.append("\(host) shares an exclusive task") }
            for task in placed {
                for case .hostAttributeValue(let attribute, let values) in task.request.hardConstraints
                where !values.contains(lease.attributes[attribute] ?? "") {
                    problems.append("\(task.taskID) on \(host) breaks \(attribute) in \(values)")
                }
            }
        }
        let byGroup = Dictionary(grouping: placements, by: \.request.group)
        for (group, placed) in byGroup {
            for attribute in ["name", "zone"] {
                let unique = placed.filter {
                    $0.request.hardConstraints.contains { "\($0)" == "uniqueHostAttr(\(attribute))" }
                }
                for task in unique {
                    let value =
                        attribute == "name" ? task.hostname.rawValue : leaseOf[task.hostname]?.attributes["zone"]
                    let clash = placed.filter { other in
                        other.taskID != task.taskID
                            && (attribute == "name"
                                ? other.hostname.rawValue : leaseOf[other.hostname]?.attributes["zone"]) == value
                    }
                    if !clash.isEmpty {
                        problems.append("\(group): \(task.taskID) shares \(attribute)=\(value ?? "?")")
                    }
                }
            }
        }
        return problems
    }
}

@Suite("Properties of random workloads")
struct PlacementPropertyTests {
    @Test("random workloads never overcommit a host, never hand out a port twice, never break a hard constraint")
    func randomWorkloadsHoldInvariants() async {
        await propertyCheck(
            count: 150,
            input: Gen<UInt64>.value(in: 0...UInt64.max),
            Gen.int(in: 1...25),
            Gen.int(in: 1...120)
        ) { seed, hostCount, taskCount in
            Self.checkRandomWorkload(seed: seed, hostCount: hostCount, taskCount: taskCount, order: .asGiven)
        }
    }

    /// Schedules a random workload in one iteration and checks every placement against
    /// the fleet with `PlacementChecker`, and that every task is accounted for once.
    static func checkRandomWorkload(seed: UInt64, hostCount: Int, taskCount: Int, order: PlacementOrder) {
        let workload = RandomWorkload(seed: seed, hostCount: hostCount, taskCount: taskCount)
        var scheduler = TaskScheduler(configuration: SchedulerConfiguration(leaseExpiry: nil, placementOrder: order))
        let result = scheduler.schedule(workload.tasks, newLeases: workload.leases, at: .zero)
        let problems = PlacementChecker(leases: workload.leases, placements: result.placedTasks).violations()
        #expect(problems.isEmpty, "seed \(seed), \(order): \(problems.prefix(5))")
        let accounted = result.placedTasks.map(\.taskID) + result.failures.map(\.taskID)
        #expect(accounted.count == workload.tasks.count)
        #expect(Set(accounted) == Set(workload.tasks.map(\.id)))
        #expect(result.failures.allSatisfy { !$0.reasons.isEmpty })
    }

    @Test("hard-balanced groups never hold more than their share in any zone")
    func balancedNeverExceedsShare() async {
        await propertyCheck(count: 100, input: Gen.int(in: 3...30), Gen.int(in: 1...60)) { hostCount, taskCount in
            Self.checkBalancedShare(hostCount: hostCount, taskCount: taskCount)
        }
    }

    static func checkBalancedShare(hostCount: Int, taskCount: Int) {
        let leases = (0..<hostCount).map {
            Fixtures.lease("h\($0)", cpus: 64, memoryMB: 1_048_576, attributes: ["zone": "z\($0 % 3)"])
        }
        let tasks = Fixtures.tasks(taskCount, group: "web", hard: [.balancedHostAttribute("zone")])
        var scheduler = TaskScheduler(configuration: SchedulerConfiguration(leaseExpiry: nil))
        let result = scheduler.schedule(tasks, newLeases: leases, at: .zero)
        #expect(result.placedTasks.count == taskCount)
        var perZone: [String: Int] = [:]
        for task in result.placedTasks {
            let index = Int(task.hostname.rawValue.dropFirst()) ?? 0
            perZone["z\(index % 3)", default: 0] += 1
        }
        let share = (taskCount + 2) / 3
        #expect(perZone.values.allSatisfy { $0 <= share }, "\(perZone)")
    }

    @Test("a failed task could not have been placed: it fits no host once the others are placed")
    func failuresAreReal() async {
        await propertyCheck(count: 60, input: Gen<UInt64>.value(in: 0...UInt64.max)) { seed in
            let workload = RandomWorkload(seed: seed, hostCount: 8, taskCount: 80)
            var scheduler = TaskScheduler(configuration: SchedulerConfiguration(leaseExpiry: nil))
            let result = scheduler.schedule(workload.tasks, newLeases: workload.leases, at: .zero)
            // Offer every host's remainder again and retry each failed task alone: it
            // must still fail, since the iteration already looked at every host. (A
            // balanced group's share grows as its other tasks land, so those may fit
            // later by design; they are left out.)
            let balanced = { (task: TaskRequest) in
                task.hardConstraints.contains { "\($0)".hasPrefix("balancedHostAttr") }
            }
            for failure in result.failures where !balanced(failure.request) {
                var probe = scheduler
                let remainders = result.assignments.map { assignment in
                    Lease(
                        id: LeaseID("re-\(assignment.hostname)"),
                        hostname: assignment.hostname,
                        resources: assignment.unused,
                        ports: assignment.unusedPorts,
                        scalars: assignment.unusedScalars,
                        resourceSets: [ResourceSetDefinition(name: "eni", sets: 2, slotsPerSet: 3)],
                        attributes: workload.leases.first { $0.hostname == assignment.hostname }?.attributes ?? [:]
                    )
                }
                let retry = probe.schedule([failure.request], newLeases: remainders, at: .seconds(1))
                #expect(retry.placedTasks.isEmpty, "seed \(seed): \(failure.taskID) fits after all")
            }
        }
    }
}
