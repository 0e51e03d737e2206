import Testing

@testable import FenzoCore

@Suite("Scale-up from shortfall")
struct ShortfallTests {
    typealias F = AutoscaleFixtures

    static let big = HostShape(resources: Resources(cpus: 16, memoryMB: 65_536))

    /// A purely reactive rule (no idle hosts kept) for hosts of `shape`.
    static func reactive(_ group: HostGroup = F.group, shape: HostShape = big, maxSize: Int = .max) -> AutoscaleRule {
        AutoscaleRule(
            group: group,
            minIdleHosts: 0,
            maxIdleHosts: 0,
            coolDown: .seconds(60),
            maxSize: maxSize,
            hostShape: shape
        )
    }

    /// Tries the tasks on an empty scheduler, so they fail for want of hosts.
    static func failures(
        _ tasks: [TaskRequest],
        in scheduler: inout TaskScheduler,
        at now: Instant = .zero
    ) -> [TaskFailure] {
        scheduler.schedule(tasks, at: now).failures
    }

    static func sized(_ cpus: [Double], memoryMB: Double = 1024) -> [TaskRequest] {
        cpus.enumerated().map { Fixtures.task("t\($0.offset)", cpus: $0.element, memoryMB: memoryMB) }
    }

    @Test(
        "mixed task sizes need as many hosts as bin packing uses, not one per task",
        arguments: [
            // 10s pair with 6s: four full hosts.
            ([10, 10, 10, 10, 6, 6, 6, 6], 4),
            // 48 cpus in all: three hosts.
            ([8, 8, 4, 4, 4, 4, 4, 4, 4, 4], 3),
            // Nine 7s: two fit a 16-cpu host, so five hosts.
            ([7, 7, 7, 7, 7, 7, 7, 7, 7], 5),
            // 64 quarter-cpu tasks of 1 GB fill one host exactly.
            (Array(repeating: 0.25, count: 64), 1),
            // One task too many for a host spills to a second.
            (Array(repeating: 0.25, count: 65), 2),
        ] as [([Double], Int)]
    )
    func mixedSizesArePacked(cpus: [Double], hosts: Int) throws {
        var scheduler = Fixtures.scheduler()
        let failures = Self.failures(Self.sized(cpus), in: &scheduler)
        #expect(failures.count == cpus.count)
        let autoscaler = try F.autoscaler(Self.reactive())
        let estimate = autoscaler.shortfall(of: failures, in: scheduler, at: .zero)
        #expect(estimate.hostsNeeded[F.group] == hosts)
        #expect(estimate.tasks[F.group]?.count == cpus.count)
        #expect(estimate.unfixable.isEmpty)
    }

    @Test("memory decides when it binds: 40 GB tasks need one 64 GB host each")
    func memoryBound() throws {
        var scheduler = Fixtures.scheduler()
        let failures = Self.failures(Self.sized([1, 1, 1, 1, 1], memoryMB: 40_960), in: &scheduler)
        let estimate = try F.autoscaler(Self.reactive()).shortfall(of: failures, in: scheduler, at: .zero)
        #expect(estimate.hostsNeeded[F.group] == 5)
    }

    @Test("the autoscaler asks for the packed count once, and not again while those hosts are coming")
    func scaleUpByPackedCount() throws {
        var autoscaler = try F.autoscaler(Self.reactive())
        var scheduler = Fixtures.scheduler()
        let tasks = Self.sized([10, 10, 10, 10, 6, 6, 6, 6])
        let failures = Self.failures(tasks, in: &scheduler)
        let first = autoscaler.evaluate(scheduler: &scheduler, failures: failures, at: .zero)
        #expect(first.actions == [.scaleUp(group: F.group, count: 4, reason: .shortfall(tasks: 8, hostsNeeded: 4))])
        let again = autoscaler.evaluate(
            scheduler: &scheduler,
            failures: Self.failures(tasks, in: &scheduler),
            at: .seconds(1)
        )
        #expect(again.actions.isEmpty)
        #expect(again.groups.first?.coming == 4)
        // Two of the four arrive; the tasks placed there stop waiting, and nothing more is asked.
        let arrived = (0..<2).map {
            Fixtures.lease("new\($0)", cpus: 16, memoryMB: 65_536, attributes: ["group": "small"], at: .seconds(30))
        }
        let partial = scheduler.schedule(tasks, newLeases: arrived, at: .seconds(30))
        #expect(partial.placedTasks.count == 4)
        let later = autoscaler.evaluate(scheduler: &scheduler, failures: partial.failures, at: .seconds(31))
        #expect(later.actions.isEmpty)
        #expect(later.groups.first?.coming == 2)
        #expect(later.groups.first?.hostsNeeded == 2)
    }

    @Test("waiting tasks grow the group without waiting for the cool-down")
    func shortfallIgnoresCoolDown() throws {
        var autoscaler = try F.autoscaler(Self.reactive())
        var scheduler = Fixtures.scheduler()
        let first = autoscaler.evaluate(
            scheduler: &scheduler,
            failures: Self.failures(Self.sized([16]), in: &scheduler),
            at: .zero
        )
        #expect(F.scaleUpCount(first.actions) == 1)
        let more = Self.sized([16, 16, 16])
        let second = autoscaler.evaluate(
            scheduler: &scheduler,
            failures: Self.failures(more, in: &scheduler),
            at: .seconds(1)
        )
        #expect(F.scaleUpCount(second.actions) == 2)
    }

    @Test("shortfall adds the idle headroom on top once the cool-down allows it")
    func shortfallPlusHeadroom() throws {
        var autoscaler = try F.autoscaler(
            AutoscaleRule(group: F.group, minIdleHosts: 2, maxIdleHosts: 3, coolDown: .seconds(60), hostShape: Self.big)
        )
        var scheduler = Fixtures.scheduler()
        let failures = Self.failures(Self.sized([16, 16, 16, 16]), in: &scheduler)
        let decision = autoscaler.evaluate(scheduler: &scheduler, failures: failures, at: .zero)
        #expect(decision.actions == [.scaleUp(group: F.group, count: 7, reason: .shortfall(tasks: 4, hostsNeeded: 4))])
    }

    @Test("a maximum size caps growth for waiting tasks too")
    func shortfallCappedByMaxSize() throws {
        var autoscaler = try F.autoscaler(Self.reactive(maxSize: 3))
        var scheduler = Fixtures.scheduler()
        let failures = Self.failures(Self.sized(Array(repeating: 16, count: 20)), in: &scheduler)
        #expect(F.scaleUpCount(autoscaler.evaluate(scheduler: &scheduler, failures: failures, at: .zero).actions) == 3)
    }

    @Test("tasks bigger than any group's hosts, or held back by a constraint more hosts cannot meet, ask for nothing")
    func unfixableTasksAreLeftOut() throws {
        var scheduler = Fixtures.scheduler()
        for lease in AutoscaleFixtures.hosts(3, zones: 3, cpus: 16, memoryMB: 65_536) { try scheduler.addLease(lease) }
        let unique = Fixtures.tasks(4, prefix: "u", group: "web", cpus: 1, hard: [.uniqueHostAttribute("zone")])
        let huge = Fixtures.task("huge", cpus: 64)
        let result = scheduler.schedule(unique + [huge], at: .zero)
        #expect(result.placedTasks.count == 3)
        let autoscaler = try F.autoscaler(Self.reactive(), balance: "zone")
        let estimate = autoscaler.shortfall(of: result.failures, in: scheduler, at: .zero)
        #expect(estimate.hostsNeeded.isEmpty)
        #expect(Set(estimate.unfixable.map(\.taskID)) == ["u3", "huge"])
    }

    @Test("a one-per-host job needs one new host per task, as the real constraint says")
    func uniqueHostTasksSpread() throws {
        var scheduler = Fixtures.scheduler()
        let tasks = Fixtures.tasks(5, group: "svc", cpus: 1, hard: [.uniqueHostAttribute("name")])
        let failures = Self.failures(tasks, in: &scheduler)
        let estimate = try F.autoscaler(Self.reactive()).shortfall(of: failures, in: scheduler, at: .zero)
        #expect(estimate.hostsNeeded[F.group] == 5)
    }

    @Test("a task goes to the group whose hosts fit it, or the group its constraint names")
    func tasksPickTheirGroup() throws {
        let small = Self.reactive("small", shape: HostShape(resources: Resources(cpus: 4, memoryMB: 16_384)))
        let large = Self.reactive("large", shape: Self.big)
        let autoscaler = try F.autoscaler(small, large)
        var scheduler = Fixtures.scheduler()
        let tasks = [
            Fixtures.task("fits-small", cpus: 2),
            Fixtures.task("too-big-for-small", cpus: 8),
            Fixtures.task("pinned", cpus: 1, hard: [.hostAttributeValue(attribute: "group", values: ["large"])]),
        ]
        let estimate = autoscaler.shortfall(of: Self.failures(tasks, in: &scheduler), in: scheduler, at: .zero)
        #expect(estimate.tasks["small"] == ["fits-small"])
        #expect(Set(estimate.tasks["large"] ?? []) == ["too-big-for-small", "pinned"])
        #expect(estimate.hostsNeeded == ["small": 1, "large": 1])
    }

    @Test("without a shape, new hosts are taken to look like the group's largest")
    func learnedShape() throws {
        var scheduler = Fixtures.scheduler()
        for lease in AutoscaleFixtures.hosts(2, cpus: 8, memoryMB: 32_768) { try scheduler.addLease(lease) }
        let tasks = Self.sized([8, 8, 8, 4, 4])
        let result = scheduler.schedule(tasks, at: .zero)
        #expect(result.placedTasks.count == 2)
        // The hosts offer what is left, as an offer source does, so their size is known.
        for assignment in result.assignments {
            try scheduler.addLease(
                Lease(
                    id: LeaseID("rest-\(assignment.hostname)"),
                    hostname: assignment.hostname,
                    resources: assignment.unused,
                    attributes: ["group": "small"]
                )
            )
        }
        let autoscaler = try F.autoscaler(
            AutoscaleRule(group: F.group, minIdleHosts: 0, maxIdleHosts: 0, coolDown: .seconds(60))
        )
        let estimate = autoscaler.shortfall(of: result.failures, in: scheduler, at: .zero)
        #expect(estimate.hostsNeeded[F.group] == 2)
    }

    @Test("tasks that fit hosts known now need no new host")
    func tasksThatFitNow() throws {
        var scheduler = Fixtures.scheduler()
        let failures = Self.failures(Self.sized([2, 2]), in: &scheduler)
        try scheduler.addLease(Fixtures.lease("late", cpus: 8, memoryMB: 65_536, attributes: ["group": "small"]))
        let estimate = try F.autoscaler(Self.reactive()).shortfall(of: failures, in: scheduler, at: .zero)
        #expect(estimate.hostsNeeded.isEmpty)
        #expect(Set(estimate.fitExistingHosts) == ["t0", "t1"])
    }
}
