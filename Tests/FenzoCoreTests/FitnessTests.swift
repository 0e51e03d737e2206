import Testing

@testable import FenzoCore

@Suite("Fitness calculators")
struct FitnessTests {
    /// Ten big hosts then ten small ones, each with one resource of interest sized 8 or 4.
    static func mixedFleet(kind: ResourceKind) -> [Lease] {
        (0..<20).map { index in
            let big = index < 10
            let amount: Double = big ? 8 : 4
            return Fixtures.lease(
                "\(big ? "big" : "small")\(index)",
                cpus: kind == .cpus ? amount : 64,
                memoryMB: kind == .memoryMB ? amount * 1024 : 65536,
                networkMbps: kind == .networkMbps ? amount * 100 : 100_000
            )
        }
    }

    static func unitTasks(kind: ResourceKind, count: Int) -> [TaskRequest] {
        (0..<count).map { index in
            Fixtures.task(
                "t\(index)",
                cpus: kind == .cpus ? 1 : 0.01,
                memoryMB: kind == .memoryMB ? 1024 : 1,
                networkMbps: kind == .networkMbps ? 100 : 0
            )
        }
    }

    @Test(
        "a packer fills all ten small hosts and uses one big one for 41 unit tasks",
        arguments: [
            (BinPackingFitness.cpu, ResourceKind.cpus),
            (BinPackingFitness.memory, ResourceKind.memoryMB),
            (BinPackingFitness.network, ResourceKind.networkMbps),
        ]
    )
    func packerFillsSmallHostsFirst(fitness: BinPackingFitness, kind: ResourceKind) {
        var scheduler = Fixtures.scheduler(fitness: fitness)
        let result = scheduler.schedule(
            Self.unitTasks(kind: kind, count: 41),
            newLeases: Self.mixedFleet(kind: kind),
            at: .zero
        )
        #expect(result.placedTasks.count == 41)
        let perHost = result.tasksPerHost
        for index in 10..<20 { #expect(perHost[HostName("small\(index)")] == 4) }
        let bigUsed = perHost.filter { $0.key.rawValue.hasPrefix("big") }
        #expect(bigUsed.count == 1)
        #expect(bigUsed.values.first == 1)
    }

    @Test("after a re-offer the packer prefers the host already running more")
    func packerPrefersBusierHostAfterReoffer() throws {
        var scheduler = Fixtures.scheduler(fitness: BinPackingFitness.cpu)
        let first = scheduler.schedule(
            Fixtures.tasks(2, prefix: "a", cpus: 1),
            newLeases: [Fixtures.lease("h1", id: "h1-1", cpus: 4)],
            at: .zero
        )
        #expect(first.tasksPerHost == ["h1": 2])
        let second = scheduler.schedule(
            [Fixtures.task("b0", cpus: 1)],
            newLeases: [
                Fixtures.lease("h2", id: "h2-1", cpus: 4),
                Fixtures.lease("h1", id: "h1-2", cpus: 2),
            ],
            at: .seconds(1)
        )
        #expect(second.hostOfTask["b0"] == "h1")
        let score = try #require(second.placedTasks.first?.score)
        #expect(abs(score - 0.75) < 1e-9)
    }

    @Test(
        "a spreader puts ten tasks on ten hosts, one each",
        arguments: [
            SpreadingFitness.cpu, SpreadingFitness.memory, SpreadingFitness.network, SpreadingFitness.cpuMemory,
            SpreadingFitness.cpuMemoryNetwork,
        ]
    )
    func spreaderSpreads(fitness: SpreadingFitness) {
        var scheduler = Fixtures.scheduler(fitness: fitness)
        let result = scheduler.schedule(
            Fixtures.tasks(10, cpus: 1, memoryMB: 512, networkMbps: 10),
            newLeases: (0..<10).map { Fixtures.lease("h\($0)", cpus: 8, memoryMB: 8192) },
            at: .zero
        )
        #expect(result.placedTasks.count == 10)
        #expect(result.tasksPerHost.count == 10)
        #expect(result.tasksPerHost.values.allSatisfy { $0 == 1 })
    }

    @Test("the cpu+memory packer scores the mean of cpu and memory use after placement")
    func cpuMemoryPackerScore() {
        let view = HostView(
            name: "h",
            total: Resources(cpus: 4, memoryMB: 1000),
            free: Resources(cpus: 2, memoryMB: 1000)
        )
        let task = Fixtures.task("t", cpus: 1, memoryMB: 250)
        #expect(abs(BinPackingFitness.cpuMemory.fitness(of: task, on: view) - 0.5) < 1e-12)
        #expect(abs(SpreadingFitness.cpuMemory.fitness(of: task, on: view) - 0.5) < 1e-12)
        #expect(abs(BinPackingFitness.cpu.fitness(of: task, on: view) - 0.75) < 1e-12)
    }

    @Test("alignment sends a cpu-heavy task where cpu is free and a memory-heavy one where memory is")
    func alignmentMatchesShapes() {
        var scheduler = Fixtures.scheduler(fitness: AlignmentFitness())
        let result = scheduler.schedule(
            [
                Fixtures.task("cpuHeavy", cpus: 2, memoryMB: 256),
                Fixtures.task("memHeavy", cpus: 0.25, memoryMB: 4096),
            ],
            newLeases: [
                Fixtures.lease("cpuFree", cpus: 8, memoryMB: 1024),
                Fixtures.lease("memFree", cpus: 1, memoryMB: 8192),
            ],
            at: .zero
        )
        #expect(result.hostOfTask["cpuHeavy"] == "cpuFree")
        #expect(result.hostOfTask["memHeavy"] == "memFree")
    }

    @Test("first fit takes the first host that fits, in the order hosts were first seen")
    func firstFitTakesFirstHost() {
        var scheduler = Fixtures.scheduler(fitness: FirstFitFitness())
        let result = scheduler.schedule(
            [Fixtures.task("a", cpus: 3), Fixtures.task("b", cpus: 3), Fixtures.task("c", cpus: 1)],
            newLeases: ["h0", "h1", "h2"].map { Fixtures.lease($0, cpus: 4) },
            at: .zero
        )
        #expect(result.hostOfTask == ["a": "h0", "b": "h1", "c": "h0"])
    }

    /// Scores hosts by the number at the end of their name: h9 best.
    struct NameNumberFitness: FitnessCalculator {
        var name: String { "nameNumber" }
        func fitness(of task: TaskRequest, on host: HostView) -> Double {
            Double(host.name.rawValue.dropFirst()).map { $0 / 10 } ?? 0
        }
    }

    @Test("a custom calculator picks its best host when good enough is 1")
    func customCalculatorFindsBest() {
        var scheduler = Fixtures.scheduler(fitness: NameNumberFitness())
        let result = scheduler.schedule(
            [Fixtures.task("a")],
            newLeases: (0..<10).map { Fixtures.lease("h\($0)") },
            at: .zero
        )
        #expect(result.hostOfTask["a"] == "h9")
    }

    @Test("fitnessGoodEnough stops the search at the first host scoring that much")
    func goodEnoughStopsEarly() {
        var scheduler = Fixtures.scheduler(fitness: NameNumberFitness()) { $0.fitnessGoodEnough = 0.5 }
        let result = scheduler.schedule(
            [Fixtures.task("a")],
            newLeases: (0..<10).map { Fixtures.lease("h\($0)") },
            at: .zero
        )
        #expect(result.hostOfTask["a"] == "h5")
        #expect(result.statistics.hostsEvaluated == 6)
    }

    @Test("largest-first order packs big tasks before small ones fragment the hosts")
    func largestFirstPacksTighter() {
        let tasks = Fixtures.tasks(6, prefix: "s", cpus: 1) + Fixtures.tasks(2, prefix: "b", cpus: 3)
        let leases = (0..<3).map { Fixtures.lease("h\($0)", cpus: 4) }
        var asGiven = Fixtures.scheduler(fitness: FirstFitFitness())
        let given = asGiven.schedule(tasks, newLeases: leases, at: .zero)
        var largest = Fixtures.scheduler(fitness: FirstFitFitness()) { $0.placementOrder = .largestFirst }
        let sorted = largest.schedule(tasks, newLeases: leases, at: .zero)
        #expect(given.failures.count == 1)
        #expect(sorted.failures.isEmpty)
        #expect(sorted.hostOfTask["b0"] == "h0")
        #expect(sorted.hostOfTask["b1"] == "h1")
    }
}

@Suite("Parallel exhaustive search")
struct ParallelSearchTests {
    /// A score that varies irregularly with the host and the task.
    struct HashedFitness: FitnessCalculator {
        var name: String { "hashed" }
        func fitness(of task: TaskRequest, on host: HostView) -> Double {
            var hash: UInt64 = 1_469_598_103_934_665_603
            for byte in (task.id.rawValue + "/" + host.name.rawValue).utf8 {
                hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211
            }
            return Double(hash % 10_000) / 10_000
        }
    }

    static func run(parallel: Bool, goodEnough: Double) -> [String] {
        var scheduler = Fixtures.scheduler(fitness: HashedFitness()) {
            $0.parallelScanThreshold = parallel ? 0 : .max
            $0.fitnessGoodEnough = goodEnough
        }
        let leases = (0..<3000).map { Fixtures.lease("h\($0)", cpus: Double(1 + $0 % 4), memoryMB: 4096) }
        let tasks = (0..<300).map {
            Fixtures.task(
                "t\($0)",
                group: "g\($0 % 7)",
                cpus: 1,
                hard: $0 % 3 == 0 ? [.uniqueHostAttribute("name")] : []
            )
        }
        let result = scheduler.schedule(tasks, newLeases: leases, at: .zero)
        return result.placedTasks.map { "\($0.taskID)@\($0.hostname)" }.sorted()
    }

    @Test("a parallel scan picks exactly the hosts a sequential one does", arguments: [1.0, 0.95, 0.5])
    func parallelMatchesSequential(goodEnough: Double) {
        let sequential = Self.run(parallel: false, goodEnough: goodEnough)
        #expect(sequential.count == 300)
        #expect(Self.run(parallel: true, goodEnough: goodEnough) == sequential)
    }
}
