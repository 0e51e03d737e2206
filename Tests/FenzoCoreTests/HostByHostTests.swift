import PropertyBased
import Testing

@testable import FenzoCore

@Suite("Host-by-host placement")
struct HostByHostTests {
    static func scheduler(_ order: PlacementOrder) -> TaskScheduler {
        Fixtures.scheduler { $0.placementOrder = order }
    }

    /// Half-host cpu tasks queued before memory-heavy ones: two cpu tasks fill a host's
    /// cpus and strand its memory, whereas each pairs exactly with a memory-heavy task.
    static func complementaryTasks() -> [TaskRequest] {
        Fixtures.tasks(24, prefix: "cpu", cpus: 4, memoryMB: 4096)
            + Fixtures.tasks(24, prefix: "mem", cpus: 4, memoryMB: 28672)
    }

    @Test("it pairs cpu-heavy with memory-heavy tasks, using fewer hosts than per-task best fit")
    func pairsComplementaryTasks() {
        let leases = (0..<60).map { Fixtures.lease("h\($0)", cpus: 8, memoryMB: 32768) }
        var perTask = Self.scheduler(.asGiven)
        let given = perTask.schedule(Self.complementaryTasks(), newLeases: leases, at: .zero)
        var byHost = Self.scheduler(.hostByHost)
        let filled = byHost.schedule(Self.complementaryTasks(), newLeases: leases, at: .zero)
        #expect(filled.placedTasks.count == 48)
        #expect(filled.assignments.count == 24)
        #expect(given.placedTasks.count == 48)
        #expect(given.assignments.count == 36)
    }

    @Test("an exclusive task gets the smallest empty host that fits, since it uses the whole host")
    func exclusiveTakesSmallestHost() {
        var scheduler = Self.scheduler(.hostByHost)
        let result = scheduler.schedule(
            [Fixtures.task("alone", cpus: 2, memoryMB: 1024, hard: [.exclusiveHost])]
                + Fixtures.tasks(10, cpus: 1, memoryMB: 1024),
            newLeases: [
                Fixtures.lease("big", cpus: 32, memoryMB: 131072),
                Fixtures.lease("small", cpus: 4, memoryMB: 8192),
            ],
            at: .zero
        )
        #expect(result.hostOfTask["alone"] == "small")
        #expect(result.placedTasks.count == 11)
    }

    @Test("gpu hosts are kept for the tasks that need gpus")
    func gpuHostsKeptForGpuTasks() {
        var scheduler = Self.scheduler(.hostByHost)
        let result = scheduler.schedule(
            Fixtures.tasks(8, prefix: "plain", cpus: 4, memoryMB: 8192)
                + (0..<4).map { Fixtures.task("train\($0)", cpus: 4, memoryMB: 8192, scalars: ["gpu": 1]) },
            newLeases: [
                Fixtures.lease("gpu-host", cpus: 16, memoryMB: 65536, scalars: ["gpu": 4]),
                Fixtures.lease("cpu-a", cpus: 16, memoryMB: 65536),
                Fixtures.lease("cpu-b", cpus: 16, memoryMB: 65536),
            ],
            at: .zero
        )
        #expect(result.placedTasks.count == 12)
        #expect((0..<4).allSatisfy { result.hostOfTask[TaskID("train\($0)")] == "gpu-host" })
    }

    @Test("on a fleet too small for the queue, earlier tasks are placed before later ones")
    func queuePrefixKeepsPriority() {
        var scheduler = Self.scheduler(.hostByHost)
        let early = Fixtures.tasks(8, prefix: "early", cpus: 1, memoryMB: 1024)
        let late = Fixtures.tasks(8, prefix: "late", cpus: 4, memoryMB: 4096)
        let result = scheduler.schedule(
            early + late,
            newLeases: (0..<2).map { Fixtures.lease("h\($0)", cpus: 8, memoryMB: 8192) },
            at: .zero
        )
        #expect(early.allSatisfy { result.placedIDs.contains($0.id) })
        #expect(result.placedTasks.count == 10)
    }

    @Test("host by host, random workloads still hold every hard constraint and capacity")
    func randomWorkloadsHoldInvariants() async {
        await propertyCheck(
            count: 100,
            input: Gen<UInt64>.value(in: 0...UInt64.max),
            Gen.int(in: 1...25),
            Gen.int(in: 1...120)
        ) { seed, hostCount, taskCount in
            PlacementPropertyTests.checkRandomWorkload(
                seed: seed,
                hostCount: hostCount,
                taskCount: taskCount,
                order: .hostByHost
            )
        }
    }
}
