import Foundation
import Testing
import TitanCLI
import TitanModel

/// The `--wait` rule as a function of values.
@Suite("the --wait rule")
struct JobWaitRuleTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let deadline = now.addingTimeInterval(300)

    static func host(
        _ id: String,
        cpus: Double = 16,
        memoryMB: Int = 65_536,
        zone: String = "a",
        state: HostState = .up,
        disabledUntil: Date? = nil
    ) -> HostSummary {
        HostSummary(
            id: HostID(id),
            address: "simulated://\(id)",
            resources: HostResources(
                cpus: cpus,
                memoryMB: memoryMB,
                diskGB: 100,
                portRanges: [PortRange(first: 1, last: 10)]
            ),
            attributes: ["zone": zone],
            state: state,
            disabledUntil: disabledUntil,
            lastHeartbeatAt: now,
            registeredAt: now
        )
    }

    static func job(_ spec: JobSpec, status: JobStatus = .active, started: Int = 0) -> JobDetail {
        var counts = TaskStateCounts()
        counts.started = started
        counts.accepted = spec.instances - started
        return JobDetail(
            job: JobSummary(
                id: "job-1",
                name: spec.name,
                applicationName: spec.name,
                version: "",
                kind: spec.kind,
                tier: spec.tier,
                capacityGroup: "default",
                status: status,
                desiredInstances: spec.instances,
                createdAt: now,
                updatedAt: now,
                taskCounts: counts
            ),
            spec: spec
        )
    }

    static func task(
        _ index: Int,
        state: TaskState = .accepted,
        reason: String? = "cpus: needs 32 cpus",
        finish: FinishReason? = nil,
        restartAt: Date? = nil
    ) -> TaskSummary {
        TaskSummary(
            id: TaskInstanceID("job-1-\(index)"),
            jobID: "job-1",
            instanceIndex: index,
            cell: .defaultCell,
            attempt: 0,
            retriesUsed: 0,
            state: state,
            finishReason: finish,
            host: nil,
            ports: [],
            pendingReason: state == .accepted ? reason : nil,
            exitCode: finish == .failed ? 1 : nil,
            message: nil,
            killRequested: false,
            createdAt: now,
            updatedAt: now,
            launchedAt: nil,
            startedAt: nil,
            finishedAt: nil,
            nextRestartAt: restartAt
        )
    }

    static func spec(instances: Int = 2, cpus: Double = 1, constraints: [JobConstraint] = []) -> JobSpec {
        JobSpec(
            name: "web",
            location: [CellInstances(cell: .defaultCell, instances: instances)],
            cpus: cpus,
            workload: .image("nginx"),
            hardConstraints: constraints
        )
    }

    private func judge(_ job: JobDetail, _ tasks: [TaskSummary], _ hosts: [HostSummary]) -> WaitVerdict {
        JobWaitRule.judge(WaitObservation(job: job, waitingOrFinished: tasks, hosts: hosts), deadline: Self.deadline)
    }

    @Test("up when every wanted instance has started, or a batch job succeeded")
    func up() {
        #expect(judge(Self.job(Self.spec(), started: 2), [], [Self.host("h1")]) == .up)
        #expect(judge(Self.job(Self.spec(), status: .succeeded), [], []) == .up)
        #expect(judge(Self.job(Self.spec(instances: 0)), [], []) == .up)
    }

    @Test("waiting while tasks wait for busy hosts that are big enough")
    func waitsForBusyHosts() {
        let verdict = judge(Self.job(Self.spec(cpus: 8)), [Self.task(0), Self.task(1)], [Self.host("h1")])
        #expect(verdict == .waiting)
        // Without a pending reason the scheduler has not tried yet: keep waiting.
        #expect(judge(Self.job(Self.spec(cpus: 64)), [Self.task(0, reason: nil)], [Self.host("h1")]) == .waiting)
    }

    @Test("cannot fit when no host is big enough for one task")
    func tooBig() throws {
        let verdict = judge(Self.job(Self.spec(cpus: 32)), [Self.task(0)], [Self.host("h1"), Self.host("h2", cpus: 8)])
        guard case .cannotFit(let why) = verdict else { Issue.record("\(verdict)"); return }
        #expect(why.hasPrefix("no host is big enough for one task: cpus: a task needs 32, the largest host has 16"))
        #expect(why.contains("the scheduler says (task job-1-0): cpus: needs 32 cpus"))
    }

    @Test("cannot fit when no host matches the hard constraints, or too few for unique or exclusive placement")
    func constraints() {
        let hosts = [Self.host("h1", zone: "a"), Self.host("h2", zone: "b"), Self.host("h3", zone: "b")]
        let mars = judge(
            Self.job(Self.spec(constraints: [.hostAttributeValue(attribute: "zone", values: ["mars"])])),
            [Self.task(0)],
            hosts
        )
        #expect(mars.isCannotFit)
        let byName = judge(Self.job(Self.spec(constraints: [.hostname(values: ["h2"])])), [Self.task(0)], hosts)
        #expect(byName == .waiting)
        let unique = judge(
            Self.job(Self.spec(instances: 3, constraints: [.uniqueHostAttribute(attribute: "zone")])),
            [Self.task(2)],
            hosts
        )
        #expect(unique.isCannotFit)
        let uniqueName = judge(
            Self.job(Self.spec(instances: 3, constraints: [.uniqueHostAttribute(attribute: "name")])),
            [Self.task(2)],
            hosts
        )
        #expect(uniqueName == .waiting)
        let exclusive = judge(Self.job(Self.spec(instances: 4, constraints: [.exclusiveHost])), [Self.task(3)], hosts)
        #expect(exclusive.isCannotFit)
    }

    @Test("hosts that are down, or disabled past the deadline, cannot take tasks; disabled until before it can")
    func availability() {
        let soon = Self.now.addingTimeInterval(60)
        let late = Self.now.addingTimeInterval(3600)
        #expect(judge(Self.job(Self.spec()), [Self.task(0)], [Self.host("h1", disabledUntil: soon)]) == .waiting)
        #expect(judge(Self.job(Self.spec()), [Self.task(0)], [Self.host("h1", disabledUntil: late)]).isCannotFit)
        #expect(judge(Self.job(Self.spec()), [Self.task(0)], [Self.host("h1", state: .down)]).isCannotFit)
        #expect(judge(Self.job(Self.spec()), [Self.task(0)], []).isCannotFit)
    }

    @Test("failed when the job ended, or an instance failed with no restart left")
    func failed() {
        #expect(judge(Self.job(Self.spec(), status: .failed), [], []).isFailed)
        #expect(judge(Self.job(Self.spec(), status: .killed), [], []).isFailed)
        let forGood = judge(
            Self.job(Self.spec(), started: 1),
            [Self.task(1, state: .finished, finish: .failed)],
            [Self.host("h1")]
        )
        #expect(forGood.isFailed)
        let restarting = judge(
            Self.job(Self.spec(), started: 1),
            [Self.task(1, state: .finished, finish: .failed, restartAt: Self.now)],
            [Self.host("h1")]
        )
        #expect(restarting == .waiting)
    }
}

extension WaitVerdict {
    var isCannotFit: Bool {
        if case .cannotFit = self { return true }
        return false
    }

    var isFailed: Bool {
        if case .failed = self { return true }
        return false
    }
}
