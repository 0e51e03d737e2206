import FenzoBenchKit
import Testing

@Suite("Workload generator")
struct WorkloadGeneratorTests {
    @Test("the same seed gives the same workload, another seed another one")
    func deterministic() {
        let first = WorkloadGenerator(shape: .churn, hosts: 50, tasks: 300, seed: 7).generate()
        let again = WorkloadGenerator(shape: .churn, hosts: 50, tasks: 300, seed: 7).generate()
        let other = WorkloadGenerator(shape: .churn, hosts: 50, tasks: 300, seed: 8).generate()
        #expect(first.tasks == again.tasks)
        #expect(first.hosts == again.hosts)
        #expect(first.tasks != other.tasks)
    }

    @Test(
        "every shape makes exactly the hosts and tasks asked, named as gen.py names them",
        arguments: WorkloadShape.allCases
    )
    func counts(shape: WorkloadShape) {
        let workload = WorkloadGenerator(shape: shape, hosts: 30, tasks: 123, seed: 1).generate()
        #expect(workload.name == "\(shape.rawValue)-30x123-s1")
        #expect(workload.hosts.count == 30)
        #expect(workload.tasks.count == 123)
        #expect(workload.hosts.first?.name == "h-00000")
        #expect(Set(workload.tasks.map(\.id)).count == 123)
        #expect(workload.problems().isEmpty)
    }

    @Test("batch is one uniform fleet of m5.4xlarge with every task at time 0")
    func batch() {
        let workload = WorkloadGenerator(shape: .batch, hosts: 60, tasks: 2000, seed: 3).generate()
        #expect(Set(workload.hosts.map { $0.attributes["instanceType"] }) == ["m5.4xlarge"])
        #expect(!workload.isTimed)
        #expect(workload.tasks.allSatisfy { $0.hardConstraints.isEmpty && $0.softConstraints.isEmpty })
        // Sizes follow gen.py: cpus from the four tiers, memory cpus × GB-per-cpu capped at 120 GB.
        let allowedCpus: Set<Double> = [0.25, 0.5, 1, 2, 4, 6, 8, 12, 16]
        #expect(workload.tasks.allSatisfy { allowedCpus.contains($0.cpus) })
        #expect(workload.tasks.allSatisfy { $0.memoryMB <= 120 * 1024 && $0.memoryMB >= 256 })
        let small = workload.tasks.filter { $0.cpus <= 1 }.count
        #expect(Double(small) / 2000 > 0.5)
    }

    @Test("mixed and zones fleets mix three instance types over three zones")
    func mixedFleet() {
        for shape in [WorkloadShape.mixed, .zones] {
            let workload = WorkloadGenerator(shape: shape, hosts: 90, tasks: 10, seed: 1).generate()
            #expect(Set(workload.hosts.map { $0.attributes["instanceType"] ?? "" }).count == 3)
            #expect(Set(workload.hosts.map { $0.attributes["zone"] ?? "" }) == ["zone-a", "zone-b", "zone-c"])
        }
    }

    @Test("churn tasks arrive over an hour; batch jobs end, services do not")
    func churn() {
        let workload = WorkloadGenerator(shape: .churn, hosts: 100, tasks: 3000, seed: 2).generate()
        #expect(workload.isTimed)
        #expect(workload.tasks.allSatisfy { ($0.submitAt ?? -1) >= 0 && ($0.submitAt ?? 0) < 3600 + 25 })
        let ending = workload.tasks.filter { $0.durationS != nil }
        #expect(ending.allSatisfy { ($0.durationS ?? 0) >= 10 })
        let share = Double(ending.count) / 3000
        #expect(share > 0.35 && share < 0.85)
    }

    @Test("zones services are unique per host, balanced over zones, some pinned; a few jobs are exclusive")
    func zones() {
        let workload = WorkloadGenerator(shape: .zones, hosts: 100, tasks: 20000, seed: 4).generate()
        let services = workload.tasks.filter { $0.hardConstraints.contains(.uniqueHostAttr("name")) }
        #expect(!services.isEmpty)
        #expect(services.allSatisfy { $0.softConstraints == [.balancedHostAttr("zone", expectedValues: 3)] })
        #expect(services.contains { $0.hardConstraints.contains { $0.type == .hostAttrValue } })
        #expect(workload.tasks.contains { $0.isExclusive })
        #expect(workload.hasSoftConstraints)
    }
}
