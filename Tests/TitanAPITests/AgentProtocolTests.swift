import CurlHTTP
import Foundation
import Testing
import TitanControlPlane
import TitanModel

@Suite("The agent protocol against the real server")
struct AgentProtocolTests {
    @Test(
        "a task goes accepted, launched, startInitiated, started, killInitiated, finished(killed) through the protocol"
    )
    func fullLifecycle() async throws {
        try await withServer { server in
            let agent = TestAgent("host-1", server: server)
            let directives = try await agent.register()
            #expect(directives.heartbeatIntervalSeconds == 0.2)
            #expect(directives.kill.isEmpty)
            let job = try await server.createJob(
                Specs.service("web", extra: #", "ports": 2, "environment": {"MODE": "test"}"#)
            ).job.id
            let taskID = TaskInstanceID(job: job, index: 0)
            var orders: [AgentOrder] = []
            try await eventually("a launch order arrives") {
                orders = try await agent.pollOrders(waitSeconds: 1)
                return !orders.isEmpty
            }
            let order = try #require(orders.first)
            #expect(order.kind == .launch)
            #expect(order.taskID == taskID)
            #expect(order.attempt == 0)
            let launch = try #require(order.launch)
            #expect(launch.command == ["/bin/true"])
            #expect(launch.environment == ["MODE": "test"])
            #expect(launch.ports.count == 2)
            #expect(launch.ports.allSatisfy { (31_000...31_099).contains($0) })
            #expect(launch.labels["titan.job.id"] == job.rawValue)
            #expect(try await server.task(taskID).task.state == .launched)
            #expect(try await server.task(taskID).task.host == "host-1")

            await agent.acknowledge(order)
            try await agent.report([AgentStatusUpdate(taskID: taskID, attempt: 0, state: .startInitiated, at: Date())])
            #expect(try await server.task(taskID).task.state == .startInitiated)
            try await agent.report([AgentStatusUpdate(taskID: taskID, attempt: 0, state: .started, at: Date())])
            #expect(try await server.task(taskID).task.state == .started)

            let kill = try await server.post("/v1/tasks/\(taskID)/kill", json: "")
            #expect(kill.statusCode == 202)
            #expect(try await server.task(taskID).task.state == .killInitiated)
            let killOrders = try await agent.carryOutOrders(waitSeconds: 1)
            #expect(killOrders.map(\.kind) == [.kill])
            #expect(killOrders.first?.kill?.gracePeriodSeconds == 1)
            let detail = try await server.task(taskID)
            #expect(detail.task.state == .finished)
            #expect(detail.task.finishReason == .killed)
            #expect(detail.task.nextRestartAt == nil)
            #expect(
                detail.history.map(\.to) == [.launched, .startInitiated, .started, .killInitiated, .finished]
            )
        }
    }

    @Test("orders not acknowledged are sent again with the same sequence number; acknowledged ones are not")
    func ordersRedelivered() async throws {
        try await withServer { server in
            let agent = TestAgent("host-1", server: server)
            try await agent.register()
            _ = try await server.createJob(Specs.service("web", instances: 2))
            var first: [AgentOrder] = []
            try await eventually("launch orders arrive") {
                first += try await agent.pollOrders(waitSeconds: 1)
                return first.count == 2
            }
            let again = try await agent.pollOrders()
            #expect(again.map(\.seq) == first.map(\.seq))
            await agent.acknowledge(first[0])
            let rest = try await agent.pollOrders()
            #expect(rest.map(\.seq) == [first[1].seq])
        }
    }

    @Test("a long poll returns as soon as an order is queued")
    func longPoll() async throws {
        var configuration = ControlPlaneConfiguration.fast
        configuration.maximumOrdersWait = .seconds(30)
        try await withServer(configuration: configuration) { server in
            let agent = TestAgent("host-1", server: server)
            try await agent.register()
            async let polled = agent.pollOrders(waitSeconds: 30)
            try await Task.sleep(for: .milliseconds(300))
            let started = ContinuousClock.now
            _ = try await server.createJob(Specs.service("web"))
            let orders = try await polled
            #expect(orders.count == 1)
            // Well before the 30 s the poll would otherwise wait.
            #expect(ContinuousClock.now - started < .seconds(20))
        }
    }

    @Test("heartbeats, orders and status from an agent that never registered answer 404 unknownAgent")
    func unknownAgent() async throws {
        try await withServer { server in
            let heartbeat = try await server.post("/v1/agents/ghost/heartbeat", AgentHeartbeat(runningTasks: []))
            #expect(heartbeat.statusCode == 404)
            #expect(heartbeat.apiError?.error.code == "unknownAgent")
            #expect(try await server.get("/v1/agents/ghost/orders?waitSeconds=0").statusCode == 404)
            let status = try await server.post("/v1/agents/ghost/status", AgentStatusBatch(updates: []))
            #expect(status.statusCode == 404)
        }
    }

    @Test("malformed agent bodies answer 400 saying what is wrong")
    func malformedBodies() async throws {
        try await withServer { server in
            let missing = try await server.post("/v1/agents/register", json: #"{"agentID": "h"}"#)
            #expect(missing.statusCode == 400)
            #expect(missing.apiError?.error.message.contains("is required") == true)
            let agent = TestAgent("host-1", server: server)
            try await agent.register()
            let finishedWithoutReason = try await server.post(
                "/v1/agents/host-1/status",
                json:
                    #"{"updates": [{"taskID": "j-0", "attempt": 0, "state": "finished", "at": "2026-11-23T20:47:47.123Z"}]}"#
            )
            #expect(finishedWithoutReason.statusCode == 400)
            #expect(finishedWithoutReason.apiError?.error.problems.first?.field == "updates[0].reason")
            var registration = AgentRegistration(
                agentID: "h2",
                address: "http://127.0.0.1:9",
                agentVersion: "t",
                resources: HostResources(cpus: 0, memoryMB: -1, diskGB: 1),
                attributes: [:],
                runningTasks: []
            )
            let badResources = try await server.post("/v1/agents/register", registration)
            #expect(badResources.statusCode == 400)
            #expect(
                Set(badResources.apiError?.error.problems.map(\.field) ?? []) == [
                    "resources.cpus", "resources.memoryMB",
                ]
            )
            // A denormal cpu count once overflowed the scheduler's arithmetic (found by schemathesis).
            registration.resources = HostResources(cpus: Double.leastNonzeroMagnitude, memoryMB: 1, diskGB: 1)
            #expect(try await server.post("/v1/agents/register", registration).statusCode == 400)
            registration.resources = HostResources(cpus: 1, memoryMB: 1, diskGB: 1)
            #expect(try await server.post("/v1/agents/register", registration).statusCode == 200)
        }
    }

    @Test("an update about another attempt is acknowledged but does not move the task; repeats change nothing")
    func staleAndRepeatedUpdates() async throws {
        try await withServer { server in
            let agent = TestAgent("host-1", server: server)
            try await agent.register()
            let job = try await server.createJob(Specs.service("web")).job.id
            let taskID = TaskInstanceID(job: job, index: 0)
            try await eventually("the task starts") {
                try await agent.carryOutOrders(waitSeconds: 1)
                return try await server.task(taskID).task.state == .started
            }
            let stale = try await agent.report([
                AgentStatusUpdate(
                    taskID: taskID,
                    attempt: 7,
                    state: .finished,
                    reason: .failed,
                    exitCode: 1,
                    at: Date()
                )
            ])
            #expect(stale == 200)
            #expect(try await server.task(taskID).task.state == .started)
            let repeated = try await agent.report([
                AgentStatusUpdate(taskID: taskID, attempt: 0, state: .started, at: Date())
            ])
            #expect(repeated == 200)
            let history = try await server.task(taskID).history
            #expect(history.filter { $0.to == .started }.count == 1)
            let events = try await server.get("/v1/events?follow=false")
            #expect(events.bodyText.contains("agentReportIgnored"))
        }
    }

    @Test("usage reports show on the task and in /metrics")
    func usage() async throws {
        try await withServer { server in
            let agent = TestAgent("host-1", server: server)
            try await agent.register()
            let job = try await server.createJob(Specs.service("web")).job.id
            let taskID = TaskInstanceID(job: job, index: 0)
            try await eventually("the task starts") {
                try await agent.carryOutOrders(waitSeconds: 1)
                return try await server.task(taskID).task.state == .started
            }
            let report = AgentUsageReport(
                at: Date(),
                tasks: [
                    TaskUsage(taskID: taskID, attempt: 0, cpuSeconds: 1.5, cpuPercent: 37.5, memoryBytes: 1_048_576)
                ]
            )
            #expect(try await server.post("/v1/agents/host-1/usage", report).statusCode == 200)
            #expect(try await server.task(taskID).usage?.cpuPercent == 37.5)
            let metrics = try await server.get("/metrics").bodyText
            #expect(metrics.contains("titan_task_cpu_percent{task=\"\(taskID)\"} 37.5"))
        }
    }
}
