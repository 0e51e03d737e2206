import PropertyBased
import Testing

@testable import FenzoCore

@Suite("Scale-down hints")
struct ScaleDownHintTests {
    typealias F = AutoscaleFixtures

    static func autoscaler(maxTasks: Int = 8) throws -> Autoscaler {
        try Autoscaler(
            configuration: AutoscalerConfiguration(
                groupAttribute: "group",
                rules: [F.rule()],
                maxTasksMovedPerHint: maxTasks
            )
        )
    }

    /// Places each task on the host named, then has every host offer what is left.
    static func fleet(_ hosts: [String: Double], tasks: [(TaskRequest, String)]) throws -> TaskScheduler {
        var scheduler = Fixtures.scheduler()
        var used: [String: Double] = [:]
        for (task, host) in tasks {
            try scheduler.addRunningTask(RunningTask(request: task, hostname: HostName(host)))
            used[host, default: 0] += task.resources.cpus
        }
        for (host, cpus) in hosts.sorted(by: { $0.key < $1.key }) {
            try scheduler.addLease(
                Fixtures.lease(
                    host,
                    cpus: cpus - (used[host] ?? 0),
                    memoryMB: 40_000,
                    attributes: ["group": "small", "zone": "z\(host.last.map(String.init) ?? "")"]
                )
            )
        }
        return scheduler
    }

    @Test("a host with one small task is emptied onto a busy host with room, not onto an idle one")
    func singleMove() throws {
        let scheduler = try Self.fleet(
            ["a": 4, "b": 4, "c": 4],
            tasks: [
                (Fixtures.task("a1"), "a"), (Fixtures.task("a2"), "a"),
                (Fixtures.task("b1"), "b"),
            ]
        )
        let hints = try Self.autoscaler().scaleDownHints(for: scheduler, at: .zero)
        #expect(hints == [ScaleDownHint(host: "b", group: "small", moves: [TaskMove(task: "b1", from: "b", to: "a")])])
        #expect(hints.first?.hostsFreedPerTaskMoved == 1)
    }

    @Test("hints are ordered by hosts freed per task moved, and later ones assume the earlier were carried out")
    func orderedAndCumulative() throws {
        // d's task goes to a (the fullest with room), f's to e; a and e took tasks, so
        // they are not emptied; c's two tasks then fit the room left on a.
        let cpus: [TaskID: Double] = ["a1": 5, "c1": 1, "c2": 1, "d1": 1, "e1": 1, "e2": 1, "e3": 1, "f1": 4]
        let home: [TaskID: String] = [
            "a1": "a", "c1": "c", "c2": "c", "d1": "d", "e1": "e", "e2": "e", "e3": "e", "f1": "f",
        ]
        let scheduler = try Self.fleet(
            ["a": 8, "c": 8, "d": 8, "e": 8, "f": 8],
            tasks: home.keys.sorted().map { (Fixtures.task($0.rawValue, cpus: cpus[$0] ?? 1), home[$0] ?? "") }
        )
        let hints = try Self.autoscaler().scaleDownHints(for: scheduler, at: .zero)
        #expect(hints.map(\.host) == ["d", "f", "c"])
        #expect(hints.map(\.moves.count) == [1, 1, 2])
        // Carried out in order, no host is ever given more than it has.
        var load: [HostName: Double] = [:]
        for (task, host) in home { load[HostName(host), default: 0] += cpus[task] ?? 0 }
        for hint in hints {
            for move in hint.moves {
                load[move.from, default: 0] -= cpus[move.task] ?? 0
                load[move.to, default: 0] += cpus[move.task] ?? 0
                #expect((load[move.to] ?? 0) <= 8)
            }
            #expect(load[hint.host] == 0)
        }
    }

    @Test("a task pinned to its host, or a host running more tasks than the limit, gives no hint")
    func pinnedAndCrowdedHosts() throws {
        let scheduler = try Self.fleet(
            ["a": 8, "b": 8, "c": 8],
            tasks: [
                (Fixtures.task("a1"), "a"),
                (Fixtures.task("b1", hard: [.hostname(["b"])]), "b"),
                (Fixtures.task("c1"), "c"), (Fixtures.task("c2"), "c"), (Fixtures.task("c3"), "c"),
            ]
        )
        let hints = try Self.autoscaler(maxTasks: 2).scaleDownHints(for: scheduler, at: .zero)
        #expect(hints.map(\.host) == ["a"])
        #expect(hints.first?.moves.first?.to == "c")
    }

    @Test("a one-per-host task does not move onto a host holding its job")
    func uniqueHostHeld() throws {
        let web = { (id: String) in Fixtures.task(id, group: "web", hard: [.uniqueHostAttribute("name")]) }
        let scheduler = try Self.fleet(
            ["a": 8, "b": 8, "c": 8],
            tasks: [
                (web("w1"), "a"), (Fixtures.task("a2"), "a"), (web("w2"), "b"), (Fixtures.task("c1", cpus: 7), "c"),
            ]
        )
        let hints = try Self.autoscaler().scaleDownHints(for: scheduler, at: .zero)
        let fromB = hints.first { $0.host == "b" }
        #expect(fromB.map { $0.moves.allSatisfy { $0.to == "c" } } ?? true)
        #expect(hints.flatMap(\.moves).allSatisfy { !($0.task == "w2" && $0.to == "a") })
    }

    @Test("hints on random fleets never break a hard constraint or overfill a host")
    func hintsKeepConstraints() async {
        await propertyCheck(count: 40, input: Gen<UInt64>.value(in: 0...UInt64.max), Gen.int(in: 2...14)) {
            seed,
            hostCount in
            Self.checkHints(seed: seed, hostCount: hostCount)
        }
    }

    @Test("random fleets do yield hints, so the property above checks real moves")
    func randomFleetsYieldHints() {
        let moves = (1...20).reduce(0) { $0 + Self.checkHints(seed: UInt64($1), hostCount: 10) }
        #expect(moves > 10)
    }

    /// Checks the hints for one random fleet; returns how many moves they make.
    @discardableResult
    static func checkHints(seed: UInt64, hostCount: Int) -> Int {
        var workload = RandomWorkload(seed: seed, hostCount: hostCount, taskCount: hostCount * 4)
        for index in workload.leases.indices { workload.leases[index].attributes["group"] = "small" }
        var scheduler = TaskScheduler(configuration: SchedulerConfiguration(leaseExpiry: nil))
        let result = scheduler.schedule(workload.tasks, newLeases: workload.leases, at: .zero)
        let leaseOf = Dictionary(uniqueKeysWithValues: workload.leases.map { ($0.hostname, $0) })
        for assignment in result.assignments {
            let lease = Lease(
                id: LeaseID("rest-\(assignment.hostname)"),
                hostname: assignment.hostname,
                resources: assignment.unused,
                ports: assignment.unusedPorts,
                scalars: assignment.unusedScalars,
                resourceSets: leaseOf[assignment.hostname]?.resourceSets ?? [],
                attributes: leaseOf[assignment.hostname]?.attributes ?? [:]
            )
            #expect(throws: Never.self) { try scheduler.addLease(lease) }
        }
        guard
            let autoscaler = try? Autoscaler(
                configuration: AutoscalerConfiguration(groupAttribute: "group", rules: [F.rule()])
            )
        else { return 0 }
        let hints = autoscaler.scaleDownHints(for: scheduler, at: .seconds(1))
        var hostOf = Dictionary(uniqueKeysWithValues: result.placedTasks.map { ($0.taskID, $0.hostname) })
        let requestOf = Dictionary(uniqueKeysWithValues: result.placedTasks.map { ($0.taskID, $0.request) })
        var emptied = Set<HostName>()
        for hint in hints {
            for move in hint.moves {
                #expect(hostOf[move.task] == move.from, "seed \(seed): \(move) does not start where the task runs")
                #expect(!emptied.contains(move.to), "seed \(seed): \(move) lands on a host emptied earlier")
                hostOf[move.task] = move.to
            }
            #expect(!hostOf.values.contains(hint.host), "seed \(seed): \(hint.host) is not left empty")
            emptied.insert(hint.host)
        }
        let problems = HintChecker(leases: workload.leases, hostOf: hostOf, requestOf: requestOf).violations()
        #expect(problems.isEmpty, "seed \(seed): \(problems.prefix(5))")
        return hints.reduce(0) { $0 + $1.moves.count }
    }
}

/// Checks where tasks end up after moves against the fleet, independently of the
/// scheduler: capacity, attribute values, unique hosts and zones, exclusive hosts.
struct HintChecker {
    var leases: [Lease]
    var hostOf: [TaskID: HostName]
    var requestOf: [TaskID: TaskRequest]

    func violations() -> [String] {
        var problems: [String] = []
        let leaseOf = Dictionary(uniqueKeysWithValues: leases.map { ($0.hostname, $0) })
        let byHost = Dictionary(grouping: hostOf.keys.sorted(), by: { hostOf[$0] ?? "?" })
        for (host, ids) in byHost {
            guard let lease = leaseOf[host] else { continue }
            let requests = ids.compactMap { requestOf[$0] }
            let used = requests.reduce(Resources.zero) { $0 + $1.resources }
            for kind in ResourceKind.allCases where used[kind] > lease.resources[kind] + 1e-9 {
                problems.append("\(host) over capacity in \(kind)")
            }
            let gpus = requests.reduce(0.0) { $0 + ($1.scalars["gpu"] ?? 0) }
            if gpus > (lease.scalars["gpu"] ?? 0) + 1e-9 { problems.append("\(host) over capacity in gpu") }
            let ports = requests.reduce(0) { $0 + $1.ports }
            if ports > lease.ports.count { problems.append("\(host) gives more ports than it has") }
            if requests.count > 1,
                requests.contains(where: { $0.hardConstraints.contains { "\($0)" == "exclusiveHost" } })
            {
                problems.append("\(host) shares an exclusive task")
            }
            for request in requests {
                for case .hostAttributeValue(let attribute, let values) in request.hardConstraints
                where !values.contains(lease.attributes[attribute] ?? "") {
                    problems.append("\(request.id) on \(host) breaks \(attribute) in \(values)")
                }
            }
        }
        let byGroup = Dictionary(grouping: requestOf.values, by: \.group)
        for (group, requests) in byGroup {
            for attribute in ["name", "zone"] {
                func value(_ request: TaskRequest) -> String? {
                    guard let host = hostOf[request.id] else { return nil }
                    return attribute == "name" ? host.rawValue : leaseOf[host]?.attributes["zone"]
                }
                for request in requests
                where request.hardConstraints.contains(where: { "\($0)" == "uniqueHostAttr(\(attribute))" }) {
                    let clash = requests.filter { $0.id != request.id && value($0) == value(request) }
                    if !clash.isEmpty { problems.append("\(group): \(request.id) shares \(attribute)") }
                }
            }
        }
        return problems
    }
}
