import Benchmark
import FenzoBenchKit
import FenzoCore

/// One scheduling iteration's input: a generated workload's tasks and every host's lease.
struct IterationInput: Sendable {
    let requests: [TaskRequest]
    let leases: [Lease]
    let configuration: SchedulerConfiguration

    init(shape: WorkloadShape, hosts: Int, tasksPerHost: Int) {
        let workload = WorkloadGenerator(shape: shape, hosts: hosts, tasks: hosts * tasksPerHost, seed: 1).generate()
        requests = workload.tasks.map { task in
            TaskRequest(
                id: TaskID(task.id),
                group: TaskGroup(task.groupKey),
                resources: Resources(
                    cpus: task.cpus,
                    memoryMB: task.memoryMB,
                    diskMB: task.diskMB,
                    networkMbps: task.networkMbps
                ),
                ports: task.ports,
                hardConstraints: task.hardConstraints.map(Self.constraint),
                softConstraints: task.softConstraints.map(Self.constraint)
            )
        }
        leases = workload.hosts.map { host in
            Lease(
                id: LeaseID(host.name),
                hostname: HostName(host.name),
                resources: Resources(
                    cpus: host.cpus,
                    memoryMB: host.memoryMB,
                    diskMB: host.diskMB,
                    networkMbps: host.networkMbps
                ),
                ports: PortRanges(host.ports.map { $0[0]...$0[1] }),
                attributes: host.attributes
            )
        }
        configuration = SchedulerConfiguration(leaseExpiry: nil, placementOrder: .hostByHost)
    }

    static func constraint(_ constraint: WorkloadConstraint) -> PlacementConstraint {
        switch constraint.type {
        case .hostAttrValue: .hostAttributeValue(attribute: constraint.attribute ?? "", values: constraint.values ?? [])
        case .uniqueHostAttr: .uniqueHostAttribute(constraint.attribute ?? "")
        case .balancedHostAttr:
            .balancedHostAttribute(constraint.attribute ?? "", expectedValues: constraint.expectedValues)
        case .exclusiveHost: .exclusiveHost
        }
    }

    /// Runs one iteration on a new scheduler: leases accepted, tasks placed host by host.
    func iterate() -> SchedulingResult {
        var scheduler = TaskScheduler(configuration: configuration)
        return scheduler.schedule(requests, newLeases: leases, at: .zero)
    }
}

/// Inputs are built on first use, outside the measurement, once per process.
enum Inputs {
    static let batch1k = IterationInput(shape: .batch, hosts: 1000, tasksPerHost: 4)
    static let batch10k = IterationInput(shape: .batch, hosts: 10000, tasksPerHost: 4)
    static let batch50k = IterationInput(shape: .batch, hosts: 50000, tasksPerHost: 4)
    static let zones10k = IterationInput(shape: .zones, hosts: 10000, tasksPerHost: 4)
}

let benchmarks: @Sendable () -> Void = {
    // Tolerances for `thresholds check` against Benchmarks/Thresholds: wall time is noisy on
    // a shared 2-core machine; allocations and memory are steady.
    let tolerances: [BenchmarkMetric: BenchmarkThresholds] = [
        .wallClock: .init(relative: [.p90: 30]),
        .mallocCountTotal: .init(relative: [.p90: 5]),
        .peakMemoryResident: .init(relative: [.p90: 20]),
    ]
    func configuration(iterations: Int) -> Benchmark.Configuration {
        .init(
            metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident],
            timeUnits: .milliseconds,
            warmupIterations: 1,
            maxDuration: .seconds(20),
            maxIterations: iterations,
            thresholds: tolerances
        )
    }
    let cases: [(name: String, iterations: Int, input: @Sendable () -> IterationInput)] = [
        ("batch-1k-hosts-4k-tasks", 20, { Inputs.batch1k }),
        ("batch-10k-hosts-40k-tasks", 8, { Inputs.batch10k }),
        ("batch-50k-hosts-200k-tasks", 4, { Inputs.batch50k }),
        ("zones-10k-hosts-40k-tasks", 8, { Inputs.zones10k }),
    ]
    for entry in cases {
        Benchmark("iteration-\(entry.name)", configuration: configuration(iterations: entry.iterations)) {
            benchmark in
            let input = entry.input()
            benchmark.startMeasurement()
            blackHole(input.iterate())
            benchmark.stopMeasurement()
        }
    }
}
