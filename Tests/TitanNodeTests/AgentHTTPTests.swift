import CurlHTTP
import Foundation
import Testing
import TitanModel

@testable import TitanNode

/// The agent's own HTTP endpoints, served by Hummingbird on a real port and read with CurlHTTP.
@Suite("Agent HTTP endpoints")
struct AgentHTTPTests {
    private let identity = AgentIdentity(
        agentID: "http-test-host",
        address: "http://127.0.0.1:0",
        version: NodeAgent.version,
        resources: HostResources(cpus: 2, memoryMB: 1024, diskGB: 10),
        attributes: ["zone": "zone-t"]
    )

    private func get(_ port: Int, _ path: String) async throws -> HTTPResponse {
        try await HTTPClient.shared.execute(HTTPRequest(url: "http://127.0.0.1:\(port)\(path)"))
    }

    @Test("logs of a finished run are served whole, by stream, and by their last lines")
    func finishedRunLogs() async throws {
        let harness = try SupervisorHarness(runtimes: [try processRuntime()])
        let key = RunKey(taskID: uniqueTaskID(), attempt: 0)
        let port = freePort()
        try await harness.running { harness in
            let router = AgentHTTPServer.router(
                supervisor: harness.supervisor,
                identity: identity,
                registration: RegistrationGate()
            )
            await harness.supervisor.launch(
                taskID: key.taskID,
                attempt: 0,
                spec: launchSpec(command: ["/bin/sh", "-c", "for i in 1 2 3 4 5; do echo out-$i; done; echo err-1 >&2"])
            )
            _ = try await harness.finished(key)
            try await withServer(router, port: port) {
                let stdout = try await get(port, "/v1/tasks/\(key.taskID)/logs?stream=stdout")
                #expect(stdout.statusCode == 200)
                #expect(stdout.headers["Titan-Task-Attempt"] == "0")
                #expect(stdout.bodyText == "out-1\nout-2\nout-3\nout-4\nout-5\n")
                let tail = try await get(port, "/v1/tasks/\(key.taskID)/logs?stream=stdout&tail=2&attempt=0")
                #expect(tail.bodyText == "out-4\nout-5\n")
                let both = try await get(port, "/v1/tasks/\(key.taskID)/logs")
                #expect(both.bodyText == "out-1\nout-2\nout-3\nout-4\nout-5\nerr-1\n")
                let missing = try await get(port, "/v1/tasks/\(key.taskID)/logs?attempt=7")
                #expect(missing.statusCode == 404)
                #expect(missing.bodyText.contains("no logs of task \(key.taskID) attempt 7"))
                let bad = try await get(port, "/v1/tasks/\(key.taskID)/logs?stream=all")
                #expect(bad.statusCode == 400)
                #expect(bad.bodyText.contains("stream must be stdout, stderr or both"))
            }
        }
    }

    @Test("following a running task's logs streams new output as it is written and ends when the task does")
    func followLogs() async throws {
        let harness = try SupervisorHarness(runtimes: [try processRuntime()])
        let key = RunKey(taskID: uniqueTaskID(), attempt: 0)
        let port = freePort()
        let gate = harness.work.file("go")
        try await harness.running { harness in
            let router = AgentHTTPServer.router(
                supervisor: harness.supervisor,
                identity: identity,
                registration: RegistrationGate(),
                logPollInterval: .milliseconds(50)
            )
            await harness.supervisor.launch(
                taskID: key.taskID,
                attempt: 0,
                spec: launchSpec(
                    command: [
                        "/bin/sh", "-c",
                        "echo first; while [ ! -e \(gate) ]; do sleep 0.05; done; echo second; sleep 0.3; echo third",
                    ]
                )
            )
            try await eventually("started") { harness.updates(key).contains { $0.state == .started } }
            try await withServer(router, port: port) {
                let response = try await HTTPClient.shared.stream(
                    HTTPRequest(
                        url: "http://127.0.0.1:\(port)/v1/tasks/\(key.taskID)/logs?follow=true&stream=stdout",
                        timeouts: HTTPTimeouts(connect: .seconds(5), total: .seconds(60))
                    )
                )
                #expect(response.statusCode == 200)
                var received = ""
                var iterator = response.body.makeAsyncIterator()
                // The first line arrives while the task is still blocked: the stream is live.
                while !received.contains("first\n"), let chunk = try await iterator.next() {
                    received += String(decoding: chunk, as: UTF8.self)
                }
                #expect(received == "first\n")
                try Data().write(to: URL(fileURLWithPath: gate))
                while let chunk = try await iterator.next() { received += String(decoding: chunk, as: UTF8.self) }
                #expect(received == "first\nsecond\nthird\n")
            }
            #expect(try await harness.finished(key).reason == .succeeded)
        }
    }

    @Test("/metrics shows the agent's figures and each running task's cpu and memory")
    func metrics() async throws {
        let harness = try SupervisorHarness(runtimes: [try processRuntime()])
        let key = RunKey(taskID: uniqueTaskID(), attempt: 0)
        let port = freePort()
        try await harness.running { harness in
            let router = AgentHTTPServer.router(
                supervisor: harness.supervisor,
                identity: identity,
                registration: RegistrationGate()
            )
            await harness.supervisor.launch(
                taskID: key.taskID,
                attempt: 0,
                spec: launchSpec(command: ["/bin/sleep", "30"])
            )
            try await eventually("started") { harness.updates(key).contains { $0.state == .started } }
            _ = await harness.supervisor.sampleUsage()
            try await withServer(router, port: port) {
                let response = try await get(port, "/metrics")
                #expect(response.statusCode == 200)
                #expect(response.headers["Content-Type"]?.hasPrefix("text/plain; version=0.0.4") == true)
                let text = response.bodyText
                #expect(text.contains("titan_agent_running_tasks{agent=\"http-test-host\"} 1"))
                #expect(text.contains("titan_agent_pending_status_updates{agent=\"http-test-host\"} 2"))
                #expect(text.contains("titan_agent_registered{agent=\"http-test-host\"} 0"))
                #expect(text.contains("titan_agent_resident_memory_bytes{agent=\"http-test-host\"} "))
                let labels = "task=\"\(key.taskID)\",attempt=\"0\",job=\"0192f1c4-aaaa-7bbb-8ccc-000000000001\""
                #expect(text.contains("titan_task_cpu_seconds_total{\(labels)} "))
                #expect(text.contains("titan_task_memory_bytes{\(labels)} "))

                let agent = try await get(port, "/v1/agent")
                let body = try TitanJSON.decoder().decode(AgentRegistration.self, from: Data(agent.body))
                #expect(body.agentID == "http-test-host")
                #expect(body.runningTasks.map(\.taskID) == [key.taskID])
                #expect(try await get(port, "/healthz").bodyText == "ok\n")
            }
            await harness.supervisor.kill(taskID: key.taskID, attempt: 0, gracePeriod: .seconds(1), reason: "done")
            _ = try await harness.finished(key)
        }
    }

    @Test("each run's metadata address shows that run only; an unknown address is a 404")
    func metadataViews() async throws {
        let harness = try SupervisorHarness(runtimes: [try processRuntime()])
        let first = RunKey(taskID: uniqueTaskID(), attempt: 0)
        let second = RunKey(taskID: uniqueTaskID(), attempt: 1)
        try await withMetadataServer(harness) {
            try await harness.running { harness in
                for key in [first, second] {
                    await harness.supervisor.launch(
                        taskID: key.taskID,
                        attempt: key.attempt,
                        spec: launchSpec(
                            command: ["/bin/sh", "-c", "echo $TITAN_METADATA_URL; exec sleep 30"],
                            ports: [32000 + key.attempt]
                        )
                    )
                }
                var urls: [RunKey: String] = [:]
                for key in [first, second] {
                    let stdout = harness.supervisor.logs.directory(key) + "/stdout"
                    try await eventually("\(key) printed its metadata address") {
                        readTrimmed(stdout)?.isEmpty == false
                    }
                    urls[key] = readTrimmed(stdout)
                }
                #expect(urls[first] != urls[second])
                for key in [first, second] {
                    let url = try #require(urls[key])
                    let document = try await HTTPClient.shared.execute(HTTPRequest(url: url))
                    let metadata = try TitanJSON.decoder().decode(TaskMetadata.self, from: Data(document.body))
                    #expect(metadata.taskID == key.taskID)
                    #expect(metadata.attempt == key.attempt)
                    #expect(metadata.ports == [32000 + key.attempt])
                    #expect(metadata.zone == "zone-t")
                    #expect(metadata.runtime == "process")
                    let field = try await HTTPClient.shared.execute(HTTPRequest(url: url + "/ports"))
                    #expect(field.bodyText == "\(32000 + key.attempt)")
                    let unknown = try await HTTPClient.shared.execute(HTTPRequest(url: url + "/nonsense"))
                    #expect(unknown.statusCode == 404)
                    #expect(unknown.bodyText.contains("the fields are taskID, attempt"))
                }
                let guess = try await HTTPClient.shared.execute(
                    HTTPRequest(url: "http://127.0.0.1:\(harness.metadataPort)/v1/metadata/\(first.taskID)")
                )
                #expect(guess.statusCode == 404)
                for key in [first, second] {
                    await harness.supervisor.kill(
                        taskID: key.taskID,
                        attempt: key.attempt,
                        gracePeriod: .seconds(1),
                        reason: "done"
                    )
                    _ = try await harness.finished(key)
                }
                // A finished run's address answers no more.
                let gone = try await HTTPClient.shared.execute(HTTPRequest(url: try #require(urls[first])))
                #expect(gone.statusCode == 404)
            }
        }
    }

    @Test("a finished run's logs go to the archive directory and are served from there")
    func archivedLogs() async throws {
        let archiveDirectory = TemporaryDirectory("titan-archive")
        let archive = DirectoryLogArchive(directory: archiveDirectory.path)
        let harness = try SupervisorHarness(runtimes: [try processRuntime()], archive: archive)
        let key = RunKey(taskID: uniqueTaskID(), attempt: 2)
        let port = freePort()
        try await harness.running { harness in
            let router = AgentHTTPServer.router(
                supervisor: harness.supervisor,
                identity: identity,
                registration: RegistrationGate()
            )
            await harness.supervisor.launch(
                taskID: key.taskID,
                attempt: 2,
                spec: launchSpec(command: ["/bin/sh", "-c", "echo archived-line; echo note > $TITAN_LOG_DIR/app.log"])
            )
            _ = try await harness.finished(key)
            let archived = archiveDirectory.path + "/\(key.taskID)/2"
            try await eventually("the logs are archived") {
                FileManager.default.fileExists(atPath: archived + "/stdout")
            }
            #expect(readTrimmed(archived + "/stdout") == "archived-line")
            #expect(readTrimmed(archived + "/files/app.log") == "note")
            try await eventually("the local copy is removed") {
                !FileManager.default.fileExists(atPath: harness.supervisor.logs.directory(key))
            }
            let record = try #require(try harness.supervisor.records.load(key))
            #expect(record.logsArchived)
            try await withServer(router, port: port) {
                let response = try await get(port, "/v1/tasks/\(key.taskID)/logs?stream=stdout")
                #expect(response.statusCode == 200)
                #expect(response.headers["Titan-Task-Attempt"] == "2")
                #expect(response.bodyText == "archived-line\n")
            }
        }
    }
}
