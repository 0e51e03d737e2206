import Testing

@testable import FenzoCore

@Suite("Hard and soft constraints")
struct ConstraintTests {
    static func zonedHosts(_ count: Int, zones: Int = 3, cpus: Double = 8) -> [Lease] {
        (0..<count).map { Fixtures.lease("h\($0)", cpus: cpus, attributes: ["zone": "zone-\($0 % zones)"]) }
    }

    static func zone(of host: HostName?) -> String? {
        host.flatMap { Int($0.rawValue.dropFirst()) }.map { "zone-\($0 % 3)" }
    }

    @Test("unique zone puts three tasks on three hosts in three zones")
    func uniqueZoneHard() {
        var scheduler = Fixtures.scheduler()
        let tasks = Fixtures.tasks(3, group: "web", hard: [.uniqueHostAttribute("zone")])
        let result = scheduler.schedule(tasks, newLeases: Self.zonedHosts(6), at: .zero)
        #expect(result.placedTasks.count == 3)
        let zones = Set(result.placedTasks.map { Self.zone(of: $0.hostname) })
        #expect(zones.count == 3)
    }

    @Test("a fourth unique-zone task fails, saying every zone already holds one of its job")
    func uniqueZoneExhausted() throws {
        var scheduler = Fixtures.scheduler()
        let tasks = Fixtures.tasks(4, group: "web", hard: [.uniqueHostAttribute("zone")])
        let result = scheduler.schedule(tasks, newLeases: Self.zonedHosts(6), at: .zero)
        #expect(result.placedTasks.count == 3)
        let failure = try #require(result.failures.first)
        #expect(
            failure.reasons.map(\.description) == [
                "constraint uniqueHostAttr(zone): every zone with room already holds a task of job web"
            ]
        )
        #expect(!failure.isResourceShortfall)
    }

    @Test("unique zone as a soft constraint with only two hosts still places all three tasks")
    func uniqueZoneSoft() {
        var scheduler = Fixtures.scheduler()
        let tasks = Fixtures.tasks(3, group: "web", soft: [.uniqueHostAttribute("zone")])
        let result = scheduler.schedule(tasks, newLeases: Self.zonedHosts(2), at: .zero)
        #expect(result.placedTasks.count == 3)
        #expect(result.tasksPerHost.count == 2)
    }

    @Test("unique host spreads a job one task per host")
    func uniqueHost() {
        var scheduler = Fixtures.scheduler()
        let tasks = Fixtures.tasks(5, group: "svc", hard: [.uniqueHostAttribute("name")])
        let result = scheduler.schedule(tasks, newLeases: Self.zonedHosts(5), at: .zero)
        #expect(result.tasksPerHost.count == 5)
    }

    @Test(
        "balanced zones, hard or soft, end six tasks at two per zone",
        arguments: [true, false]
    )
    func balancedZones(hard: Bool) {
        var scheduler = Fixtures.scheduler()
        let constraint = PlacementConstraint.balancedHostAttribute("zone")
        let tasks = Fixtures.tasks(6, group: "web", hard: hard ? [constraint] : [], soft: hard ? [] : [constraint])
        let result = scheduler.schedule(tasks, newLeases: Self.zonedHosts(9, cpus: 16), at: .zero)
        #expect(result.placedTasks.count == 6)
        var perZone: [String: Int] = [:]
        for task in result.placedTasks { perZone[Self.zone(of: task.hostname) ?? "?", default: 0] += 1 }
        #expect(perZone == ["zone-0": 2, "zone-1": 2, "zone-2": 2])
    }

    @Test("balanced zones count tasks already running")
    func balancedCountsRunningTasks() throws {
        var scheduler = Fixtures.scheduler()
        let constraint = PlacementConstraint.balancedHostAttribute("zone")
        _ = scheduler.schedule([], newLeases: Self.zonedHosts(3, cpus: 16), at: .zero)
        try scheduler.addRunningTask(
            RunningTask(request: Fixtures.task("old", group: "web", hard: [constraint]), hostname: "h0")
        )
        let result = scheduler.schedule(
            Fixtures.tasks(2, group: "web", hard: [constraint]),
            at: .seconds(1)
        )
        let zones = Set(result.placedTasks.map { Self.zone(of: $0.hostname) })
        #expect(zones == ["zone-1", "zone-2"])
    }

    @Test("an exclusive task avoids a used host, and nothing lands beside it")
    func exclusiveHost() throws {
        var scheduler = Fixtures.scheduler()
        _ = scheduler.schedule([], newLeases: [Fixtures.lease("busy"), Fixtures.lease("empty")], at: .zero)
        try scheduler.addRunningTask(RunningTask(request: Fixtures.task("running", cpus: 1), hostname: "busy"))
        let result = scheduler.schedule(
            [
                Fixtures.task("alone", cpus: 1, hard: [.exclusiveHost]),
                Fixtures.task("other", cpus: 1),
            ],
            at: .seconds(1)
        )
        #expect(result.hostOfTask["alone"] == "empty")
        #expect(result.hostOfTask["other"] == "busy")
        let host = try #require(scheduler.host("empty"))
        #expect(host.taskCount == 1)
    }

    @Test("nothing joins a host running an exclusive task, and the reason says so")
    func exclusiveKeepsOthersOut() throws {
        var scheduler = Fixtures.scheduler()
        let first = scheduler.schedule(
            [Fixtures.task("alone", cpus: 1, hard: [.exclusiveHost])],
            newLeases: [Fixtures.lease("h1", id: "l1", cpus: 8)],
            at: .zero
        )
        #expect(first.placedTasks.count == 1)
        let second = scheduler.schedule(
            [Fixtures.task("other", cpus: 1)],
            newLeases: [Fixtures.lease("h1", id: "l2", cpus: 7)],
            at: .seconds(1)
        )
        let failure = try #require(second.failures.first)
        #expect(
            failure.reasons.map(\.description) == [
                "constraint exclusiveHost: 1 of 1 host(s) with room run a task that must be alone"
            ]
        )
    }

    @Test("hostname pinning through the attribute-value constraint")
    func hostnamePinning() {
        var scheduler = Fixtures.scheduler()
        let result = scheduler.schedule(
            [
                Fixtures.task("pinned", hard: [.hostAttributeValue(attribute: "name", values: ["h3"])]),
                Fixtures.task("listed", hard: [.hostname(["h4"])]),
            ],
            newLeases: Self.zonedHosts(6),
            at: .zero
        )
        #expect(result.hostOfTask == ["pinned": "h3", "listed": "h4"])
    }

    @Test("host attribute value keeps a task to the listed values")
    func attributeValue() {
        var scheduler = Fixtures.scheduler()
        let tasks = Fixtures.tasks(4, hard: [.hostAttributeValue(attribute: "zone", values: ["zone-1"])])
        let result = scheduler.schedule(tasks, newLeases: Self.zonedHosts(6), at: .zero)
        #expect(result.placedTasks.count == 4)
        #expect(result.placedTasks.allSatisfy { Self.zone(of: $0.hostname) == "zone-1" })
    }

    @Test("a soft attribute value prefers the listed values but takes others when they are full")
    func softAttributeValue() {
        var scheduler = Fixtures.scheduler()
        let tasks = Fixtures.tasks(3, cpus: 8, soft: [.hostAttributeValue(attribute: "zone", values: ["zone-1"])])
        let result = scheduler.schedule(tasks, newLeases: Self.zonedHosts(6), at: .zero)
        #expect(result.placedTasks.count == 3)
        let inZone = result.placedTasks.filter { Self.zone(of: $0.hostname) == "zone-1" }
        #expect(inZone.count == 2)
    }

    @Test("a constraint on an attribute no host has fails with that reason")
    func attributeNoHostHas() throws {
        var scheduler = Fixtures.scheduler()
        let result = scheduler.schedule(
            [Fixtures.task("t", hard: [.hostAttributeValue(attribute: "rack", values: ["r1"])])],
            newLeases: Self.zonedHosts(3),
            at: .zero
        )
        let failure = try #require(result.failures.first)
        #expect(
            failure.reasons.map(\.description) == ["constraint hostAttrValue(rack in r1): no host has attribute rack"]
        )
    }

    /// Rejects hosts whose name ends in an odd digit.
    struct EvenHostsOnly: CustomConstraint {
        var name: String { "evenHostsOnly" }
        func evaluate(_ task: TaskRequest, on host: HostView) throws -> ConstraintVerdict {
            let digit = host.name.rawValue.last.flatMap { Int(String($0)) } ?? 0
            return digit % 2 == 0 ? .accept : .reject("host \(host.name) is odd")
        }
    }

    @Test("a custom hard constraint filters hosts and explains its rejections")
    func customConstraint() throws {
        var scheduler = Fixtures.scheduler()
        let result = scheduler.schedule(
            Fixtures.tasks(3, cpus: 8, hard: [.custom(EvenHostsOnly())]),
            newLeases: Self.zonedHosts(4),
            at: .zero
        )
        #expect(Set(result.placedTasks.map(\.hostname)) == ["h0", "h2"])
        let failure = try #require(result.failures.first)
        #expect(
            failure.reasons.contains { $0.description.contains("evenHostsOnly") && $0.description.contains("is odd") }
        )
    }

    struct Exploding: CustomConstraint, Error {
        var name: String { "exploding" }
        func evaluate(_ task: TaskRequest, on host: HostView) throws -> ConstraintVerdict { throw self }
    }

    @Test("a custom constraint that throws: the iteration reports it, assigns nothing, and the scheduler stays usable")
    func throwingConstraint() throws {
        var scheduler = Fixtures.scheduler()
        let leases = Self.zonedHosts(3)
        let result = scheduler.schedule(
            [
                Fixtures.task("before", cpus: 1),
                Fixtures.task("boom", cpus: 1, hard: [.custom(Exploding())]),
                Fixtures.task("after", cpus: 1),
            ],
            newLeases: leases,
            at: .zero
        )
        let error = try #require(result.error)
        #expect(error.message.contains("exploding"))
        #expect(result.assignments.isEmpty)
        #expect(result.failures.map(\.taskID) == ["before", "boom"])
        #expect(scheduler.runningTaskCount == 0)
        #expect(scheduler.hostViews.allSatisfy { $0.used == .zero && $0.free.cpus == 8 })

        let retry = scheduler.schedule(
            [Fixtures.task("before", cpus: 1), Fixtures.task("after", cpus: 1)],
            at: .seconds(1)
        )
        #expect(retry.error == nil)
        #expect(retry.placedTasks.count == 2)
    }
}

@Suite("Reasons for attribute constraints")
struct AttributeReasonTests {
    @Test("a task pinned to hosts too small for it hears what the matching hosts have")
    func pinnedToSmallHosts() throws {
        var scheduler = Fixtures.scheduler()
        let result = scheduler.schedule(
            [
                Fixtures.task(
                    "big",
                    cpus: 2,
                    memoryMB: 100_000,
                    hard: [.hostAttributeValue(attribute: "type", values: ["small"])]
                )
            ],
            newLeases: [
                Fixtures.lease("s1", cpus: 4, memoryMB: 8192, attributes: ["type": "small"]),
                Fixtures.lease("b1", cpus: 16, memoryMB: 262_144, attributes: ["type": "large"]),
            ],
            at: .zero
        )
        let reasons = try #require(result.failures.first?.reasons.map(\.description))
        #expect(
            reasons == [
                "constraint hostAttrValue(type in small): every host with room has type outside small; "
                    + "the matching hosts have at most 4 cpus and 8192 MB free (the task needs 2 cpus and 100000 MB)"
            ]
        )
    }
}
