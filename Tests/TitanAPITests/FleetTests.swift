import CurlHTTP
import Foundation
import Testing
import TitanModel

@Suite("Hosts, lost hosts and reconciliation against the real server")
struct FleetTests {
    @Test("a host that stops heartbeating is marked down and its tasks are lost and restarted elsewhere")
    func lostHost() async throws {
        try await withServer(configuration: .fastHostLoss) { server in
            let first = TestAgent("host-1", server: server)
            try await first.register()
            let job = try await server.createJob(Specs.service("web")).job.id
            let taskID = TaskInstanceID(job: job, index: 0)
            try await eventually("the task starts on host-1") {
                try await first.carryOutOrders(waitSeconds: 1)
                return try await server.task(taskID).task.state == .started
            }
            let second = TestAgent("host-2", server: server)
            try await second.register()
            // host-1 goes silent; host-2 keeps heartbeating.
            try await eventually("host-1 is down", timeout: .seconds(30)) {
                _ = try await second.heartbeat()
                let host = try await server.fetch(HostSummary.self, "/v1/hosts/host-1")
                return host.state == .down
            }
            // The host is marked down, then its runs are recorded lost: two writes, so a read
            // between them sees the first only.
            try await eventually("the run on host-1 is recorded lost") {
                try await server.task(taskID).history.contains { $0.to == .finished && $0.finishReason == .lost }
            }
            #expect(try await server.task(taskID).task.retriesUsed == 0)
            try await eventually("attempt 1 runs on host-2") {
                try await second.carryOutOrders(waitSeconds: 1)
                let task = try await server.task(taskID).task
                return task.attempt == 1 && task.state == .started && task.host == "host-2"
            }
            // The lost host comes back: its heartbeat is refused until it registers again,
            // and the old run it still reports is killed.
            let (status, _) = try await first.heartbeat()
            #expect(status == 404)
            let directives = try await first.register()
            #expect(directives.kill.map(\.taskID) == [taskID])
            #expect(directives.kill.first?.reason.contains("replaced by attempt 1") == true)
        }
    }

    @Test("a run its host stops reporting is lost after the grace period and restarted")
    func missingRunIsLost() async throws {
        try await withServer { server in
            let agent = TestAgent("host-1", server: server)
            try await agent.register()
            let job = try await server.createJob(Specs.service("web")).job.id
            let taskID = TaskInstanceID(job: job, index: 0)
            try await eventually("the task starts") {
                try await agent.carryOutOrders(waitSeconds: 1)
                return try await server.task(taskID).task.state == .started
            }
            // The agent restarts and has lost its container.
            await agent.forgetEverything()
            try await agent.register()
            try await eventually("the run is lost and attempt 1 starts") {
                try await agent.carryOutOrders(waitSeconds: 0)
                let task = try await server.task(taskID).task
                return task.attempt == 1 && task.state == .started
            }
            let history = try await server.task(taskID).history
            #expect(history.contains { $0.attempt == 0 && $0.finishReason == .lost })
        }
    }

    @Test("a run no job owns is killed, and so is a run of a killed job")
    func unwantedRunsAreKilled() async throws {
        try await withServer { server in
            let agent = TestAgent("host-1", server: server)
            let directives = try await agent.register(reporting: [
                AgentTaskReport(taskID: "00000000-0000-7000-8000-000000000000-3", attempt: 0, state: .started)
            ])
            #expect(directives.kill.count == 1)
            #expect(directives.kill.first?.reason == "no job owns this task")
            let job = try await server.createJob(Specs.service("web")).job.id
            let taskID = TaskInstanceID(job: job, index: 0)
            try await eventually("the task starts") {
                try await agent.carryOutOrders(waitSeconds: 1)
                return try await server.task(taskID).task.state == .started
            }
            #expect(try await server.post("/v1/jobs/\(job)/kill", json: "").statusCode == 202)
            // Even if the kill order were lost, the next heartbeat repeats the kill.
            let (_, heartbeat) = try await agent.heartbeat()
            #expect(heartbeat?.kill.map(\.taskID) == [taskID])
            try await agent.carryOutOrders()
            #expect(try await server.job(job).job.status == .killed)
        }
    }

    @Test("the periodic pass marks runs on hosts that never came back lost")
    func reconcileDownHosts() async throws {
        let directory = try TestFiles.directory()
        let path = directory.appendingPathComponent("titan.db").path
        let server = try await TestServer.start(databasePath: path)
        let agent = TestAgent("host-1", server: server)
        try await agent.register()
        let job = try await server.createJob(Specs.service("web", instances: 2)).job.id
        try await eventually("both tasks start") {
            try await agent.carryOutOrders(waitSeconds: 1)
            return try await server.tasks(of: job).allSatisfy { $0.state == .started }
        }
        await server.stop()
        // Restarted: host-1 never reports again.
        let restarted = try await TestServer.start(configuration: .fastHostLoss, databasePath: path)
        defer { Task { await restarted.stop() } }
        try await eventually("both runs are lost", timeout: .seconds(30)) {
            try await restarted.tasks(of: job).allSatisfy { $0.attempt == 1 }
        }
        let tasks = try await restarted.tasks(of: job)
        #expect(tasks.allSatisfy { $0.state == .accepted })
        #expect(try await restarted.fetch(HostSummary.self, "/v1/hosts/host-1").state == .down)
        await restarted.stop()
    }

    @Test("hosts are listed with their tasks; a disabled host takes no new tasks until enabled")
    func disableAndEnable() async throws {
        try await withServer { server in
            let agent = TestAgent("host-1", server: server, cpus: 2)
            try await agent.register()
            let disable = try await server.post("/v1/hosts/host-1/disable", json: "{}")
            #expect(disable.statusCode == 200)
            #expect(try disable.decoded(HostSummary.self).disabledUntil != nil)
            let job = try await server.createJob(Specs.service("web")).job.id
            let taskID = TaskInstanceID(job: job, index: 0)
            try await Task.sleep(for: .milliseconds(400))
            #expect(try await agent.carryOutOrders().isEmpty)
            #expect(try await server.task(taskID).task.state == .accepted)
            let enable = try await server.post("/v1/hosts/host-1/enable", json: "")
            #expect(enable.statusCode == 200)
            #expect(try enable.decoded(HostSummary.self).disabledUntil == nil)
            try await eventually("the task starts") {
                try await agent.carryOutOrders(waitSeconds: 1)
                return try await server.task(taskID).task.state == .started
            }
            let hosts = try await server.fetch(Page<HostSummary>.self, "/v1/hosts")
            #expect(hosts.items.map(\.id) == ["host-1"])
            #expect(hosts.items.first?.taskCount == 1)
            #expect(hosts.items.first?.attributes == [:])
            for (body, field) in [
                (#"{"until": "tomorrow"}"#, "until"), (#"{"forSeconds": -1}"#, "forSeconds"), (#"{"why": 1}"#, "why"),
            ] {
                let response = try await server.post("/v1/hosts/host-1/disable", json: body)
                #expect(response.statusCode == 400, "\(body)")
                #expect(response.apiError?.error.problems.first?.field == field, "\(body)")
            }
            let timed = try await server.post("/v1/hosts/host-1/disable", json: #"{"forSeconds": 60}"#)
            #expect(timed.statusCode == 200)
            #expect(try await server.post("/v1/hosts/nope/disable", json: "{}").statusCode == 404)
        }
    }

    @Test("hard constraints keep tasks to matching hosts; unique zone spreads them")
    func constraints() async throws {
        try await withServer { server in
            let agents = [
                TestAgent("a-1", server: server, attributes: ["zone": "a"]),
                TestAgent("a-2", server: server, attributes: ["zone": "a"]),
                TestAgent("b-1", server: server, attributes: ["zone": "b"]),
            ]
            for agent in agents { try await agent.register() }
            let pinned = try await server.createJob(
                Specs.service(
                    "pinned",
                    instances: 2,
                    extra: #", "hardConstraints": [{"type": "hostAttrValue", "attribute": "zone", "values": ["b"]}]"#
                )
            ).job.id
            let spread = try await server.createJob(
                Specs.service(
                    "spread",
                    instances: 3,
                    extra: #", "hardConstraints": [{"type": "uniqueHostAttr", "attribute": "zone"}]"#
                )
            ).job.id
            try await eventually("placements settle") {
                for agent in agents { try await agent.carryOutOrders(waitSeconds: 0) }
                let pinnedTasks = try await server.tasks(of: pinned)
                let spreadTasks = try await server.tasks(of: spread)
                return pinnedTasks.allSatisfy { $0.state == .started }
                    && spreadTasks.filter { $0.state == .started }.count == 2
                    && spreadTasks.contains { $0.pendingReason != nil }
            }
            #expect(try await server.tasks(of: pinned).allSatisfy { $0.host == "b-1" })
            let spreadTasks = try await server.tasks(of: spread)
            let zones = Set(spreadTasks.compactMap(\.host).map { $0.rawValue.hasPrefix("a") ? "a" : "b" })
            #expect(zones == ["a", "b"])
            let waiting = try #require(spreadTasks.first { $0.state == .accepted })
            #expect(waiting.pendingReason?.contains("uniqueHostAttr") == true)
        }
    }

    @Test("an image job goes only to hosts that run containers, and says so while none does")
    func imageJobsNeedDocker() async throws {
        try await withServer { server in
            let processesOnly = TestAgent("processes-1", server: server, attributes: ["docker": "false"])
            try await processesOnly.register()
            let spec = #"{"name": "web", "instances": 1, "cpus": 1, "memory": 256, "disk": 1, "image": "nginx:1.27"}"#
            let job = try await server.createJob(spec).job.id
            try await eventually("the task waits with a reason") {
                try await server.tasks(of: job).first?.pendingReason?.contains("no Docker engine") == true
            }
            let commandJob = try await server.createJob(Specs.service("plain")).job.id
            try await eventually("a command job still runs there") {
                try await processesOnly.carryOutOrders(waitSeconds: 0)
                return try await server.tasks(of: commandJob).first?.state == .started
            }
            #expect(try await server.tasks(of: job).first?.state == .accepted)

            let containers = TestAgent("docker-1", server: server, attributes: ["docker": "true"])
            try await containers.register()
            try await eventually("the image task starts on the host with Docker") {
                try await containers.carryOutOrders(waitSeconds: 0)
                return try await server.tasks(of: job).first?.state == .started
            }
            #expect(try await server.tasks(of: job).first?.host == "docker-1")
        }
    }
}
