import Testing

@testable import FenzoCore

@Suite("Leases, expiry and disabled hosts")
struct LeaseTests {
    @Test("leases unused past the expiry are handed back, at most N hosts per iteration")
    func expiryIsLimitedPerIteration() {
        var scheduler = Fixtures.scheduler(leaseExpiry: .seconds(10)) { $0.maxHostsToExpirePerIteration = 2 }
        let leases = (0..<5).map { Fixtures.lease("h\($0)", at: .seconds(Double($0))) }
        let early = scheduler.schedule([], newLeases: leases, at: .seconds(9))
        #expect(early.expiredLeases.isEmpty)
        let first = scheduler.schedule([], at: .seconds(20))
        #expect(first.expiredLeases.map(\.hostname) == ["h0", "h1"])
        let second = scheduler.schedule([], at: .seconds(21))
        #expect(second.expiredLeases.map(\.hostname) == ["h2", "h3"])
        #expect(scheduler.leases(of: "h0").isEmpty)
        #expect(scheduler.leases(of: "h4").count == 1)
    }

    @Test("expireAllLeases hands back every unused lease at once")
    func expireAll() {
        var scheduler = Fixtures.scheduler(leaseExpiry: .seconds(10)) { $0.maxHostsToExpirePerIteration = 1 }
        _ = scheduler.schedule([], newLeases: (0..<5).map { Fixtures.lease("h\($0)") }, at: .zero)
        #expect(scheduler.expireAllLeases().count == 5)
        let result = scheduler.schedule([Fixtures.task("t")], at: .seconds(1))
        #expect(result.failures.first?.reasons == [.noHostsOffered])
    }

    @Test("a used lease is consumed, not expired, and its remainder is reported")
    func usedLeaseIsConsumed() throws {
        var scheduler = Fixtures.scheduler(leaseExpiry: .seconds(1))
        let result = scheduler.schedule(
            [Fixtures.task("t", cpus: 1, memoryMB: 1024)],
            newLeases: [Fixtures.lease("h1", id: "l1", cpus: 4, memoryMB: 8192)],
            at: .seconds(100)
        )
        #expect(result.expiredLeases.isEmpty)
        let assignment = try #require(result.assignments.first)
        #expect(assignment.leases.map(\.id) == ["l1"])
        #expect(assignment.unused.cpus == 3)
        #expect(assignment.unused.memoryMB == 7168)
        #expect(scheduler.leases(of: "h1").isEmpty)
        let host = try #require(scheduler.host("h1"))
        #expect(host.free == .zero)
        #expect(host.used.cpus == 1)
    }

    @Test("a rescinded lease is no longer used, and rescinding an unknown lease says so")
    func rescind() throws {
        var scheduler = Fixtures.scheduler()
        try scheduler.addLease(Fixtures.lease("h1", id: "l1", cpus: 4))
        try scheduler.addLease(Fixtures.lease("h1", id: "l2", cpus: 4))
        let removed = try scheduler.rescindLease("l1")
        #expect(removed.id == "l1")
        #expect(scheduler.host("h1")?.free.cpus == 4)
        let error = #expect(throws: SchedulingError.self) { try scheduler.rescindLease("l1") }
        #expect(error?.message == "no lease l1 is held: it was used, expired or never offered")
        let result = scheduler.schedule([Fixtures.task("t", cpus: 6)], at: .zero)
        #expect(result.failures.first?.reasons == [.insufficientResource(.cpus, needed: 6, mostFree: 4)])
    }

    @Test("a disabled host takes nothing until its time passes, and the reason names it")
    func disabledHost() throws {
        var scheduler = Fixtures.scheduler()
        try scheduler.addLease(Fixtures.lease("h1", cpus: 4))
        try scheduler.disableHost("h1", until: .seconds(60))
        let blocked = scheduler.schedule([Fixtures.task("t")], at: .seconds(30))
        #expect(blocked.failures.first?.reasons == [.hostsDisabled(count: 1, until: .seconds(60))])
        #expect(
            blocked.failures.first?.reasons.first?.description
                == "1 host(s) that could take it are disabled, the first until t=60.0s"
        )
        let later = scheduler.schedule([Fixtures.task("t")], at: .seconds(60))
        #expect(later.hostOfTask["t"] == "h1")
    }

    @Test("enabling a disabled host lets it take tasks at once")
    func enableHost() throws {
        var scheduler = Fixtures.scheduler()
        try scheduler.addLease(Fixtures.lease("h1", cpus: 4))
        try scheduler.disableHost("h1", until: .seconds(1000))
        try scheduler.enableHost("h1")
        #expect(scheduler.schedule([Fixtures.task("t")], at: .zero).placedTasks.count == 1)
        #expect(throws: SchedulingError.self) { try scheduler.disableHost("nope", until: .zero) }
    }

    @Test(
        "a malformed lease is rejected with every problem named",
        arguments: [
            (Resources(cpus: -1), "cpus is negative (-1.0)"),
            (Resources(memoryMB: .nan), "memoryMB is not a number"),
            (Resources(diskMB: .infinity), "diskMB is infinite"),
        ]
    )
    func malformedLease(resources: Resources, problem: String) {
        var scheduler = Fixtures.scheduler()
        let lease = Lease(id: "bad", hostname: "h1", resources: resources)
        let result = scheduler.schedule([], newLeases: [lease], at: .zero)
        #expect(result.rejectedLeases.count == 1)
        #expect(result.rejectedLeases.first?.error.message == "lease bad is invalid: \(problem)")
        #expect(scheduler.host("h1") == nil)
    }

    @Test("a lease id offered twice is rejected the second time")
    func duplicateLease() throws {
        var scheduler = Fixtures.scheduler()
        try scheduler.addLease(Fixtures.lease("h1", id: "l1"))
        let error = #expect(throws: SchedulingError.self) { try scheduler.addLease(Fixtures.lease("h2", id: "l1")) }
        #expect(error?.message == "lease l1 was already offered for host h1; give each lease a new id")
    }

    @Test("ports out of range make a lease invalid")
    func badPorts() {
        let lease = Fixtures.lease("h1", ports: [65000...70000])
        #expect(lease.problems() == ["port range 65000-70000 is outside 0-65535"])
    }
}

@Suite("Running tasks, bad requests and determinism")
struct RunningTaskTests {
    @Test("a running task counts against its host's resources in fitness and against constraints")
    func runningTasksCount() throws {
        var scheduler = Fixtures.scheduler(fitness: BinPackingFitness.cpu)
        try scheduler.addLease(Fixtures.lease("a", cpus: 4))
        try scheduler.addLease(Fixtures.lease("b", cpus: 4))
        try scheduler.addRunningTask(
            RunningTask(request: Fixtures.task("old", group: "web", cpus: 4), hostname: "b")
        )
        #expect(scheduler.host("b")?.total.cpus == 8)
        let result = scheduler.schedule(
            [
                Fixtures.task("packed"),
                Fixtures.task("unique", group: "web", hard: [.uniqueHostAttribute("name")]),
            ],
            at: .zero
        )
        #expect(result.hostOfTask["packed"] == "b")
        #expect(result.hostOfTask["unique"] == "a")
    }

    @Test("removing a running task frees its constraint hold and unknown tasks are refused")
    func removeRunningTask() throws {
        var scheduler = Fixtures.scheduler()
        try scheduler.addLease(Fixtures.lease("a", cpus: 4))
        let unique = PlacementConstraint.uniqueHostAttribute("name")
        try scheduler.addRunningTask(
            RunningTask(request: Fixtures.task("old", group: "web", hard: [unique]), hostname: "a")
        )
        #expect(scheduler.schedule([Fixtures.task("new", group: "web", hard: [unique])], at: .zero).failures.count == 1)
        let removed = try scheduler.removeRunningTask("old")
        #expect(removed.hostname == "a")
        #expect(
            scheduler.schedule([Fixtures.task("new2", group: "web", hard: [unique])], at: .zero).placedTasks.count == 1
        )
        let error = #expect(throws: SchedulingError.self) { try scheduler.removeRunningTask("old") }
        #expect(error?.message == "task old is not running on any host the scheduler knows")
    }

    @Test("a duplicate task id fails the second copy and a running id fails too")
    func duplicateTaskIDs() {
        var scheduler = Fixtures.scheduler()
        let result = scheduler.schedule(
            [Fixtures.task("same"), Fixtures.task("same")],
            newLeases: [Fixtures.lease("h1")],
            at: .zero
        )
        #expect(result.placedTasks.count == 1)
        #expect(result.failures.map(\.reasons) == [[.duplicateTaskID]])
        let again = scheduler.schedule([Fixtures.task("same")], newLeases: [Fixtures.lease("h2")], at: .seconds(1))
        #expect(again.failures.map(\.reasons) == [[.duplicateTaskID]])
    }

    @Test(
        "a request with bad resources fails with every problem and changes nothing",
        arguments: [
            (Resources(cpus: -1), ["cpus is negative (-1.0)"]),
            (Resources(cpus: .nan, memoryMB: -5), ["cpus is not a number", "memoryMB is negative (-5.0)"]),
        ]
    )
    func badRequest(resources: Resources, problems: [String]) throws {
        var scheduler = Fixtures.scheduler()
        let request = TaskRequest(id: "bad", resources: resources)
        let result = scheduler.schedule([request], newLeases: [Fixtures.lease("h1", cpus: 4)], at: .zero)
        #expect(result.failures.first?.reasons == [.invalidRequest(problems)])
        #expect(scheduler.host("h1")?.free.cpus == 4)
        #expect(scheduler.runningTaskCount == 0)
    }

    @Test("a task larger than any host fails naming the resource and the most free")
    func taskLargerThanAnyHost() throws {
        var scheduler = Fixtures.scheduler()
        let result = scheduler.schedule(
            [Fixtures.task("huge", cpus: 1, memoryMB: 4096)],
            newLeases: [Fixtures.lease("a", memoryMB: 2048), Fixtures.lease("b", memoryMB: 1024)],
            at: .zero
        )
        #expect(
            result.failures.first?.reasons.map(\.description) == [
                "memory: needs 4096 MB, the most free on any host is 2048 MB"
            ]
        )
    }

    @Test("resources free on different hosts but not together are reported as such")
    func resourcesNotTogether() throws {
        var scheduler = Fixtures.scheduler()
        let result = scheduler.schedule(
            [Fixtures.task("t", cpus: 4, memoryMB: 4096)],
            newLeases: [Fixtures.lease("a", cpus: 4, memoryMB: 1024), Fixtures.lease("b", cpus: 1, memoryMB: 8192)],
            at: .zero
        )
        #expect(
            result.failures.first?.reasons == [
                .resourcesNotTogether(hostsShort: ["cpus": 1, "memory": 1], hostsOffered: 2)
            ]
        )
        #expect(result.failures.first?.isResourceShortfall == true)
    }

    @Test("no hosts at all: the reason says no host offered resources")
    func noHosts() {
        var scheduler = Fixtures.scheduler()
        let result = scheduler.schedule([Fixtures.task("t")], at: .zero)
        #expect(result.failures.first?.reasons.map(\.description) == ["no host has offered resources"])
    }

    @Test("the same input gives the same output, placement for placement")
    func deterministic() {
        func run() -> [String] {
            var scheduler = Fixtures.scheduler()
            var leases: [Lease] = []
            for index in 0..<60 {
                leases.append(
                    Fixtures.lease(
                        "h\(index)",
                        cpus: [4, 8, 16][index % 3],
                        memoryMB: [8192, 16384, 32768][index % 3],
                        ports: [31000...31010],
                        attributes: ["zone": "z\(index % 3)", "type": "t\(index % 2)"]
                    )
                )
            }
            var tasks: [TaskRequest] = []
            for index in 0..<400 {
                tasks.append(
                    Fixtures.task(
                        "t\(index)",
                        group: "g\(index % 17)",
                        cpus: [0.5, 1, 2, 3][index % 4],
                        memoryMB: [256, 1024, 3000][index % 3],
                        ports: index % 2,
                        hard: index % 5 == 0 ? [.uniqueHostAttribute("name")] : [],
                        soft: index % 3 == 0 ? [.balancedHostAttribute("zone")] : []
                    )
                )
            }
            let result = scheduler.schedule(tasks, newLeases: leases, at: .zero)
            return result.placedTasks.map { "\($0.taskID)@\($0.hostname):\($0.ports)" }
                + result.failures.map { "\($0.taskID):\($0.reasons)" }
        }
        let first = run()
        #expect(first.count == 400)
        #expect(run() == first)
    }
}

@Suite("Resource shortfall")
struct ResourceShortfallTests {
    @Test("a shortage stays a shortage when some hosts are disabled, but a constraint or bad input is not one")
    func disabledHostsDoNotHideShortage() {
        let task = Fixtures.task("t")
        let short = FailureReason.insufficientResource(.cpus, needed: 8, mostFree: 4)
        let disabled = FailureReason.hostsDisabled(count: 2, until: .seconds(60))
        #expect(TaskFailure(request: task, reasons: [short, disabled]).isResourceShortfall)
        #expect(!TaskFailure(request: task, reasons: [disabled]).isResourceShortfall)
        let constraint = FailureReason.constraint(name: "uniqueHostAttr(zone)", hostsRejected: 3, detail: "")
        #expect(!TaskFailure(request: task, reasons: [short, constraint]).isResourceShortfall)
        #expect(!TaskFailure(request: task, reasons: [.invalidRequest(["cpus is negative"])]).isResourceShortfall)
    }
}

@Suite("Extreme numbers")
struct ExtremeNumberTests {
    @Test(
        "hosts and tasks with denormal, tiny or huge amounts never crash the scheduler",
        arguments: [
            Double.leastNonzeroMagnitude, Double.leastNormalMagnitude / 4, 1e-12, 1e300, Double.greatestFiniteMagnitude,
        ]
    )
    func extremeAmounts(amount: Double) {
        for order in [PlacementOrder.asGiven, .hostByHost] {
            for fitness in [BinPackingFitness.cpuMemory, AlignmentFitness(), SpreadingFitness.cpuMemory]
                as [any FitnessCalculator]
            {
                var scheduler = Fixtures.scheduler(fitness: fitness) { $0.placementOrder = order }
                let result = scheduler.schedule(
                    [
                        Fixtures.task("a", cpus: amount, memoryMB: amount),
                        Fixtures.task("b", cpus: 1, memoryMB: 1),
                        Fixtures.task("c", cpus: amount / 2, memoryMB: 0, hard: [.uniqueHostAttribute("name")]),
                    ],
                    newLeases: [
                        Fixtures.lease("tiny", cpus: amount, memoryMB: amount),
                        Fixtures.lease("normal", cpus: 4, memoryMB: 4096),
                    ],
                    at: .zero
                )
                #expect(result.placedTasks.count + result.failures.count == 3)
                #expect(result.placedTasks.allSatisfy { $0.score.isFinite })
            }
        }
    }
}
