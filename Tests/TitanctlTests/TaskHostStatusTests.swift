import Foundation
import Testing
import TitanModel

/// `titanctl task …`, `host …` and `status` against a real titan-api.
@Suite("titanctl task, host and status commands")
struct TaskHostStatusTests {
    @Test("task list and task get show a waiting task's pending reason")
    func pendingReason() async throws {
        try await withAPI { api in
            let job = try await createJob(#"{"name": "huge", "image": "nginx", "cpus": 64}"#, api: api)
            let id = job.job.id.rawValue
            try await eventually("the scheduler gave a pending reason") {
                let tasks = try decode(
                    [TaskSummary].self,
                    from: try await titanctl(["task", "list", id, "--api", api.url, "-o", "json"])
                )
                return tasks.first?.pendingReason != nil
            }
            let list = try await titanctl(["task", "list", id, "--api", api.url])
            #expect(list.status == 0)
            #expect(list.stdout.contains("REASON"))
            #expect(list.stdout.contains("\(id)-0") && list.stdout.contains("accepted"))
            #expect(list.stdout.contains("cpus: needs 64 cpus, the most free on any host is 16 cpus"), "\(list)")

            let get = try await titanctl(["task", "get", "\(id)-0", "--api", api.url])
            #expect(get.status == 0)
            #expect(
                get.stdout.contains("Pending reason:  cpus: needs 64 cpus, the most free on any host is 16 cpus"),
                "\(get)"
            )
        }
    }

    @Test("task list of an unknown job is refused rather than shown empty")
    func unknownJobTasks() async throws {
        try await withAPI { api in
            let result = try await titanctl(["task", "list", "no-such-job", "--api", api.url])
            #expect(result.status == 1)
            #expect(result.stderr == "error: no job has id no-such-job\n")
        }
    }

    @Test("task kill stops one task for good")
    func killTask() async throws {
        try await withAPI { api in
            let job = try await createJob(
                #"{"name": "web", "image": "nginx", "instances": 2}"#,
                api: api,
                extra: ["--wait"]
            )
            let task = "\(job.job.id.rawValue)-1"
            let killed = try await titanctl(["task", "kill", task, "--api", api.url])
            #expect(killed.status == 0, "\(killed)")
            #expect(killed.stdout.hasPrefix("task \(task) is "))
            try await eventually("the task finished as killed") {
                let detail = try decode(
                    TaskDetail.self,
                    from: try await titanctl(["task", "get", task, "--api", api.url, "-o", "json"])
                )
                return detail.task.state == .finished && detail.task.finishReason == .killed
            }
            let get = try await titanctl(["task", "get", task, "--api", api.url])
            #expect(get.stdout.contains("History:") && get.stdout.contains("killed on request"), "\(get)")
        }
    }

    @Test("task logs of a task on a simulated host shows the API's refusal, exit 1")
    func logsOfSimulatedTask() async throws {
        try await withAPI { api in
            let job = try await createJob(#"{"name": "web", "image": "nginx"}"#, api: api, extra: ["--wait"])
            let task = "\(job.job.id.rawValue)-0"
            let result = try await titanctl(["task", "logs", task, "--api", api.url])
            #expect(result.status == 1)
            #expect(result.stderr.hasPrefix("error: task \(task) ran on simulated host sim-000"), "\(result)")
            #expect(result.stderr.hasSuffix("which keeps no logs\n"))
        }
    }

    @Test("task logs prints a task's output from its agent, and -f follows it until the task is killed")
    func logsThroughTheAPI() async throws {
        try await withAPI(simulatedHosts: 0) { api in
            let agent = try await LogAgent.start(api: api, agentID: "logs-1")
            do {
                let job = try await createJob(#"{"name": "web", "image": "nginx"}"#, api: api, extra: ["--wait"])
                let task = "\(job.job.id.rawValue)-0"

                let once = try await titanctl(["task", "logs", task, "--api", api.url])
                #expect(once.status == 0, "\(once)")
                #expect(once.stdout == "hello from \(task) attempt 0\ntick 1\ntick 2\n")

                async let followed = titanctl(["task", "logs", "-f", task, "--api", api.url])
                try await Task.sleep(for: .seconds(1.5))
                let killed = try await titanctl(["task", "kill", task, "--api", api.url])
                #expect(killed.status == 0, "\(killed)")
                let result = try await followed
                #expect(result.status == 0, "\(result)")
                #expect(result.stdout.hasPrefix("hello from \(task) attempt 0\ntick 1\ntick 2\ntick 3\n"), "\(result)")
                #expect(result.stdout.contains("tick 5\n"), "\(result)")
                #expect(result.stdout.hasSuffix("stream ended: task killed\n"), "\(result)")
                try await agent.stop()
            } catch {
                try? await agent.stop()
                throw error
            }
        }
    }

    @Test("host disable and host enable change whether a host takes tasks, and host list shows it")
    func disableAndEnable() async throws {
        try await withAPI { api in
            let disabled = try await titanctl(["host", "disable", "sim-0001", "--for", "600", "--api", api.url])
            #expect(disabled.status == 0)
            #expect(disabled.stdout.hasPrefix("host sim-0001 is disabled until 20"), "\(disabled)")
            let forever = try await titanctl(["host", "disable", "sim-0002", "--api", api.url])
            #expect(forever.stdout == "host sim-0002 is disabled until enabled\n", "\(forever)")

            let list = try await titanctl(["host", "list", "--api", api.url])
            let rows = list.stdout.split(separator: "\n")
            #expect(rows.first?.contains("DISABLED") == true)
            #expect(rows.contains { $0.hasPrefix("sim-0002") && $0.contains("until enabled") }, "\(list)")

            // With both hosts disabled past the wait, --wait knows no host can take the job.
            let directory = try temporaryDirectory()
            let path = try writeFile(#"{"name": "web", "image": "nginx"}"#, named: "web.json", in: directory)
            let waited = try await titanctl(["job", "create", path, "--wait", "--timeout", "30", "--api", api.url])
            #expect(waited.status == 1)
            #expect(
                waited.stderr.contains("none of the 2 hosts can take tasks before the wait ends (0 down, 2 disabled)"),
                "\(waited)"
            )

            let enabled = try await titanctl(["host", "enable", "sim-0002", "--api", api.url])
            #expect(enabled.stdout == "host sim-0002 is enabled\n")
            let hosts = try decode(
                [HostSummary].self,
                from: try await titanctl(["host", "list", "--api", api.url, "-o", "json"])
            )
            #expect(hosts.first { $0.id == "sim-0002" }?.disabledUntil == nil)
            #expect(hosts.first { $0.id == "sim-0001" }?.disabledUntil != nil)

            let unknown = try await titanctl(["host", "enable", "sim-9999", "--api", api.url])
            #expect(unknown.status == 1 && unknown.stderr == "error: no host has id sim-9999\n")
        }
    }

    @Test("status shows capacity, use, pending tasks by reason and the autoscaler")
    func status() async throws {
        try await withAPI { api in
            _ = try await createJob(
                #"{"name": "web", "image": "nginx", "instances": 2, "cpus": 4, "memory": 1024}"#,
                api: api,
                extra: ["--wait"]
            )
            let huge = try await createJob(#"{"name": "huge", "image": "nginx", "instances": 3, "cpus": 64}"#, api: api)
            try await eventually("the huge job's tasks have a pending reason") {
                let status = try decode(
                    FleetStatus.self,
                    from: try await titanctl(["status", "--api", api.url, "-o", "json"])
                )
                return status.pending.first?.reason.hasPrefix("cpus") == true
            }
            let json = try decode(
                FleetStatus.self,
                from: try await titanctl(["status", "--api", api.url, "-o", "json"])
            )
            #expect(json.hosts == HostCounts(total: 2, up: 2, down: 0, disabled: 0))
            #expect(json.capacity == ResourceAmounts(cpus: 32, memoryMB: 131_072, diskGB: 2000, networkMbps: 20_000))
            #expect(json.used == ResourceAmounts(cpus: 8, memoryMB: 2048, diskGB: 20, networkMbps: 0))
            #expect(json.tasks.started == 2 && json.tasks.accepted == 3)
            #expect(json.jobsWithLiveTasks == 2)
            #expect(json.pending.count == 1)
            #expect(json.pending.first?.taskCount == 3 && json.pending.first?.jobCount == 1)
            #expect(json.pending.first?.exampleTaskIDs.first?.rawValue == "\(huge.job.id.rawValue)-0")
            #expect(json.autoscaler == AutoscalerStatus(enabled: false, actions: []))

            let text = try await titanctl(["status", "--api", api.url])
            #expect(text.status == 0)
            #expect(text.stdout.contains("Hosts:       2 (2 up, 0 down, 0 disabled)"), "\(text)")
            #expect(text.stdout.contains("Capacity:    32 cpus, 128 GB memory, 2000 GB disk"), "\(text)")
            #expect(text.stdout.contains("In use:      8 cpus (25%), 2 GB memory (1.6%), 20 GB disk (1%)"), "\(text)")
            #expect(text.stdout.contains("Pending:     3 waiting for a host"), "\(text)")
            #expect(text.stdout.contains("Autoscaler:  not running in this titan-api"), "\(text)")
            #expect(text.stdout.contains("Pending tasks by reason:"))
            #expect(text.stdout.contains("3       1      cpus: needs 64 cpus, the most free on any host is"), "\(text)")
        }
    }
}
