import Testing

@testable import FenzoCore

@Suite("Fitting tasks to one host's resources")
struct ResourceFittingTests {
    @Test("a 4-cpu host takes tasks of 1, 2 and 1 cpu on one lease")
    func cpusThatAddUpFit() {
        var scheduler = Fixtures.scheduler()
        let result = scheduler.schedule(
            [
                Fixtures.task("a", cpus: 1), Fixtures.task("b", cpus: 2), Fixtures.task("c", cpus: 1),
            ],
            newLeases: [Fixtures.lease("h1", cpus: 4, memoryMB: 100, ports: [1...10])],
            at: .zero
        )
        #expect(result.placedIDs == ["a", "b", "c"])
        #expect(result.assignments.count == 1)
        #expect(result.assignments[0].leases.count == 1)
    }

    @Test("tasks of 2, 2 and 1 cpu on 4 cpus place two and fail the third on cpu")
    func thirdTaskFailsOnCpu() throws {
        var scheduler = Fixtures.scheduler()
        let result = scheduler.schedule(
            [Fixtures.task("a", cpus: 2), Fixtures.task("b", cpus: 2), Fixtures.task("c", cpus: 1)],
            newLeases: [Fixtures.lease("h1", cpus: 4, memoryMB: 100, ports: [1...10])],
            at: .zero
        )
        #expect(result.placedIDs == ["a", "b"])
        let failure = try #require(result.failures.first)
        #expect(failure.taskID == "c")
        #expect(failure.reasons == [.insufficientResource(.cpus, needed: 1, mostFree: 0)])
        #expect(failure.reasons[0].description == "cpus: needs 1 cpus, the most free on any host is 0 cpus")
        #expect(failure.isResourceShortfall)
    }

    struct OneKindCase: Sendable, CustomTestStringConvertible {
        var name: String
        var kind: ResourceKind?
        var task: @Sendable (String) -> TaskRequest
        var expectedPlaced: Int
        var testDescription: String { name }
    }

    @Test(
        "three tasks on one host place only as many as its capacity allows",
        arguments: [
            OneKindCase(
                name: "95 MB tasks on 100 MB",
                kind: .memoryMB,
                task: { Fixtures.task($0, cpus: 0.1, memoryMB: 95) },
                expectedPlaced: 1
            ),
            OneKindCase(
                name: "6-port tasks on 10 ports",
                kind: nil,
                task: { Fixtures.task($0, cpus: 0.1, ports: 6) },
                expectedPlaced: 1
            ),
            OneKindCase(
                name: "512 Mbps tasks on 1024",
                kind: .networkMbps,
                task: { Fixtures.task($0, cpus: 0.1, networkMbps: 512) },
                expectedPlaced: 2
            ),
            OneKindCase(
                name: "800 MB disk tasks on 1000",
                kind: .diskMB,
                task: { Fixtures.task($0, cpus: 0.1, diskMB: 800) },
                expectedPlaced: 1
            ),
        ]
    )
    func capacityOfOneKind(_ scenario: OneKindCase) throws {
        var scheduler = Fixtures.scheduler()
        let result = scheduler.schedule(
            ["a", "b", "c"].map(scenario.task),
            newLeases: [
                Fixtures.lease("h1", cpus: 4, memoryMB: 100, diskMB: 1000, networkMbps: 1024, ports: [1...10])
            ],
            at: .zero
        )
        #expect(result.placedTasks.count == scenario.expectedPlaced)
        #expect(result.failures.count == 3 - scenario.expectedPlaced)
        let reason = try #require(result.failures.first?.reasons.first)
        if let kind = scenario.kind {
            guard case .insufficientResource(let failedKind, _, _) = reason else {
                Issue.record("expected a shortage of \(kind), got \(reason)")
                return
            }
            #expect(failedKind == kind)
        } else {
            #expect(reason == .insufficientPorts(needed: 6, mostFree: 4))
        }
    }

    @Test("a task wanting 6 ports from ranges 1-4 and 5-10 gets six concrete ports")
    func portsFromTwoRanges() throws {
        var scheduler = Fixtures.scheduler()
        let result = scheduler.schedule(
            [Fixtures.task("a", ports: 6)],
            newLeases: [Fixtures.lease("h1", ports: [1...4, 5...10])],
            at: .zero
        )
        let placed = try #require(result.placedTasks.first)
        #expect(placed.ports == [1, 2, 3, 4, 5, 6])
        #expect(result.assignments[0].unusedPorts.ranges == [7...10])
    }

    @Test("ports are never handed out twice across iterations on one host")
    func portsNotReused() throws {
        var scheduler = Fixtures.scheduler()
        let first = scheduler.schedule(
            [Fixtures.task("a", ports: 2)],
            newLeases: [Fixtures.lease("h1", id: "l1", ports: [100...103])],
            at: .zero
        )
        let leftover = first.assignments[0].unusedPorts
        let second = scheduler.schedule(
            [Fixtures.task("b", ports: 2)],
            newLeases: [Fixtures.lease("h1", id: "l2", ports: leftover.ranges)],
            at: .seconds(1)
        )
        #expect(first.placedTasks[0].ports == [100, 101])
        #expect(second.placedTasks[0].ports == [102, 103])
    }

    @Test("two leases of one host add up: four 40 MB tasks on 20 + 60 MB place two")
    func leasesOfOneHostMerge() {
        var scheduler = Fixtures.scheduler()
        let result = scheduler.schedule(
            Fixtures.tasks(4, cpus: 0.1, memoryMB: 40),
            newLeases: [
                Fixtures.lease("h1", id: "l1", cpus: 2, memoryMB: 20),
                Fixtures.lease("h1", id: "l2", cpus: 2, memoryMB: 60),
            ],
            at: .zero
        )
        #expect(result.placedTasks.count == 2)
        #expect(result.assignments.count == 1)
        #expect(Set(result.assignments[0].leases.map(\.id)) == ["l1", "l2"])
    }

    @Test("a host with 4 gpus takes four 1-gpu tasks and fails the fifth on gpu")
    func namedScalarResource() throws {
        var scheduler = Fixtures.scheduler()
        let tasks = (0..<5).map { Fixtures.task("g\($0)", cpus: 0.1, scalars: ["gpu": 1]) }
        let result = scheduler.schedule(
            tasks,
            newLeases: [Fixtures.lease("h1", cpus: 8, scalars: ["gpu": 4])],
            at: .zero
        )
        #expect(result.placedTasks.count == 4)
        let failure = try #require(result.failures.first)
        #expect(failure.reasons == [.insufficientScalar(name: "gpu", needed: 1, mostFree: 0)])
    }

    @Test("a task asking for a scalar no host offers fails on that scalar")
    func unknownScalar() throws {
        var scheduler = Fixtures.scheduler()
        let result = scheduler.schedule(
            [Fixtures.task("f", scalars: ["fpga": 1])],
            newLeases: [Fixtures.lease("h1")],
            at: .zero
        )
        #expect(result.failures.first?.reasons == [.insufficientScalar(name: "fpga", needed: 1, mostFree: 0)])
    }

    @Test("network-interface sets: security groups sg1, sg2, sg1, sg2 use exactly two interfaces")
    func resourceSetsShareByLabel() {
        var scheduler = Fixtures.scheduler()
        let eni = ResourceSetDefinition(name: "eni", sets: 3, slotsPerSet: 4)
        let tasks = ["sg1", "sg2", "sg1", "sg2"].enumerated().map { index, group in
            Fixtures.task("n\(index)", cpus: 0.1, resourceSets: [ResourceSetAsk(name: "eni", label: group)])
        }
        let result = scheduler.schedule(tasks, newLeases: [Fixtures.lease("h1", resourceSets: [eni])], at: .zero)
        #expect(result.placedTasks.count == 4)
        let sets = result.placedTasks.flatMap(\.resourceSets)
        #expect(Set(sets.map(\.index)).count == 2)
        for label in ["sg1", "sg2"] {
            #expect(Set(sets.filter { $0.label == label }.map(\.index)).count == 1)
        }
    }

    @Test("a fourth security group finds no free interface when three are taken")
    func resourceSetsRunOut() throws {
        var scheduler = Fixtures.scheduler()
        let eni = ResourceSetDefinition(name: "eni", sets: 3, slotsPerSet: 4)
        let tasks = ["sg1", "sg2", "sg3", "sg4"].enumerated().map { index, group in
            Fixtures.task("n\(index)", cpus: 0.1, resourceSets: [ResourceSetAsk(name: "eni", label: group)])
        }
        let result = scheduler.schedule(tasks, newLeases: [Fixtures.lease("h1", resourceSets: [eni])], at: .zero)
        #expect(result.placedTasks.count == 3)
        let failure = try #require(result.failures.first)
        #expect(failure.reasons == [.insufficientResourceSet(name: "eni", label: "sg4", slots: 1)])
    }

    @Test("a set's slots run out: a fifth sg1 task on a one-set host with four slots fails")
    func resourceSetSlotsRunOut() {
        var scheduler = Fixtures.scheduler()
        let eni = ResourceSetDefinition(name: "eni", sets: 1, slotsPerSet: 4)
        let tasks = (0..<5).map {
            Fixtures.task("n\($0)", cpus: 0.1, resourceSets: [ResourceSetAsk(name: "eni", label: "sg1")])
        }
        let result = scheduler.schedule(tasks, newLeases: [Fixtures.lease("h1", resourceSets: [eni])], at: .zero)
        #expect(result.placedTasks.count == 4)
        #expect(result.failures.count == 1)
    }
}
