import CurlHTTP
import Foundation
import Testing
import TitanDocker
import TitanModel

/// The real Docker engine scripts/test starts, and the image it imports.
enum DockerEngine {
    private static let environment = ProcessInfo.processInfo.environment

    static var socketPath: String? { environment["TITAN_TEST_DOCKER_SOCKET"].flatMap { $0.isEmpty ? nil : $0 } }
    static var image: String { environment["TITAN_TEST_DOCKER_IMAGE"] ?? "titan-test/busybox:latest" }
    /// Whether the Docker test runs (it fails without an engine when daemons are required).
    static var isEnabled: Bool { socketPath != nil || environment["TITAN_REQUIRE_DAEMONS"] == "1" }

    static func socket() throws -> String {
        guard let socketPath else {
            throw EndToEndFailure(
                "TITAN_REQUIRE_DAEMONS=1 but TITAN_TEST_DOCKER_SOCKET is not set: run scripts/test, which starts "
                    + "a private Docker engine and imports the test image"
            )
        }
        return socketPath
    }

    /// An image whose default command prints a greeting with its task id, then a tick every 0.2 s
    /// (a job names an image or a command, not both, so the command is the image's). Made with
    /// the engine's commit from the test image; no registry needed.
    static func makeTickerImage(socket: String) async throws -> String {
        let tag = "t" + UUID().uuidString.prefix(8).lowercased()
        let reference = "titan-e2e/ticker:\(tag)"
        let http = HTTPClient.shared
        func call(_ method: HTTPMethod, _ path: String, body: String? = nil) async throws -> HTTPResponse {
            let response = try await http.execute(
                HTTPRequest(
                    method: method,
                    url: "http://localhost" + path,
                    headers: body == nil ? [:] : ["Content-Type": "application/json"],
                    body: body.map { Array($0.utf8) },
                    unixSocketPath: socket
                )
            )
            guard response.isSuccess else {
                throw EndToEndFailure(
                    "the engine answered \(method) \(path) with \(response.statusCode): \(response.bodyText)"
                )
            }
            return response
        }
        let created = try await call(.post, "/containers/create", body: #"{"Image": "\#(image)", "Cmd": ["true"]}"#)
        struct Created: Decodable { var Id: String }
        let container = try JSONDecoder().decode(Created.self, from: Data(created.body)).Id
        let command =
            #"CMD ["sh", "-c", "echo hello from $TITAN_TASK_ID on port $TITAN_PORT0; while true; do echo tick; sleep 0.2; done"]"#
        let changes = command.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        var commitError: (any Error)?
        do {
            _ = try await call(
                .post,
                "/commit?container=\(container)&repo=titan-e2e/ticker&tag=\(tag)&changes=\(changes)",
                body: "{}"
            )
        } catch {
            commitError = error
        }
        _ = try await call(.delete, "/containers/\(container)?force=true")
        if let commitError { throw commitError }
        return reference
    }
}

/// The pids of `/bin/sh` processes whose arguments include `marker` (the tasks, not the task
/// shims that started them, whose arguments repeat the command).
func processes(containing marker: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry -> Int32? in
        guard let pid = Int32(entry), let bytes = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
        else { return nil }
        let arguments = bytes.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        return arguments.first == "/bin/sh" && arguments.contains(marker) ? pid : nil
    }
}

/// `titanctl job create` → titan-api → titan-agent → a running task → `titanctl task logs` →
/// `titanctl job kill` → the task gone and reported killed, with every part the real binary.
@Suite("End to end: titanctl, titan-api and titan-agent", .serialized)
struct EndToEndTests {
    @Test("a command job runs as a process, its output reaches titanctl (also followed), and a kill leaves nothing")
    func commandJobThroughProcessRuntime() async throws {
        try await LocalCluster.with { cluster in
            let agentID = "e2e-proc-" + UUID().uuidString.prefix(6).lowercased()
            _ = try await cluster.startAgent(id: agentID, dockerSocket: nil)
            let marker = "e2e-marker-" + UUID().uuidString.prefix(8).lowercased()
            let jobID = try await cluster.createJob(
                #"""
                {"name": "hello", "instances": 1, "cpus": 0.1, "memory": 64, "ports": 1,
                 "command": ["/bin/sh", "-c", "echo hello from $TITAN_TASK_ID on port $TITAN_PORT0; while true; do echo tick; sleep 0.2; done", "\#(marker)"]}
                """#
            )
            let taskID = TaskInstanceID(job: jobID, index: 0)
            let started = try await cluster.task(taskID).task
            #expect(started.state == .started)
            #expect(started.host?.rawValue == agentID)
            #expect(started.ports.count == 1)
            #expect(processes(containing: marker).count == 1, "the task runs as one process on this host")

            var logs = TitanctlResult(status: -1, stdout: "", stderr: "")
            try await eventually("titanctl task logs shows the greeting and ticks") {
                logs = try await cluster.titanctl(["task", "logs", taskID.rawValue])
                return logs.stdout.contains("tick")
            }
            #expect(logs.status == 0)
            #expect(logs.stdout.hasPrefix("hello from \(taskID) on port \(started.ports.first ?? 0)\n"))

            let followed = try cluster.startTitanctl(
                ["task", "logs", "-f", "--tail", "1", taskID.rawValue],
                name: "follow"
            )
            try await eventually("the followed stream shows new ticks") {
                followed.output.components(separatedBy: "tick").count > 3
            }
            #expect(followed.isRunning, "a followed stream stays open while the task runs")

            let killed = try await cluster.titanctl(["job", "kill", jobID.rawValue])
            #expect(killed.status == 0, "\(killed)")
            var finished = started
            try await eventually("the task is reported finished") {
                finished = try await cluster.task(taskID).task
                return finished.state == .finished
            }
            #expect(finished.finishReason == .killed)
            #expect(try await followed.exitStatus() == 0, "the followed stream ends with the task")
            try await eventually("the task's process is gone") { processes(containing: marker).isEmpty }
        }
    }

    @Test(
        "an image job runs as a container with its limits; it survives an agent restart, its logs reach titanctl, a kill removes it",
        .enabled(if: DockerEngine.isEnabled)
    )
    func imageJobThroughDockerRuntime() async throws {
        let socket = try DockerEngine.socket()
        let docker = DockerClient(socketPath: socket)
        let image = try await DockerEngine.makeTickerImage(socket: socket)
        let agentID = "e2e-docker-" + UUID().uuidString.prefix(6).lowercased()
        try await LocalCluster.with { cluster in
            let agent = try await cluster.startAgent(id: agentID, dockerSocket: socket)
            let jobID = try await cluster.createJob(
                #"{"name": "ticker", "image": "\#(image)", "instances": 1, "cpus": 0.5, "memory": 64, "ports": 1}"#
            )
            let taskID = TaskInstanceID(job: jobID, index: 0)
            let started = try await cluster.task(taskID).task
            #expect(started.state == .started)
            #expect(started.host?.rawValue == agentID)
            let port = try #require(started.ports.first)

            // The engine runs it, with the job's limits and the task's environment.
            let containers = try await docker.listContainers(labels: ["titan.task": taskID.rawValue])
            #expect(containers.count == 1)
            let container = try #require(containers.first)
            let details = try await docker.inspectContainer(container.id)
            #expect(details.state.isRunning)
            #expect(details.limits.memoryBytes == 64 << 20)
            #expect(details.limits.cpu == .quota(.milliseconds(50), period: .milliseconds(100)))
            #expect(details.limits.cpuShares == 512)
            #expect(details.environment["TITAN_TASK_ID"] == taskID.rawValue)
            #expect(details.environment["TITAN_PORT0"] == String(port))

            try await eventually("titanctl task logs shows the container's greeting") {
                try await cluster.titanctl(["task", "logs", taskID.rawValue]).stdout
                    .hasPrefix("hello from \(taskID) on port \(port)\n")
            }

            // The agent restarts while the container runs: the new one finds it again; nothing
            // is started twice and the task stays on its first attempt.
            #expect(await agent.stop() == 0)
            #expect(
                try await docker.inspectContainer(container.id).state.isRunning,
                "the container outlives the agent"
            )
            _ = try await cluster.startAgent(id: agentID, dockerSocket: socket)
            try await Task.sleep(for: .seconds(2))
            let afterRestart = try await cluster.task(taskID).task
            #expect(afterRestart.state == .started)
            #expect(afterRestart.attempt == 0)
            #expect(
                try await docker.listContainers(labels: ["titan.task": taskID.rawValue]).map(\.id) == [container.id]
            )

            let followed = try cluster.startTitanctl(
                ["task", "logs", "-f", "--tail", "1", taskID.rawValue],
                name: "follow"
            )
            try await eventually("the followed stream through the restarted agent shows new ticks") {
                followed.output.components(separatedBy: "tick").count > 3
            }

            let killed = try await cluster.titanctl(["job", "kill", jobID.rawValue])
            #expect(killed.status == 0, "\(killed)")
            var finished = afterRestart
            try await eventually("the task is reported finished") {
                finished = try await cluster.task(taskID).task
                return finished.state == .finished
            }
            #expect(finished.finishReason == .killed)
            try await eventually("the container is removed") {
                try await docker.listContainers(labels: ["titan.task": taskID.rawValue]).isEmpty
            }
            #expect(try await followed.exitStatus() == 0, "the followed stream ends with the task")
        }
        for leftover in (try? await docker.listContainers(labels: ["titan.agent": agentID])) ?? [] {
            try? await docker.removeContainer(leftover.id, force: true)
        }
        try? await docker.removeImage(ImageReference(image), force: true)
    }

    @Test("an agent with --stop-tasks-on-exit stops its tasks on SIGTERM and the API hears they were killed")
    func stopTasksOnExit() async throws {
        try await LocalCluster.with { cluster in
            let agentID = "e2e-stop-" + UUID().uuidString.prefix(6).lowercased()
            let agent = try await cluster.startAgent(
                id: agentID,
                dockerSocket: nil,
                extraArguments: ["--stop-tasks-on-exit"]
            )
            let marker = "e2e-marker-" + UUID().uuidString.prefix(8).lowercased()
            let jobID = try await cluster.createJob(
                #"""
                {"name": "sleeper", "instances": 2, "cpus": 0.1, "memory": 32,
                 "command": ["/bin/sh", "-c", "while true; do sleep 0.2; done", "\#(marker)"]}
                """#
            )
            #expect(processes(containing: marker).count == 2)
            #expect(await agent.stop() == 0)
            #expect(processes(containing: marker).isEmpty, "no task outlives the agent")
            for index in 0..<2 {
                let task = try await cluster.task(TaskInstanceID(job: jobID, index: index)).task
                #expect(task.state == .finished)
                #expect(task.finishReason == .killed)
                #expect(task.message?.contains("the agent is shutting down") == true)
            }
        }
    }
}
