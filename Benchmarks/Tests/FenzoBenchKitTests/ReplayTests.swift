import FenzoBenchKit
import FenzoCore
import Testing

@Suite("Replay through FenzoCore")
struct ReplayTests {
    @Test("every strategy gives a valid result on every shape", arguments: WorkloadShape.allCases)
    func everyStrategyValid(shape: WorkloadShape) throws {
        let workload = WorkloadGenerator(shape: shape, hosts: 40, tasks: 160, seed: 11).generate()
        let replay = try WorkloadReplay(workload: workload)
        let validator = ResultValidator(workload: workload)
        for strategy in PackingStrategy.all + PackingStrategy.all.map(\.withoutSoftConstraints) {
            let run = replay.run(strategy)
            let report = validator.validate(run.result)
            #expect(report.isValid, "\(strategy.name) on \(shape): \(report.errors.prefix(3))")
            #expect(report.placed + report.failed == 160)
            #expect(run.result.strategy == strategy.name)
            #expect(run.result.failures.allSatisfy { !$0.reasons.isEmpty })
        }
    }

    @Test("a task that does not fit waits, is retried, and starts when another ends")
    func waitsForCapacity() throws {
        let workload = Workload(
            name: "wait",
            hosts: [WorkloadHost(name: "only", cpus: 4, memoryMB: 4096)],
            tasks: [
                WorkloadTask(id: "first", cpus: 4, memoryMB: 1024, submitAt: 0, durationS: 10),
                WorkloadTask(id: "second", cpus: 4, memoryMB: 1024, submitAt: 1, durationS: 5),
                WorkloadTask(id: "huge", cpus: 8, memoryMB: 1024, submitAt: 2),
            ]
        )
        let run = try WorkloadReplay(workload: workload, interval: 1).run(PackingStrategy.named("default"))
        let at = Dictionary(uniqueKeysWithValues: run.result.assignments.map { ($0.task, $0.at ?? -1) })
        #expect(at["first"] == 0)
        #expect(at["second"] == 10)
        #expect(run.result.failures.map(\.task) == ["huge"])
        #expect(run.result.failures.first?.reasons.first?.contains("cpus") == true)
        #expect(ResultValidator(workload: workload).validate(run.result).isValid)
    }

    @Test("iterations follow the interval grid")
    func interval() throws {
        let workload = Workload(
            name: "grid",
            hosts: [WorkloadHost(name: "only", cpus: 4, memoryMB: 4096)],
            tasks: [
                WorkloadTask(id: "a", cpus: 4, memoryMB: 1, submitAt: 0, durationS: 3),
                WorkloadTask(id: "b", cpus: 4, memoryMB: 1, submitAt: 0.5),
            ]
        )
        let run = try WorkloadReplay(workload: workload, interval: 2).run(PackingStrategy.named("firstFit"))
        let at = Dictionary(uniqueKeysWithValues: run.result.assignments.map { ($0.task, $0.at ?? -1) })
        #expect(at["b"] == 4)
        #expect(throws: BenchError.self) { try WorkloadReplay(workload: workload, interval: 0) }
    }

    @Test("a batch is one iteration with the whole fleet offered")
    func batchOneIteration() throws {
        let workload = WorkloadGenerator(shape: .batch, hosts: 50, tasks: 150, seed: 2).generate()
        let run = try WorkloadReplay(workload: workload).run(PackingStrategy.named("default"))
        #expect(run.result.stats.iterations == 1)
        #expect(run.result.assignments.allSatisfy { $0.at == 0 })
    }

    @Test("strategy names: default is the recommended one, -noSoft drops soft constraints, unknown names fail")
    func names() throws {
        #expect(try PackingStrategy.named("default").configuration.placementOrder == .hostByHost)
        #expect(try !PackingStrategy.named("spread-noSoft").usesSoftConstraints)
        #expect(throws: BenchError.self) { try PackingStrategy.named("bogus") }
        #expect(PackingStrategy.names.contains("alignment"))
    }
}
