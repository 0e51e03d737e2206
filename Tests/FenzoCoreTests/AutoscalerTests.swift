import Testing

@testable import FenzoCore

/// Fleets and autoscalers for the autoscaling scenarios.
enum AutoscaleFixtures {
    static let group: HostGroup = "small"

    /// Fenzo's scenario rule: keep 5 to 10 idle hosts, cool down for a minute.
    static func rule(
        minIdle: Int = 5,
        maxIdle: Int = 10,
        coolDown: Duration = .seconds(60),
        minSize: Int = 0,
        maxSize: Int = .max,
        shape: HostShape? = HostShape(resources: Resources(cpus: 4, memoryMB: 40_000))
    ) -> AutoscaleRule {
        AutoscaleRule(
            group: group,
            minIdleHosts: minIdle,
            maxIdleHosts: maxIdle,
            coolDown: coolDown,
            minSize: minSize,
            maxSize: maxSize,
            minimumIdleHostSize: Resources(cpus: 2, memoryMB: 20_000),
            hostShape: shape
        )
    }

    static func autoscaler(_ rules: AutoscaleRule..., balance: String? = nil) throws -> Autoscaler {
        try Autoscaler(
            configuration: AutoscalerConfiguration(groupAttribute: "group", balanceAttribute: balance, rules: rules)
        )
    }

    /// Hosts of the group with 4 cpus and 40 GB, `zones` zones in turn.
    static func hosts(
        _ count: Int,
        from first: Int = 0,
        group: String = "small",
        zones: Int = 1,
        cpus: Double = 4,
        memoryMB: Double = 40_000,
        at offeredAt: Instant = .zero
    ) -> [Lease] {
        (first..<(first + count)).map {
            Fixtures.lease(
                "host\($0)",
                cpus: cpus,
                memoryMB: memoryMB,
                attributes: ["group": group, "zone": "\($0 % zones)"],
                at: offeredAt
            )
        }
    }

    static func scaleUpCount(_ actions: [ScalingAction]) -> Int? {
        for case .scaleUp(_, let count, _) in actions { return count }
        return nil
    }

    static func scaleDownHosts(_ actions: [ScalingAction]) -> [HostName]? {
        for case .scaleDown(_, let hosts, _) in actions { return hosts }
        return nil
    }
}

@Suite("Autoscaling rules")
struct AutoscalerTests {
    typealias F = AutoscaleFixtures

    @Test("with no hosts at all, a rule of 5 to 10 idle hosts asks for 10")
    func emptyFleetAsksForMaxIdle() throws {
        var autoscaler = try F.autoscaler(F.rule())
        var scheduler = Fixtures.scheduler()
        let decision = autoscaler.evaluate(scheduler: &scheduler, failures: [], at: .zero)
        #expect(
            decision.actions == [.scaleUp(group: F.group, count: 10, reason: .idleBelowMinimum(idle: 0, minimum: 5))]
        )
    }

    @Test("13 hosts of which one runs tasks give back 2 idle ones")
    func excessIdleHostsScaleDown() throws {
        var autoscaler = try F.autoscaler(F.rule())
        var scheduler = Fixtures.scheduler()
        let result = scheduler.schedule(Fixtures.tasks(4, cpus: 1, memoryMB: 1000), newLeases: F.hosts(13), at: .zero)
        #expect(result.tasksPerHost.count == 1)
        let busy = try #require(result.assignments.first?.hostname)
        let decision = autoscaler.evaluate(scheduler: &scheduler, failures: [], at: .seconds(1))
        let removed = try #require(F.scaleDownHosts(decision.actions))
        #expect(removed.count == 2)
        #expect(!removed.contains(busy))
        #expect(decision.actions.first?.reason == .idleAboveMaximum(idle: 12, maximum: 10))
        #expect(decision.groups.first?.size == 11)
        #expect(decision.groups.first?.idle == 10)
    }

    @Test("with zones balanced, scale-down leaves 4 idle hosts in each of 3 zones")
    func zoneBalancedScaleDown() throws {
        // 18 hosts over zones 0, 1, 2; tasks pinned to zone 1 fill two of its hosts, so
        // zones 0 and 2 have 6 idle hosts and zone 1 has 4: 16 idle against a maximum of 12.
        var autoscaler = try F.autoscaler(F.rule(minIdle: 3, maxIdle: 12), balance: "zone")
        var scheduler = Fixtures.scheduler(fitness: BinPackingFitness.cpu)
        let pinned = Fixtures.tasks(
            8,
            cpus: 1,
            memoryMB: 10_000,
            hard: [.hostAttributeValue(attribute: "zone", values: ["1"])]
        )
        let result = scheduler.schedule(pinned, newLeases: F.hosts(18, zones: 3), at: .zero)
        #expect(result.tasksPerHost.count == 2)
        let decision = autoscaler.evaluate(scheduler: &scheduler, failures: [], at: .seconds(1))
        let removed = Set(try #require(F.scaleDownHosts(decision.actions)))
        #expect(removed.count == 4)
        var idlePerZone: [String: Int] = [:]
        for view in scheduler.hostViews where view.taskCount == 0 && !removed.contains(view.name) {
            idlePerZone[view.attributes["zone"] ?? "?", default: 0] += 1
        }
        #expect(idlePerZone == ["0": 4, "1": 4, "2": 4])
    }

    @Test("hosts picked for removal take no new tasks, even when they offer again")
    func drainedHostsTakeNoTasks() throws {
        var autoscaler = try F.autoscaler(F.rule())
        var scheduler = Fixtures.scheduler()
        _ = scheduler.schedule(
            Fixtures.tasks(4, prefix: "a", cpus: 1, memoryMB: 1000),
            newLeases: F.hosts(13),
            at: .zero
        )
        let decision = autoscaler.evaluate(scheduler: &scheduler, failures: [], at: .seconds(1))
        let removed = try #require(F.scaleDownHosts(decision.actions))
        let reoffers = removed.map { Fixtures.lease($0.rawValue, id: "again-\($0)", cpus: 4, memoryMB: 40_000) }
        let tasks = Fixtures.tasks(12 * 4, prefix: "b", cpus: 1, memoryMB: 1000)
        let result = scheduler.schedule(tasks, newLeases: reoffers, at: .seconds(2))
        #expect(result.placedTasks.count == 10 * 4)
        #expect(Set(result.placedTasks.map(\.hostname)).isDisjoint(with: removed))
        #expect(autoscaler.drainingHosts[F.group]?.count == 2)
    }

    @Test("removal waits a cool-down after the last scale-down")
    func scaleDownCoolDown() throws {
        var autoscaler = try F.autoscaler(F.rule(coolDown: .seconds(60)))
        var scheduler = Fixtures.scheduler()
        let placed = scheduler.schedule(Fixtures.tasks(4, cpus: 1, memoryMB: 1000), newLeases: F.hosts(13), at: .zero)
        let first = autoscaler.evaluate(scheduler: &scheduler, failures: [], at: .seconds(1))
        #expect(F.scaleDownHosts(first.actions)?.count == 2)
        // The busy host empties and offers again: 11 idle, one too many.
        let busy = try #require(placed.assignments.first)
        for task in busy.tasks { try scheduler.removeRunningTask(task.taskID) }
        try scheduler.addLease(
            Fixtures.lease(
                busy.hostname.rawValue,
                id: "back",
                cpus: 4,
                memoryMB: 40_000,
                attributes: ["group": "small"]
            )
        )
        let early = autoscaler.evaluate(scheduler: &scheduler, failures: [], at: .seconds(30))
        #expect(early.actions.isEmpty)
        #expect(early.groups.first?.idle == 11)
        let later = autoscaler.evaluate(scheduler: &scheduler, failures: [], at: .seconds(62))
        #expect(F.scaleDownHosts(later.actions)?.count == 1)
    }

    @Test("idle top-up waits a cool-down after the last scale-up, and arrived hosts stop counting as coming")
    func scaleUpCoolDown() throws {
        var autoscaler = try F.autoscaler(F.rule(coolDown: .seconds(60)))
        var scheduler = Fixtures.scheduler()
        let first = autoscaler.evaluate(scheduler: &scheduler, failures: [], at: .zero)
        #expect(F.scaleUpCount(first.actions) == 10)
        // The ten hosts arrive and tasks fill seven of them: 3 idle, below the minimum.
        let result = scheduler.schedule(
            Fixtures.tasks(28, cpus: 1, memoryMB: 1000),
            newLeases: F.hosts(10, at: .seconds(10)),
            at: .seconds(10)
        )
        #expect(result.tasksPerHost.count == 7)
        let early = autoscaler.evaluate(scheduler: &scheduler, failures: [], at: .seconds(20))
        #expect(early.actions.isEmpty)
        #expect(early.groups.first?.coming == 0)
        #expect(early.groups.first?.idle == 3)
        let later = autoscaler.evaluate(scheduler: &scheduler, failures: [], at: .seconds(61))
        #expect(later.actions == [.scaleUp(group: F.group, count: 7, reason: .idleBelowMinimum(idle: 3, minimum: 5))])
    }

    @Test("a maximum size caps growth and a minimum size caps removal")
    func sizeBoundsCapBothWays() throws {
        var capped = try F.autoscaler(F.rule(maxSize: 8))
        var empty = Fixtures.scheduler()
        #expect(F.scaleUpCount(capped.evaluate(scheduler: &empty, failures: [], at: .zero).actions) == 8)

        var floored = try F.autoscaler(F.rule(minSize: 12))
        var scheduler = Fixtures.scheduler()
        _ = scheduler.schedule(Fixtures.tasks(4, cpus: 1, memoryMB: 1000), newLeases: F.hosts(13), at: .zero)
        let decision = floored.evaluate(scheduler: &scheduler, failures: [], at: .seconds(1))
        #expect(F.scaleDownHosts(decision.actions)?.count == 1)
    }

    @Test("a group below its minimum size grows to it, and one above its maximum gives back idle hosts")
    func sizeBoundsAreTargets() throws {
        var small = try F.autoscaler(F.rule(minIdle: 0, maxIdle: 0, minSize: 3))
        var one = Fixtures.scheduler()
        _ = one.schedule(Fixtures.tasks(4, cpus: 1, memoryMB: 1000), newLeases: F.hosts(1), at: .zero)
        let grow = small.evaluate(scheduler: &one, failures: [], at: .seconds(1))
        #expect(grow.actions == [.scaleUp(group: F.group, count: 2, reason: .belowMinimumSize(size: 1, minimum: 3))])

        var large = try F.autoscaler(F.rule(minIdle: 0, maxIdle: 10, maxSize: 4))
        var six = Fixtures.scheduler()
        _ = six.schedule(Fixtures.tasks(4, cpus: 1, memoryMB: 1000), newLeases: F.hosts(6), at: .zero)
        let shrink = large.evaluate(scheduler: &six, failures: [], at: .seconds(1))
        #expect(F.scaleDownHosts(shrink.actions)?.count == 2)
        #expect(shrink.actions.first?.reason == .aboveMaximumSize(size: 6, maximum: 4))
    }

    @Test("a host that joined less than a cool-down ago is not removed")
    func youngHostsStay() throws {
        var autoscaler = try F.autoscaler(F.rule(minIdle: 0, maxIdle: 0, coolDown: .seconds(60)))
        var scheduler = Fixtures.scheduler()
        _ = autoscaler.evaluate(scheduler: &scheduler, failures: [], at: .zero)
        try scheduler.addLease(F.hosts(1, at: .seconds(5))[0])
        let young = autoscaler.evaluate(scheduler: &scheduler, failures: [], at: .seconds(10))
        #expect(young.actions.isEmpty)
        let old = autoscaler.evaluate(scheduler: &scheduler, failures: [], at: .seconds(70))
        #expect(F.scaleDownHosts(old.actions) == ["host0"])
    }

    @Test("hosts of another group, or without a rule, are left alone")
    func otherGroupsLeftAlone() throws {
        var autoscaler = try F.autoscaler(F.rule())
        var scheduler = Fixtures.scheduler()
        for lease in F.hosts(13, group: "big", cpus: 8, memoryMB: 800) { try scheduler.addLease(lease) }
        let decision = autoscaler.evaluate(scheduler: &scheduler, failures: [], at: .zero)
        #expect(
            decision.actions == [.scaleUp(group: F.group, count: 10, reason: .idleBelowMinimum(idle: 0, minimum: 5))]
        )
    }

    @Test("hosts offering less than the minimum idle size do not count as idle")
    func tooSmallHostsAreNotIdle() throws {
        var autoscaler = try F.autoscaler(F.rule())
        var scheduler = Fixtures.scheduler()
        for lease in F.hosts(6, cpus: 1) { try scheduler.addLease(lease) }
        let decision = autoscaler.evaluate(scheduler: &scheduler, failures: [], at: .zero)
        #expect(decision.groups.first?.idle == 0)
        #expect(decision.groups.first?.size == 6)
        #expect(F.scaleUpCount(decision.actions) == 10)
    }

    @Test("a forecast grows the group to the busy hosts it predicts plus the minimum idle, and holds removal there")
    func forecastSetsAFloor() throws {
        var autoscaler = try F.autoscaler(F.rule())
        var scheduler = Fixtures.scheduler()
        for lease in F.hosts(12) { try scheduler.addLease(lease) }
        let up = autoscaler.evaluate(scheduler: &scheduler, failures: [], forecast: [F.group: 20], at: .zero)
        #expect(up.actions == [.scaleUp(group: F.group, count: 13, reason: .forecast(busyHosts: 20))])

        var other = try F.autoscaler(F.rule())
        var fleet = Fixtures.scheduler()
        for lease in F.hosts(20) { try fleet.addLease(lease) }
        let down = other.evaluate(scheduler: &fleet, failures: [], forecast: [F.group: 12], at: .zero)
        #expect(F.scaleDownHosts(down.actions)?.count == 3)
    }

    @Test("a refused scale-up stops counting as coming and a refused scale-down enables its hosts again")
    func refusedActionsAreTakenBack() throws {
        var autoscaler = try F.autoscaler(F.rule(coolDown: .seconds(60)))
        var scheduler = Fixtures.scheduler()
        let up = autoscaler.evaluate(scheduler: &scheduler, failures: [], at: .zero)
        let upAction = try #require(up.actions.first)
        autoscaler.record(ScalingOutcome(action: upAction, error: TestProviderError()), scheduler: &scheduler)
        let blocked = autoscaler.evaluate(scheduler: &scheduler, failures: [], at: .seconds(1))
        #expect(blocked.actions.isEmpty)
        #expect(blocked.groups.first?.coming == 0)
        let retried = autoscaler.evaluate(scheduler: &scheduler, failures: [], at: .seconds(61))
        #expect(F.scaleUpCount(retried.actions) == 10)

        var shrinking = try F.autoscaler(F.rule())
        var fleet = Fixtures.scheduler()
        for lease in F.hosts(13) { try fleet.addLease(lease) }
        let down = shrinking.evaluate(scheduler: &fleet, failures: [], at: .zero)
        let removed = try #require(F.scaleDownHosts(down.actions))
        #expect(removed.allSatisfy { fleet.disabledUntil($0) != nil })
        shrinking.record(
            ScalingOutcome(action: try #require(down.actions.first), error: TestProviderError()),
            scheduler: &fleet
        )
        #expect(removed.allSatisfy { fleet.disabledUntil($0) == nil })
        #expect(shrinking.drainingHosts.isEmpty)
    }

    @Test("a host removed from the scheduler leaves its group and the host views")
    func removedHostsLeaveTheGroup() throws {
        var autoscaler = try F.autoscaler(F.rule())
        var scheduler = Fixtures.scheduler()
        for lease in F.hosts(13) { try scheduler.addLease(lease) }
        let down = autoscaler.evaluate(scheduler: &scheduler, failures: [], at: .zero)
        let removed = try #require(F.scaleDownHosts(down.actions))
        for host in removed { try scheduler.removeHost(host) }
        #expect(scheduler.hostViews.count == 10)
        #expect(scheduler.host(removed[0]) == nil)
        let after = autoscaler.evaluate(scheduler: &scheduler, failures: [], at: .seconds(120))
        #expect(after.actions.isEmpty)
        #expect(after.groups.first?.draining == 0)
        #expect(after.groups.first?.size == 10)
    }

    @Test("removing a host hands back the tasks recorded there, and a host of the same name later starts afresh")
    func removeHostReturnsItsTasks() throws {
        var scheduler = Fixtures.scheduler()
        let result = scheduler.schedule(Fixtures.tasks(3, cpus: 1, memoryMB: 1000), newLeases: F.hosts(1), at: .zero)
        #expect(result.placedTasks.count == 3)
        #expect(scheduler.runningTasks(on: "host0").map(\.request.id) == ["t0", "t1", "t2"])
        let removed = try scheduler.removeHost("host0")
        #expect(removed.tasks.map(\.request.id) == ["t0", "t1", "t2"])
        #expect(scheduler.runningTaskCount == 0)
        #expect(scheduler.runningTasks(on: "host0").isEmpty)
        #expect(throws: SchedulingError.self) { try scheduler.removeHost("host0") }
        try scheduler.addLease(Fixtures.lease("host0", id: "fresh", cpus: 4, memoryMB: 40_000))
        #expect(scheduler.hostViews.map(\.taskCount) == [0])
        #expect(scheduler.host("host0")?.free.cpus == 4)
    }

    @Test("invalid rules are refused with every problem named")
    func invalidConfiguration() {
        let bad = AutoscalerConfiguration(
            groupAttribute: "",
            rules: [F.rule(minIdle: 5, maxIdle: 2), F.rule(minSize: 4, maxSize: 2)]
        )
        #expect(throws: AutoscalerError.self) { try Autoscaler(configuration: bad) }
        let problems = bad.problems()
        #expect(problems.contains { $0.contains("groupAttribute is empty") })
        #expect(problems.contains { $0.contains("maxIdleHosts (2) is below minIdleHosts (5)") })
        #expect(problems.contains { $0.contains("maxSize (2) is below minSize (4)") })
        #expect(problems.contains { $0.contains("group small has more than one rule") })
    }
}

struct TestProviderError: Error {}
