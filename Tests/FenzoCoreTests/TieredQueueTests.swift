import FenzoCore
import Testing

/// A seeded generator, so randomized scenarios are the same on every run.
struct SplitMix: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Builders for queue scenarios.
enum QueueFixtures {
    static func queued(
        _ id: String,
        tier: Int = 0,
        group: CapacityGroupName = "default",
        cpus: Double = 1,
        memoryMB: Double = 0,
        readyAt: Instant? = nil,
        hostGroup: String? = nil,
        hard: [PlacementConstraint] = []
    ) -> QueuedTask {
        QueuedTask(
            Fixtures.task(id, group: group.rawValue, cpus: cpus, memoryMB: memoryMB, hard: hard),
            tier: tier,
            capacityGroup: group,
            readyAt: readyAt,
            hostGroup: hostGroup
        )
    }

    /// `count` hosts `h0`, `h1`, ... with the given size and attributes.
    static func hosts(
        _ count: Int,
        prefix: String = "h",
        cpus: Double = 4,
        memoryMB: Double = 16_384,
        attributes: [String: String] = [:]
    ) -> [Lease] {
        (0..<count).map {
            Fixtures.lease("\(prefix)\($0)", cpus: cpus, memoryMB: memoryMB, attributes: attributes)
        }
    }

    static func queue(
        tiers: [TierConfiguration] = [TierConfiguration(), TierConfiguration()],
        hostGroups: HostGroupPolicy = HostGroupPolicy()
    ) throws -> TieredTaskQueue {
        try TieredTaskQueue(configuration: TaskQueueConfiguration(tiers: tiers, hostGroups: hostGroups))
    }
}

extension QueueIterationResult {
    func placed(in group: CapacityGroupName) -> Int {
        placements.count { $0.capacityGroup == group }
    }
}

@Suite("Tiered queue: tiers and fair shares")
struct TieredQueueFairShareTests {
    @Test("buckets using 15, 6 and 11 units get the next slots second, second, third, first")
    func nextSlotsGoToTheLeastUsedBucket() throws {
        // Shares are measured against a tier of 100 cpus; each slot is 5 cpus. After the
        // first slot the second and third buckets both use 11: equal shares go by name.
        var queue = try QueueFixtures.queue(tiers: [TierConfiguration(capacity: Resources(cpus: 100))])
        try queue.recordRunning(QueueFixtures.queued("a-running", group: "A", cpus: 15))
        try queue.recordRunning(QueueFixtures.queued("b-running", group: "B", cpus: 6))
        try queue.recordRunning(QueueFixtures.queued("c-running", group: "C", cpus: 11))
        // Submitted round robin, third bucket first: the order of submission does not matter.
        for index in 0..<4 {
            for group in ["C", "A", "B"] {
                try queue.enqueue(
                    QueueFixtures.queued("\(group)\(index)", group: CapacityGroupName(group), cpus: 5),
                    at: .zero
                )
            }
        }
        var scheduler = Fixtures.scheduler()
        let result = queue.schedule(on: &scheduler, newLeases: QueueFixtures.hosts(4, cpus: 5), at: .zero)

        #expect(result.placements.map(\.capacityGroup) == ["B", "B", "C", "A"])
        #expect(queue.usage(of: "A", inTier: 0).cpus == 20)
        #expect(queue.usage(of: "B", inTier: 0).cpus == 16)
        #expect(queue.usage(of: "C", inTier: 0).cpus == 16)
    }

    @Test("buckets weighted 1 : 2 : 1 that all want more than the 40 slots get 10, 20 and 10")
    func weightedBucketsShareInProportion() throws {
        let weights: [CapacityGroupName: CapacityGroupPolicy] = [
            "A": CapacityGroupPolicy(weight: 1), "B": CapacityGroupPolicy(weight: 2),
            "C": CapacityGroupPolicy(weight: 1),
        ]
        var queue = try QueueFixtures.queue(tiers: [TierConfiguration(capacityGroups: weights)])
        for group in ["A", "B", "C"] {
            for index in 0..<25 {
                try queue.enqueue(
                    QueueFixtures.queued("\(group)\(index)", group: CapacityGroupName(group), memoryMB: 100),
                    at: .zero
                )
            }
        }
        var scheduler = Fixtures.scheduler()
        let result = queue.schedule(on: &scheduler, newLeases: QueueFixtures.hosts(10, cpus: 4), at: .zero)

        #expect(result.placements.count == 40)
        #expect(result.placed(in: "A") == 10)
        #expect(result.placed(in: "B") == 20)
        #expect(result.placed(in: "C") == 10)
        #expect(queue.count == 35)
    }

    @Test("running tasks count toward shares: with 5 and 3 running, weights 1 : 2 : 1 on 32 slots give 5, 20 and 7")
    func runningTasksCountTowardShares() throws {
        let weights: [CapacityGroupName: CapacityGroupPolicy] = [
            "A": CapacityGroupPolicy(weight: 1), "B": CapacityGroupPolicy(weight: 2),
            "C": CapacityGroupPolicy(weight: 1),
        ]
        // The tier is the 40 cpus the running tasks and the new hosts make together.
        var queue = try QueueFixtures.queue(tiers: [
            TierConfiguration(capacity: Resources(cpus: 40), capacityGroups: weights)
        ])
        for index in 0..<5 { try queue.recordRunning(QueueFixtures.queued("A-run\(index)", group: "A")) }
        for index in 0..<3 { try queue.recordRunning(QueueFixtures.queued("C-run\(index)", group: "C")) }
        for group in ["A", "B", "C"] {
            for index in 0..<25 {
                try queue.enqueue(QueueFixtures.queued("\(group)\(index)", group: CapacityGroupName(group)), at: .zero)
            }
        }
        var scheduler = Fixtures.scheduler()
        let result = queue.schedule(on: &scheduler, newLeases: QueueFixtures.hosts(8, cpus: 4), at: .zero)

        #expect(result.placed(in: "A") == 5)
        #expect(result.placed(in: "B") == 20)
        #expect(result.placed(in: "C") == 7)
    }

    @Test("two capacity groups that both want the whole fleet each get half, within one task")
    func twoGroupsWantingEverythingShareWithinOneTask() throws {
        var queue = TieredTaskQueue()
        for index in 0..<60 {
            try queue.enqueue(QueueFixtures.queued("small\(index)", group: "small", cpus: 1, memoryMB: 1024), at: .zero)
            try queue.enqueue(QueueFixtures.queued("large\(index)", group: "large", cpus: 2, memoryMB: 1024), at: .zero)
        }
        var scheduler = Fixtures.scheduler()
        let result = queue.schedule(on: &scheduler, newLeases: QueueFixtures.hosts(10, cpus: 4), at: .zero)

        let small = queue.usage(of: "small", inTier: 0).cpus
        let large = queue.usage(of: "large", inTier: 0).cpus
        #expect(small + large == 40, "the fleet is full")
        #expect(abs(small - large) <= 2, "small uses \(small) cpus, large \(large): more than one task apart")
        #expect(result.placements.count == Int(small) + Int(large) / 2)
    }

    @Test("equal shares go to the capacity group whose name sorts first")
    func equalSharesGoByName() throws {
        var queue = TieredTaskQueue()
        try queue.enqueue(QueueFixtures.queued("z1", group: "zeta"), at: .zero)
        try queue.enqueue(QueueFixtures.queued("a1", group: "alpha"), at: .seconds(1))
        var scheduler = Fixtures.scheduler()
        let result = queue.schedule(on: &scheduler, newLeases: QueueFixtures.hosts(1, cpus: 1), at: .seconds(2))

        #expect(result.placements.map(\.taskID) == ["a1"])
    }

    @Test("a group below its guarantee goes before a group at its guarantee, whatever the weights")
    func belowGuaranteeGoesFirst() throws {
        let groups: [CapacityGroupName: CapacityGroupPolicy] = [
            "guaranteed": CapacityGroupPolicy(weight: 1, guarantee: Resources(cpus: 6)),
            "heavy": CapacityGroupPolicy(weight: 100),
        ]
        var queue = try QueueFixtures.queue(tiers: [TierConfiguration(capacityGroups: groups)])
        for index in 0..<10 {
            try queue.enqueue(QueueFixtures.queued("g\(index)", group: "guaranteed"), at: .zero)
            try queue.enqueue(QueueFixtures.queued("h\(index)", group: "heavy"), at: .zero)
        }
        var scheduler = Fixtures.scheduler()
        let result = queue.schedule(on: &scheduler, newLeases: QueueFixtures.hosts(2, cpus: 4), at: .zero)

        // The first 6 slots fill the guarantee; then weight 100 against 1 wins the rest.
        #expect(result.placements.prefix(6).allSatisfy { $0.capacityGroup == "guaranteed" })
        #expect(result.placed(in: "guaranteed") == 6)
        #expect(result.placed(in: "heavy") == 2)
    }

    @Test("every ready task of tier 0 is tried before any of tier 1")
    func tierZeroIsTriedFirst() throws {
        var queue = TieredTaskQueue()
        for index in 0..<20 {
            let tier = index % 3 == 0 ? 0 : 1
            try queue.enqueue(
                QueueFixtures.queued("t\(index)", tier: tier, group: CapacityGroupName("g\(index % 4)"), cpus: 8),
                at: .zero
            )
        }
        var scheduler = Fixtures.scheduler()
        // Nothing fits on the 4-cpu hosts, so every task is tried and fails, in the order tried.
        let result = queue.schedule(on: &scheduler, newLeases: QueueFixtures.hosts(3), at: .zero)

        let tiersTried = result.scheduling.failures.map { queue.queuedTask($0.taskID)?.tier }
        #expect(tiersTried.count == 20)
        #expect(tiersTried == tiersTried.sorted { ($0 ?? -1) < ($1 ?? -1) })
        #expect(tiersTried.first == 0)
        #expect(tiersTried.last == 1)
    }

    @Test("critical tasks take a full fleet ahead of flex tasks submitted before them")
    func criticalBeforeFlex() throws {
        var queue = TieredTaskQueue()
        for index in 0..<20 {
            try queue.enqueue(QueueFixtures.queued("batch\(index)", tier: 1, group: "batch", cpus: 4), at: .zero)
        }
        for index in 0..<10 {
            try queue.enqueue(QueueFixtures.queued("service\(index)", tier: 0, group: "web", cpus: 4), at: .seconds(5))
        }
        var scheduler = Fixtures.scheduler()
        let result = queue.schedule(on: &scheduler, newLeases: QueueFixtures.hosts(10, cpus: 4), at: .seconds(6))

        #expect(result.placements.count == 10)
        #expect(result.placements.allSatisfy { $0.tier == 0 })
        #expect(queue.count(inTier: 1) == 20)
        #expect(queue.count(inTier: 0) == 0)
        guard case .notPlaced(let reasons) = queue.pendingReason(for: "batch0", at: .seconds(6)) else {
            Issue.record("batch0 should have been tried and not placed")
            return
        }
        #expect(reasons.allSatisfy { $0.isResourceShortage })
    }

    @Test("a task with a ready-at time in the future waits until then")
    func readyAtInTheFutureWaits() throws {
        var queue = TieredTaskQueue()
        try queue.enqueue(QueueFixtures.queued("later", readyAt: .seconds(10)), at: .zero)
        try queue.enqueue(QueueFixtures.queued("now"), at: .zero)
        var scheduler = Fixtures.scheduler()

        let early = queue.schedule(on: &scheduler, newLeases: QueueFixtures.hosts(2), at: .seconds(5))
        #expect(early.placements.map(\.taskID) == ["now"])
        #expect(early.scheduling.failures.isEmpty, "a task not ready is not tried")
        #expect(queue.pendingReason(for: "later", at: .seconds(5)) == .notReady(until: .seconds(10)))

        let due = queue.schedule(on: &scheduler, at: .seconds(10))
        #expect(due.placements.map(\.taskID) == ["later"])
        #expect(due.placements.first?.waited == .zero, "the wait counts from the ready-at time")
    }

    @Test("tasks of a bucket go in the order they became ready, then of submission")
    func bucketOrderIsReadyThenSubmission() throws {
        var queue = TieredTaskQueue()
        try queue.enqueue(QueueFixtures.queued("first", readyAt: .seconds(3)), at: .zero)
        try queue.enqueue(QueueFixtures.queued("second"), at: .seconds(1))
        try queue.enqueue(QueueFixtures.queued("third"), at: .seconds(2))
        try queue.setReadyAt(nil, for: "first")
        var scheduler = Fixtures.scheduler()
        let result = queue.schedule(on: &scheduler, newLeases: QueueFixtures.hosts(1, cpus: 2), at: .seconds(4))

        #expect(result.placements.map(\.taskID) == ["first", "second"])
    }
}

@Suite("Tiered queue: caps, host groups and upkeep")
struct TieredQueuePolicyTests {
    @Test("a capped bucket stops at its cap, waits with that reason, and goes on when its tasks end")
    func cappedBucketStopsAtItsCap() throws {
        let tier = TierConfiguration(capacityGroups: ["batch": CapacityGroupPolicy(cap: Resources(cpus: 5))])
        var queue = try QueueFixtures.queue(tiers: [tier])
        for index in 0..<10 { try queue.enqueue(QueueFixtures.queued("b\(index)", group: "batch"), at: .zero) }
        var scheduler = Fixtures.scheduler()

        let first = queue.schedule(on: &scheduler, newLeases: QueueFixtures.hosts(20, cpus: 1), at: .zero)
        #expect(first.placements.count == 5)
        let held = first.scheduling.failures
        #expect(held.count == 5)
        #expect(held.allSatisfy { !$0.isResourceShortfall }, "a cap is not a reason to add hosts")
        let reason = FailureReason.capacityGroupAtCap("batch", .cpus, cap: 5, used: 5, needed: 1)
        #expect(held.allSatisfy { $0.reasons == [reason] })
        #expect(reason.description == "capacity group batch is at its cap of 5 cpus (5 in use, the task needs 1)")
        #expect(queue.pendingReason(for: "b9", at: .zero) == .notPlaced([reason]))

        let second = queue.schedule(on: &scheduler, at: .seconds(1))
        #expect(second.placements.isEmpty)

        for placement in first.placements.prefix(2) {
            queue.taskEnded(placement.taskID)
            try scheduler.removeRunningTask(placement.taskID)
        }
        let third = queue.schedule(on: &scheduler, at: .seconds(2))
        #expect(third.placements.count == 2)
        #expect(queue.usage(of: "batch", inTier: 0).cpus == 5)
    }

    @Test("reserved hosts take only their capacity groups' tasks, even when the rest of the fleet is full")
    func reservedHostsTakeOnlyTheirWork() throws {
        let policy = HostGroupPolicy(
            attribute: "group",
            activeGroups: ["general", "gpu"],
            reservations: ["gpu": ["ml"]]
        )
        var queue = try QueueFixtures.queue(hostGroups: policy)
        for index in 0..<10 { try queue.enqueue(QueueFixtures.queued("web\(index)", group: "web", cpus: 4), at: .zero) }
        try queue.enqueue(QueueFixtures.queued("web-pinned", group: "web", cpus: 4, hostGroup: "gpu"), at: .zero)
        // Flex, so they come after web has filled the general hosts.
        for index in 0..<2 {
            try queue.enqueue(QueueFixtures.queued("ml\(index)", tier: 1, group: "ml", cpus: 4), at: .zero)
        }
        let leases =
            QueueFixtures.hosts(3, prefix: "general", attributes: ["group": "general"])
            + QueueFixtures.hosts(3, prefix: "gpu", attributes: ["group": "gpu"])
            + QueueFixtures.hosts(3, prefix: "retired", attributes: ["group": "retired"])
        var scheduler = Fixtures.scheduler()
        let result = queue.schedule(on: &scheduler, newLeases: leases, at: .zero)

        let hostOf = result.scheduling.hostOfTask
        let webHosts = hostOf.filter { $0.key.rawValue.hasPrefix("web") }.values
        #expect(webHosts.count == 3)
        #expect(webHosts.allSatisfy { $0.rawValue.hasPrefix("general") }, "web ran on \(webHosts.sorted())")
        #expect(hostOf["ml0"].map { $0.rawValue.hasPrefix("gpu") } == true)
        #expect(hostOf["ml1"].map { $0.rawValue.hasPrefix("gpu") } == true)
        #expect(!hostOf.values.contains { $0.rawValue.hasPrefix("retired") }, "an inactive group takes no tasks")

        guard case .notPlaced(let pinnedReasons) = queue.pendingReason(for: "web-pinned", at: .zero) else {
            Issue.record("the pinned task should wait with a reason")
            return
        }
        #expect(
            pinnedReasons.map(\.description) == [
                "constraint hostGroup(group=gpu): host group gpu is reserved for capacity groups ml"
            ]
        )
        guard case .notPlaced(let webReasons) = queue.pendingReason(for: "web9", at: .zero) else {
            Issue.record("web9 should have been tried and not placed")
            return
        }
        #expect(webReasons.contains { $0.description.contains("hostAttrValue(group in general)") }, "\(webReasons)")
    }

    @Test("pinned tasks go only to their host group, and not to an inactive one")
    func pinnedTasksGoToTheirGroup() throws {
        var queue = try QueueFixtures.queue(hostGroups: HostGroupPolicy(activeGroups: ["a", "b"]))
        try queue.enqueue(QueueFixtures.queued("to-b", hostGroup: "b"), at: .zero)
        try queue.enqueue(QueueFixtures.queued("to-c", hostGroup: "c"), at: .zero)
        let leases = [
            Fixtures.lease("host-a", attributes: ["group": "a"]), Fixtures.lease("host-b", attributes: ["group": "b"]),
            Fixtures.lease("host-c", attributes: ["group": "c"]),
        ]
        var scheduler = Fixtures.scheduler()
        let result = queue.schedule(on: &scheduler, newLeases: leases, at: .zero)

        #expect(result.scheduling.hostOfTask["to-b"] == "host-b")
        #expect(
            queue.pendingReason(for: "to-c", at: .zero)
                == .notPlaced([
                    .constraint(
                        name: "hostGroup(group=c)",
                        hostsRejected: 0,
                        detail: "host group c is not active (active groups: a, b)"
                    )
                ])
        )
    }

    @Test("pending reasons: waiting for an iteration, not ready, not placed and why; none once placed")
    func pendingReasonsAreRight() throws {
        var queue = TieredTaskQueue()
        try queue.enqueue(QueueFixtures.queued("fits", cpus: 2), at: .zero)
        try queue.enqueue(QueueFixtures.queued("too-big", cpus: 16), at: .zero)
        try queue.enqueue(QueueFixtures.queued("later", readyAt: .seconds(60)), at: .zero)
        #expect(queue.pendingReason(for: "fits", at: .zero) == .awaitingIteration)
        #expect(queue.pendingReason(for: "unknown", at: .zero) == nil)

        var scheduler = Fixtures.scheduler()
        _ = queue.schedule(on: &scheduler, newLeases: QueueFixtures.hosts(1), at: .seconds(1))

        #expect(queue.pendingReason(for: "fits", at: .seconds(1)) == nil)
        #expect(queue.isRunning("fits"))
        #expect(
            queue.pendingReason(for: "too-big", at: .seconds(1))
                == .notPlaced([.insufficientResource(.cpus, needed: 16, mostFree: 2)])
        )
        #expect(queue.pendingReason(for: "later", at: .seconds(1)) == .notReady(until: .seconds(60)))
        #expect(
            PendingReason.notPlaced([.insufficientResource(.cpus, needed: 16, mostFree: 2)]).description
                == "not placed in the last iteration: cpus: needs 16 cpus, the most free on any host is 2 cpus"
        )
    }

    @Test("an abandoned iteration places nothing and keeps every task queued")
    func abandonedIterationKeepsTasksQueued() throws {
        struct Throwing: CustomConstraint {
            struct Failure: Error {}
            var name: String { "throwing" }
            func evaluate(_ task: TaskRequest, on host: HostView) throws -> ConstraintVerdict { throw Failure() }
        }
        var queue = TieredTaskQueue()
        try queue.enqueue(QueueFixtures.queued("plain"), at: .zero)
        try queue.enqueue(QueueFixtures.queued("custom", hard: [.custom(Throwing())]), at: .zero)
        var scheduler = Fixtures.scheduler()
        let result = queue.schedule(on: &scheduler, newLeases: QueueFixtures.hosts(2), at: .zero)

        #expect(result.scheduling.error != nil)
        #expect(result.placements.isEmpty)
        #expect(queue.count == 2)
        #expect(queue.runningCount == 0)
        #expect(queue.usage(of: "default", inTier: 0) == .zero)
        guard case .notPlaced(let reasons) = queue.pendingReason(for: "plain", at: .zero),
            case .iterationAbandoned = reasons.first
        else {
            Issue.record("plain should wait because the iteration was abandoned")
            return
        }
    }

    @Test("enqueue refuses duplicates, unknown tiers and invalid requests with messages that say what to do")
    func enqueueRefusesBadTasks() throws {
        var queue = TieredTaskQueue()
        try queue.enqueue(QueueFixtures.queued("a"), at: .zero)
        #expect(throws: TaskQueueError.self) { try queue.enqueue(QueueFixtures.queued("a"), at: .zero) }
        do {
            try queue.enqueue(QueueFixtures.queued("b", tier: 2), at: .zero)
            Issue.record("tier 2 should be refused")
        } catch {
            #expect(
                error.message
                    == "task b names tier 2, but the queue has tiers 0...1; use one of those or add a TierConfiguration"
            )
        }
        do {
            try queue.enqueue(QueueFixtures.queued("c", cpus: -1), at: .zero)
            Issue.record("negative cpus should be refused")
        } catch {
            #expect(error.message == "task c cannot be queued: cpus is negative (-1.0)")
        }
        #expect(queue.count == 1)
    }

    @Test("configurations with problems are refused, each problem named")
    func badConfigurationsAreRefused() {
        let configuration = TaskQueueConfiguration(
            tiers: [TierConfiguration(capacityGroups: ["x": CapacityGroupPolicy(weight: 0)])],
            hostGroups: HostGroupPolicy(reservations: ["gpu": ["ml"]])
        )
        #expect(
            configuration.problems() == [
                "tier 0: capacity group x: weight must be a finite number above 0 (got 0.0)",
                "host groups: reservations need activeGroups; list the groups that take tasks, reserved ones included",
            ]
        )
        #expect(throws: TaskQueueError.self) { try TieredTaskQueue(configuration: configuration) }
    }

    @Test("remove, move and ready-at changes keep the queue consistent")
    func removeMoveAndReadyAt() throws {
        var queue = TieredTaskQueue()
        for index in 0..<100 {
            try queue.enqueue(QueueFixtures.queued("t\(index)", tier: 1, group: "batch"), at: .zero)
        }
        for index in stride(from: 0, to: 100, by: 2) { #expect(queue.remove(TaskID("t\(index)")) != nil) }
        #expect(queue.remove("t0") == nil)
        try queue.move("t99", toTier: 0, capacityGroup: "urgent")
        try queue.setReadyAt(.seconds(100), for: "t1")
        #expect(throws: TaskQueueError.self) { try queue.move("t0", toTier: 0, capacityGroup: "x") }
        #expect(queue.count == 50)
        #expect(queue.count(inTier: 0) == 1)

        var scheduler = Fixtures.scheduler()
        let result = queue.schedule(on: &scheduler, newLeases: QueueFixtures.hosts(1, cpus: 3), at: .seconds(1))
        #expect(result.placements.map(\.taskID) == ["t99", "t3", "t5"])
        #expect(queue.count == 47)
        #expect(queue.queuedTask("t1")?.readyAt == .seconds(100))
    }

    @Test("after random removals and ready-at changes a bucket still hands out tasks by ready time, then submission")
    func randomChangesKeepTheOrder() throws {
        var random = SplitMix(seed: 11)
        var queue = TieredTaskQueue()
        // The model: each task's place in line, (ready-at or submission, submission number).
        var model: [TaskID: (eligible: Double, sequence: Int)] = [:]
        for index in 0..<2_000 {
            let submitted = Double(index / 10)
            let readyAt = random.next() % 4 == 0 ? Double(random.next() % 400) : nil
            let id = TaskID("t\(index)")
            try queue.enqueue(
                QueueFixtures.queued(id.rawValue, readyAt: readyAt.map { .seconds($0) }),
                at: .seconds(submitted)
            )
            model[id] = (max(submitted, readyAt ?? submitted), index)
        }
        for _ in 0..<1_500 {
            let id = TaskID("t\(random.next() % 2_000)")
            switch random.next() % 3 {
            case 0:
                #expect((queue.remove(id) != nil) == (model.removeValue(forKey: id) != nil))
            default:
                guard let known = model[id] else { continue }
                let readyAt = Double(random.next() % 400)
                try queue.setReadyAt(.seconds(readyAt), for: id)
                model[id] = (max(Double(known.sequence / 10), readyAt), known.sequence)
            }
        }
        #expect(queue.count == model.count)
        var scheduler = Fixtures.scheduler()
        let result = queue.schedule(
            on: &scheduler,
            newLeases: [Fixtures.lease("big", cpus: 10_000)],
            at: .seconds(1_000)
        )
        let expected = model.sorted {
            $0.value.eligible != $1.value.eligible
                ? $0.value.eligible < $1.value.eligible : $0.value.sequence < $1.value.sequence
        }.map(\.key)
        #expect(result.placements.map(\.taskID) == expected)
    }

    @Test("over many iterations of random changes, each iteration places the first ready tasks in line")
    func manyIterationsFollowTheModel() throws {
        var random = SplitMix(seed: 29)
        var queue = TieredTaskQueue()
        var scheduler = Fixtures.scheduler()
        var model: [TaskID: (eligible: Double, sequence: Int)] = [:]
        var running: [TaskID] = []
        var submitted = 0
        for iteration in 0..<40 {
            let now = Double(iteration * 10)
            for _ in 0..<400 {
                switch random.next() % 8 {
                case 0, 1, 2:
                    let readyAt = random.next() % 3 == 0 ? now + Double(random.next() % 200) : nil
                    let id = TaskID("t\(submitted)")
                    try queue.enqueue(
                        QueueFixtures.queued(id.rawValue, readyAt: readyAt.map { .seconds($0) }),
                        at: .seconds(now)
                    )
                    model[id] = (max(now, readyAt ?? now), submitted)
                    submitted += 1
                case 3, 4:
                    let id = TaskID("t\(random.next() % UInt64(max(submitted, 1)))")
                    #expect((queue.remove(id) != nil) == (model.removeValue(forKey: id) != nil))
                case 5:
                    let id = TaskID("t\(random.next() % UInt64(max(submitted, 1)))")
                    guard let known = model[id] else { continue }
                    let readyAt = now + Double(random.next() % 100)
                    try queue.setReadyAt(.seconds(readyAt), for: id)
                    model[id] = (readyAt, known.sequence)
                default:
                    guard !running.isEmpty else { continue }
                    let id = running.remove(at: Int(random.next() % UInt64(running.count)))
                    let ended = queue.taskEnded(id)
                    #expect(ended)
                    try scheduler.removeRunningTask(id)
                }
            }
            let capacity = 25
            let result = queue.schedule(
                on: &scheduler,
                newLeases: [Fixtures.lease("host\(iteration)", cpus: Double(capacity))],
                at: .seconds(now)
            )
            let expected = model.filter { $0.value.eligible <= now }.sorted {
                $0.value.eligible != $1.value.eligible
                    ? $0.value.eligible < $1.value.eligible : $0.value.sequence < $1.value.sequence
            }.prefix(capacity).map(\.key)
            #expect(result.placements.map(\.taskID) == expected, "iteration \(iteration)")
            for id in expected { model[id] = nil }
            running += expected
            #expect(queue.count == model.count)
            #expect(queue.runningCount == running.count)
        }
    }

    @Test("removing most of a large bucket between iterations keeps the rest, in order")
    func removingMostOfABucket() throws {
        var queue = TieredTaskQueue()
        for index in 0..<5_000 { try queue.enqueue(QueueFixtures.queued("t\(index)"), at: .seconds(Double(index))) }
        for index in 0..<5_000 where index % 5 != 0 { queue.remove(TaskID("t\(index)")) }
        #expect(queue.count == 1_000)
        var scheduler = Fixtures.scheduler()
        let result = queue.schedule(
            on: &scheduler,
            newLeases: [Fixtures.lease("big", cpus: 1_000)],
            at: .seconds(5_000)
        )
        #expect(result.placements.map(\.taskID) == (0..<1_000).map { TaskID("t\($0 * 5)") })
        #expect(queue.count == 0)
    }

    @Test("shrinking the tiers is refused while the dropped tier holds tasks")
    func droppingAUsedTierIsRefused() throws {
        var queue = TieredTaskQueue()
        try queue.enqueue(QueueFixtures.queued("flex", tier: 1), at: .zero)
        #expect(throws: TaskQueueError.self) {
            try queue.setConfiguration(TaskQueueConfiguration(tiers: [TierConfiguration()]))
        }
        queue.remove("flex")
        try queue.setConfiguration(TaskQueueConfiguration(tiers: [TierConfiguration()]))
        #expect(queue.configuration.tiers.count == 1)
    }
}
