import FenzoBenchKit
import Testing

@Suite("Result validator")
struct ResultValidatorTests {
    /// Two hosts of 4 cpus and 8 GB with ports 100-101, in zones a and b.
    static let hosts = [
        WorkloadHost(name: "a", cpus: 4, memoryMB: 8192, ports: [[100, 101]], attributes: ["zone": "za"]),
        WorkloadHost(name: "b", cpus: 4, memoryMB: 8192, ports: [[100, 101]], attributes: ["zone": "zb"]),
    ]

    private func validate(_ tasks: [WorkloadTask], _ assignments: [ResultAssignment], failures: [ResultFailure] = [])
        -> ValidationReport
    {
        let workload = Workload(name: "w", hosts: Self.hosts, tasks: tasks)
        let result = PackingResult(
            workload: "w",
            strategy: "test",
            assignments: assignments,
            failures: failures,
            stats: RunStatistics()
        )
        return ResultValidator(workload: workload).validate(result)
    }

    @Test("a packed result is valid and its figures follow from it")
    func validFigures() {
        let tasks = [
            WorkloadTask(id: "t1", cpus: 2, memoryMB: 4096),
            WorkloadTask(id: "t2", cpus: 2, memoryMB: 4096),
            WorkloadTask(id: "t3", cpus: 1, memoryMB: 1024),
        ]
        let report = validate(
            tasks,
            [ResultAssignment(task: "t1", host: "a"), ResultAssignment(task: "t2", host: "a")],
            failures: [ResultFailure(task: "t3", reasons: ["cpus: none free"])]
        )
        #expect(report.isValid)
        #expect(report.placed == 2)
        #expect(report.failed == 1)
        #expect(report.hostsUsedPeak == 1)
        #expect(report.lowerBoundPeak == 1)
        #expect(report.ratio == 1)
        #expect(report.cpuUtilOfUsedHosts == 1)
        #expect(report.memUtilOfUsedHosts == 1)
        #expect(report.summaryLine.hasPrefix("valid: placed=2, failed=1, hostsUsedPeak=1, lowerBoundPeak=1, ratio=1.0"))
    }

    @Test("a host over capacity at some instant is an error")
    func overCapacity() {
        let tasks = [WorkloadTask(id: "t1", cpus: 3, memoryMB: 10), WorkloadTask(id: "t2", cpus: 2, memoryMB: 10)]
        let report = validate(
            tasks,
            [ResultAssignment(task: "t1", host: "a"), ResultAssignment(task: "t2", host: "a")]
        )
        #expect(report.errors.contains { $0.contains("over capacity in cpus") })
    }

    @Test("a task that ends frees its resources for one that starts then")
    func endsBeforeStarts() {
        let tasks = [
            WorkloadTask(id: "t1", cpus: 4, memoryMB: 10, submitAt: 0, durationS: 10),
            WorkloadTask(id: "t2", cpus: 4, memoryMB: 10, submitAt: 5),
        ]
        let fits = validate(
            tasks,
            [ResultAssignment(task: "t1", host: "a", at: 0), ResultAssignment(task: "t2", host: "a", at: 10)]
        )
        #expect(fits.isValid)
        #expect(fits.hostsUsedPeak == 1)
        let early = validate(
            tasks,
            [ResultAssignment(task: "t1", host: "a", at: 0), ResultAssignment(task: "t2", host: "a", at: 9)]
        )
        #expect(!early.isValid)
    }

    @Test("ports must be as many as asked, inside the host's ranges and not shared")
    func ports() {
        let tasks = [
            WorkloadTask(id: "t1", cpus: 1, memoryMB: 1, ports: 1),
            WorkloadTask(id: "t2", cpus: 1, memoryMB: 1, ports: 1),
        ]
        let shared = validate(
            tasks,
            [
                ResultAssignment(task: "t1", host: "a", ports: [100]),
                ResultAssignment(task: "t2", host: "a", ports: [100]),
            ]
        )
        #expect(shared.errors.contains { $0.contains("port 100 on host a given to both") })
        let outside = validate(
            tasks,
            [ResultAssignment(task: "t1", host: "a", ports: [99]), ResultAssignment(task: "t2", host: "a", ports: [])]
        )
        #expect(outside.errors.contains { $0.contains("outside host a's ranges") })
        #expect(outside.errors.contains { $0.contains("asked for 1 ports, got 0") })
    }

    @Test("hard constraints are checked: attribute value, uniqueness, exclusive host")
    func constraints() {
        let pinned = [WorkloadTask(id: "t1", cpus: 1, memoryMB: 1, hardConstraints: [.hostAttrValue("zone", ["zb"])])]
        #expect(!validate(pinned, [ResultAssignment(task: "t1", host: "a")]).isValid)
        #expect(validate(pinned, [ResultAssignment(task: "t1", host: "b")]).isValid)

        let unique = ["t1", "t2"].map {
            WorkloadTask(id: $0, group: "g", cpus: 1, memoryMB: 1, hardConstraints: [.uniqueHostAttr("name")])
        }
        let together = validate(
            unique,
            [ResultAssignment(task: "t1", host: "a"), ResultAssignment(task: "t2", host: "a")]
        )
        #expect(together.errors.contains { $0.contains("share name='a' at once") })
        #expect(
            validate(unique, [ResultAssignment(task: "t1", host: "a"), ResultAssignment(task: "t2", host: "b")]).isValid
        )

        let exclusive = [
            WorkloadTask(id: "t1", cpus: 1, memoryMB: 1, hardConstraints: [.exclusiveHost]),
            WorkloadTask(id: "t2", cpus: 1, memoryMB: 1),
        ]
        let shared = validate(
            exclusive,
            [ResultAssignment(task: "t1", host: "a"), ResultAssignment(task: "t2", host: "a")]
        )
        #expect(shared.errors.contains { $0.contains("must be alone on a") })
    }

    @Test("every task is accounted for exactly once, failures give a reason, nothing starts early")
    func accounting() {
        let tasks = [
            WorkloadTask(id: "t1", cpus: 1, memoryMB: 1, submitAt: 5),
            WorkloadTask(id: "t2", cpus: 1, memoryMB: 1),
            WorkloadTask(id: "t3", cpus: 1, memoryMB: 1),
        ]
        let report = validate(
            tasks,
            [
                ResultAssignment(task: "t1", host: "a", at: 1),
                ResultAssignment(task: "t2", host: "z"),
                ResultAssignment(task: "ghost", host: "a"),
            ],
            failures: [ResultFailure(task: "t2", reasons: [])]
        )
        #expect(report.errors.contains { $0.contains("before it was submitted") })
        #expect(report.errors.contains { $0.contains("unknown host 'z'") })
        #expect(report.errors.contains { $0.contains("unknown task 'ghost'") })
        #expect(report.errors.contains { $0.contains("t2 accounted for more than once") })
        #expect(report.errors.contains { $0.contains("gives no reason") })
        #expect(report.errors.contains { $0.contains("1 tasks missing") })
    }

    @Test("stranded cpu is free cpu on hosts whose memory cannot take a median task")
    func stranded() {
        let tasks = [
            WorkloadTask(id: "t1", cpus: 1, memoryMB: 8192),
            WorkloadTask(id: "t2", cpus: 1, memoryMB: 1024),
            WorkloadTask(id: "t3", cpus: 1, memoryMB: 1024),
        ]
        let report = validate(tasks, [ResultAssignment(task: "t1", host: "a")], failures: [])
        // Host a: 3 of 4 cpus free, no memory free: all its free cpu is stranded.
        #expect(report.strandedCpuShare == 0.75)
        #expect(report.strandedMemoryShare == 0)
    }
}

@Suite("Host lower bounds")
struct HostLowerBoundTests {
    @Test("on a uniform fleet the bound is the largest resource's ceiling")
    func uniform() {
        let hosts = (0..<10).map { WorkloadHost(name: "h\($0)", cpus: 16, memoryMB: 65536) }
        let bound = HostLowerBound(hosts: hosts)
        #expect(bound.perResource([33, 1000, 0, 0]) == 3)
        #expect(bound.perResource([1, 65536 * 4, 0, 0]) == 4)
        #expect(bound.perResource([0, 0, 0, 0]) == 0)
        #expect(bound.perResource([161, 0, 0, 0]) == 11)
        #expect(bound.fractional([33, 1000, 0, 0]) == 3)
    }

    @Test("on a mixed fleet the linear bound takes hosts whole in every resource at once")
    func mixedFleet() {
        let cpuHeavy = (0..<5).map { WorkloadHost(name: "c\($0)", cpus: 10, memoryMB: 1) }
        let memoryHeavy = (0..<5).map { WorkloadHost(name: "m\($0)", cpus: 1, memoryMB: 10) }
        let bound = HostLowerBound(hosts: cpuHeavy + memoryHeavy)
        #expect(bound.perResource([10, 10, 0, 0]) == 1)
        // x·10 + y ≥ 10 and x + y·10 ≥ 10: x = y = 10/11, 20/11 hosts in all.
        let value = bound.fractionalValue([10, 10, 0, 0]) ?? 0
        #expect(abs(value - 20.0 / 11.0) < 1e-9)
        #expect(bound.fractional([10, 10, 0, 0]) == 2)
        // Only the cpu-heavy hosts can give 45 cpus' worth... with the memory-heavy ones' 5.
        #expect(abs((bound.fractionalValue([55, 0, 0, 0]) ?? 0) - 10) < 1e-9)
        #expect(bound.fractionalValue([56, 0, 0, 0]) == nil)
    }

    @Test("the linear bound never falls below the per-resource bound's fractional part")
    func linearAtLeastPerResource() {
        var random = SplitMix64(seed: 9)
        for _ in 0..<50 {
            let hosts = (0..<12).map {
                WorkloadHost(
                    name: "h\($0)",
                    cpus: Double(1 + random.below(40)),
                    memoryMB: Double(1 + random.below(100)),
                    diskMB: Double(random.below(3)),
                    networkMbps: Double(1 + random.below(5))
                )
            }
            let bound = HostLowerBound(hosts: hosts)
            let demand = [Double(random.below(150)), Double(random.below(400)), 0, Double(random.below(20))]
            if let linear = bound.fractional(demand) {
                #expect(linear >= bound.perResource(demand) - 1)
                #expect(linear <= hosts.count)
            }
        }
    }
}
