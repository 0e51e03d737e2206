import CurlHTTP
import Foundation
import Hummingbird
import Logging
import Testing
import TitanModel

@Suite("Task logs through the API")
struct LogProxyTests {
    @Test("the API proxies a task's logs from its agent's address, passing attempt, stream and tail on")
    func proxiesLogs() async throws {
        // The agent's log server: answers with what it was asked, so the test sees the query.
        let router = Router()
        router.get("v1/tasks/:taskID/logs") { request, context -> String in
            let task = try context.parameters.require("taskID")
            return "logs of \(task)\nquery \(request.uri.query ?? "")\n"
        }
        let (listening, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "agent-logs")
        logger.logLevel = .critical
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: logger
        )
        let agentServer = Task { try await app.run() }
        defer { agentServer.cancel() }
        var ports = listening.makeAsyncIterator()
        let agentPort = try #require(await ports.next())

        try await withServer { server in
            let response = try await server.post(
                "/v1/agents/register",
                AgentRegistration(
                    agentID: "host-1",
                    address: "http://127.0.0.1:\(agentPort)",
                    agentVersion: "test",
                    resources: HostResources(cpus: 4, memoryMB: 8192, diskGB: 10),
                    attributes: [:],
                    runningTasks: []
                )
            )
            #expect(response.statusCode == 200)
            let agent = TestAgent("host-1", server: server)
            let job = try await server.createJob(Specs.service("web")).job.id
            let taskID = TaskInstanceID(job: job, index: 0)
            try await eventually("the task starts") {
                try await agent.carryOutOrders(waitSeconds: 1)
                return try await server.task(taskID).task.state == .started
            }
            let logs = try await server.get("/v1/tasks/\(taskID)/logs?stream=stderr&tail=5")
            #expect(logs.statusCode == 200)
            #expect(logs.headers["Content-Type"]?.hasPrefix("text/plain") == true)
            #expect(logs.bodyText.contains("logs of \(taskID)"))
            #expect(logs.bodyText.contains("attempt=0"))
            #expect(logs.bodyText.contains("stream=stderr"))
            #expect(logs.bodyText.contains("tail=5"))
            #expect(try await server.get("/v1/tasks/\(taskID)/logs?stream=both&follow=maybe").statusCode == 400)
            let waiting = try await server.createJob(Specs.service("huge", cpus: 64)).job.id
            let notPlaced = try await server.get("/v1/tasks/\(TaskInstanceID(job: waiting, index: 0))/logs")
            #expect(notPlaced.statusCode == 404)
            #expect(notPlaced.apiError?.error.message.contains("not been placed") == true)
        }
    }
}
