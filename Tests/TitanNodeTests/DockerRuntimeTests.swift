import Foundation
import Testing
import TitanDocker
import TitanLogFiles
import TitanModel

@testable import TitanNode

/// The Docker runtime against the real engine scripts/test starts, supervised as the agent does.
@Suite("Docker runtime", .enabled(if: DockerTestEngine.isEnabled))
struct DockerRuntimeTests {
    /// A Docker runtime for a test, under an agent id of its own so tests never see each
    /// other's containers.
    private func dockerRuntime(
        agentID: HostID = HostID("docker-test-\(UUID().uuidString.prefix(8).lowercased())"),
        policy: LogRotationPolicy = LogRotationPolicy()
    ) throws -> DockerTaskRuntime {
        DockerTaskRuntime(
            docker: try DockerTestEngine.client(),
            agentID: agentID,
            networkMode: .host,
            logPolicy: policy,
            logger: quietLogger
        )
    }

    /// Removes every container the runtime's agent made, also when the test failed.
    private func removeContainers(of runtime: DockerTaskRuntime) async {
        let docker = runtime.docker
        for container
            in (try? await docker.listContainers(labels: [DockerTaskRuntime.Label.agent: runtime.agentID.rawValue]))
            ?? []
        {
            try? await docker.removeContainer(container.id, force: true, removeVolumes: true)
        }
    }

    @Test("a container gets the run's limits, labels, environment, log volume and init, and its exit code is reported")
    func containerConfiguration() async throws {
        let runtime = try dockerRuntime()
        defer { Task { await removeContainers(of: runtime) } }
        let harness = try SupervisorHarness(runtimes: [runtime])
        let key = RunKey(taskID: uniqueTaskID(), attempt: 1)
        try await harness.running { harness in
            await harness.supervisor.launch(
                taskID: key.taskID,
                attempt: key.attempt,
                spec: launchSpec(
                    image: DockerTestEngine.image,
                    command: ["sh", "-c", "echo $TITAN_TASK_ID:$TITAN_PORT0 > $TITAN_LOG_DIR/app.log; sleep 30"],
                    environment: ["MODE": "test"],
                    cpus: 0.5,
                    memoryMB: 96,
                    ports: [31500]
                )
            )
            try await eventually("started") { harness.updates(key).contains { $0.state == .started } }
            let containerID = try #require(await harness.supervisor.liveRecord(key)?.containerID)
            let details = try await runtime.docker.inspectContainer(ContainerID(containerID))
            #expect(details.name == "titan-\(key.taskID).1")
            #expect(details.limits.cpu == .quota(.microseconds(50_000), period: .microseconds(100_000)))
            #expect(details.limits.cpuShares == 512)
            #expect(details.limits.memoryBytes == 96 << 20)
            #expect(details.networkMode == .host)
            #expect(details.runsInit)
            #expect(details.labels["titan.task"] == key.taskID.rawValue)
            #expect(details.labels["titan.attempt"] == "1")
            #expect(details.labels["titan.agent"] == runtime.agentID.rawValue)
            #expect(details.environment["MODE"] == "test")
            #expect(details.environment["TITAN_PORT0"] == "31500")
            #expect(details.environment["TITAN_LOG_DIR"] == "/titan/logs")
            #expect(details.portBindings.contains { $0.containerPort == 31500 && $0.hostPort == 31500 })
            #expect(
                details.mounts.contains {
                    $0.target == "/titan/logs" && $0.source == harness.supervisor.logs.filesDirectory(key)
                }
            )
            #expect(details.logDriver?.name == "json-file")
            let appLog = harness.supervisor.logs.filesDirectory(key) + "/app.log"
            try await eventually("the task wrote into its log volume") {
                FileManager.default.fileExists(atPath: appLog)
            }
            #expect(readTrimmed(appLog) == "\(key.taskID):31500")

            await harness.supervisor.kill(
                taskID: key.taskID,
                attempt: key.attempt,
                gracePeriod: .seconds(5),
                reason: "test over"
            )
            let finished = try await harness.finished(key)
            #expect(finished.reason == .killed)
            // Released: the container is removed once the end is reported.
            try await eventually("the container is removed") {
                (try? await runtime.docker.inspectContainer(ContainerID(containerID))) == nil
            }
        }
    }

    @Test("exit codes become succeeded and failed; output lands in the run's stdout and stderr files")
    func exitCodesAndOutput() async throws {
        let runtime = try dockerRuntime()
        defer { Task { await removeContainers(of: runtime) } }
        let harness = try SupervisorHarness(runtimes: [runtime])
        let good = RunKey(taskID: uniqueTaskID(), attempt: 0)
        let bad = RunKey(taskID: uniqueTaskID(), attempt: 0)
        try await harness.running { harness in
            await harness.supervisor.launch(
                taskID: good.taskID,
                attempt: 0,
                spec: launchSpec(
                    image: DockerTestEngine.image,
                    command: ["sh", "-c", "echo out-1; echo err-1 >&2; echo out-2"]
                )
            )
            await harness.supervisor.launch(
                taskID: bad.taskID,
                attempt: 0,
                spec: launchSpec(image: DockerTestEngine.image, command: ["sh", "-c", "exit 42"])
            )
            let succeeded = try await harness.finished(good)
            #expect(succeeded.reason == .succeeded)
            #expect(succeeded.exitCode == 0)
            let failed = try await harness.finished(bad)
            #expect(failed.reason == .failed)
            #expect(failed.exitCode == 42)
            #expect(failed.message == "exited with status 42")
            let directory = harness.supervisor.logs.directory(good)
            #expect(try String(contentsOfFile: directory + "/stdout", encoding: .utf8) == "out-1\nout-2\n")
            #expect(try String(contentsOfFile: directory + "/stderr", encoding: .utf8) == "err-1\n")
        }
    }

    @Test("an image that is not on the engine fails the run at once with a message saying so")
    func missingImage() async throws {
        let runtime = try dockerRuntime()
        let harness = try SupervisorHarness(runtimes: [runtime])
        let key = RunKey(taskID: uniqueTaskID(), attempt: 0)
        try await harness.running { harness in
            await harness.supervisor.launch(
                taskID: key.taskID,
                attempt: 0,
                spec: launchSpec(image: "titan-test/not-there:1.0", command: ["true"])
            )
            let finished = try await harness.finished(key, timeout: .seconds(30))
            #expect(finished.reason == .failed)
            let message = try #require(finished.message)
            #expect(message.hasPrefix("image titan-test/not-there:1.0 is not on this host's Docker engine"))
            #expect(harness.updates(key).map(\.state) == [.startInitiated, .finished])
        }
    }

    @Test("a container over its memory limit is reported OOM-killed")
    func oomKilled() async throws {
        let runtime = try dockerRuntime()
        defer { Task { await removeContainers(of: runtime) } }
        let harness = try SupervisorHarness(runtimes: [runtime])
        let key = RunKey(taskID: uniqueTaskID(), attempt: 0)
        try await harness.running { harness in
            await harness.supervisor.launch(
                taskID: key.taskID,
                attempt: 0,
                spec: launchSpec(
                    image: DockerTestEngine.image,
                    command: ["sh", "-c", "head -c 300m /dev/zero | tail"],
                    memoryMB: 32
                )
            )
            let finished = try await harness.finished(key)
            #expect(finished.reason == .oomKilled)
            #expect(finished.exitCode == 137)
        }
    }

    @Test("a kill stops the container with SIGTERM first, which the command can handle")
    func killWithSigterm() async throws {
        let runtime = try dockerRuntime()
        defer { Task { await removeContainers(of: runtime) } }
        let harness = try SupervisorHarness(runtimes: [runtime])
        let key = RunKey(taskID: uniqueTaskID(), attempt: 0)
        try await harness.running { harness in
            await harness.supervisor.launch(
                taskID: key.taskID,
                attempt: 0,
                spec: launchSpec(
                    image: DockerTestEngine.image,
                    command: ["sh", "-c", "trap 'echo got-term; exit 5' TERM; echo ready; while :; do sleep 1; done"]
                )
            )
            let stdout = harness.supervisor.logs.directory(key) + "/stdout"
            try await eventually("the command is ready") { readTrimmed(stdout) == "ready" }
            await harness.supervisor.kill(
                taskID: key.taskID,
                attempt: 0,
                gracePeriod: .seconds(10),
                reason: "job killed"
            )
            let finished = try await harness.finished(key)
            #expect(finished.reason == .killed)
            #expect(finished.exitCode == 5)
            #expect(try String(contentsOfFile: stdout, encoding: .utf8) == "ready\ngot-term\n")
        }
    }

    @Test("a container killed through the engine by someone else is reported failed, naming the signal")
    func externalKill() async throws {
        let runtime = try dockerRuntime()
        defer { Task { await removeContainers(of: runtime) } }
        let harness = try SupervisorHarness(runtimes: [runtime])
        let key = RunKey(taskID: uniqueTaskID(), attempt: 0)
        try await harness.running { harness in
            await harness.supervisor.launch(
                taskID: key.taskID,
                attempt: 0,
                spec: launchSpec(image: DockerTestEngine.image, command: ["sleep", "60"])
            )
            try await eventually("started") { harness.updates(key).contains { $0.state == .started } }
            let containerID = try #require(await harness.supervisor.liveRecord(key)?.containerID)
            try await runtime.docker.killContainer(ContainerID(containerID), signal: "SIGKILL")
            let finished = try await harness.finished(key)
            #expect(finished.reason == .failed)
            #expect(finished.exitCode == 137)
            #expect(finished.message?.contains("sent through the Docker engine by someone other than Titan") == true)
        }
    }

    @Test("the task listens on its assigned host port directly (host network)")
    func assignedPortReachable() async throws {
        let runtime = try dockerRuntime()
        defer { Task { await removeContainers(of: runtime) } }
        let harness = try SupervisorHarness(runtimes: [runtime])
        let key = RunKey(taskID: uniqueTaskID(), attempt: 0)
        let port = freePort()
        try await harness.running { harness in
            await harness.supervisor.launch(
                taskID: key.taskID,
                attempt: 0,
                spec: launchSpec(
                    image: DockerTestEngine.image,
                    command: ["sh", "-c", "echo hello-from-$TITAN_TASK_ID | nc -l -p $TITAN_PORT0"],
                    ports: [port]
                )
            )
            try await eventually("started") { harness.updates(key).contains { $0.state == .started } }
            var answer = ""
            try await eventually("the task answers on 127.0.0.1:\(port)") {
                answer = tcpRead(port: port) ?? ""
                return !answer.isEmpty
            }
            #expect(answer == "hello-from-\(key.taskID)\n")
            _ = try await harness.finished(key)
        }
    }

    @Test("the metadata address answers from inside the container with the run's own view")
    func metadataFromContainer() async throws {
        let runtime = try dockerRuntime()
        defer { Task { await removeContainers(of: runtime) } }
        let harness = try SupervisorHarness(runtimes: [runtime])
        let key = RunKey(taskID: uniqueTaskID(), attempt: 3)
        try await withMetadataServer(harness) {
            try await harness.running { harness in
                await harness.supervisor.launch(
                    taskID: key.taskID,
                    attempt: 3,
                    spec: launchSpec(
                        image: DockerTestEngine.image,
                        command: [
                            "sh", "-c",
                            "wget -q -O - $TITAN_METADATA_URL/taskID; echo; wget -q -O - $TITAN_METADATA_URL/zone; echo; wget -q -O - $TITAN_METADATA_URL",
                        ],
                        ports: [31777],
                        jobName: "meta-job"
                    )
                )
                _ = try await harness.finished(key)
                let output = try String(
                    contentsOfFile: harness.supervisor.logs.directory(key) + "/stdout",
                    encoding: .utf8
                )
                let lines = output.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false).map(
                    String.init
                )
                #expect(lines.count == 3, "the task printed \(output.debugDescription)")
                #expect(lines.first == key.taskID.rawValue)
                #expect(lines.dropFirst().first == "zone-t")
                let document: TaskMetadata
                do {
                    document = try TitanJSON.decoder().decode(TaskMetadata.self, from: Data((lines.last ?? "").utf8))
                } catch {
                    Issue.record(
                        "the metadata document is not readable (\(error)); the task printed \(output.debugDescription)"
                    )
                    return
                }
                #expect(document.taskID == key.taskID)
                #expect(document.attempt == 3)
                #expect(document.jobName == "meta-job")
                #expect(document.ports == [31777])
                #expect(document.host == "test-host")
                #expect(document.image == DockerTestEngine.image)
            }
        }
    }

    @Test("an agent restarted while its container runs finds it by label, reports nothing twice, and reports its end")
    func restartWithLiveContainer() async throws {
        let runtime = try dockerRuntime()
        defer { Task { await removeContainers(of: runtime) } }
        let work = TemporaryDirectory()
        let key = RunKey(taskID: uniqueTaskID(), attempt: 0)
        let release = work.file("release")
        // The container waits for a file we create after the restart, printing a line each time.
        let spec = launchSpec(
            image: DockerTestEngine.image,
            command: [
                "sh", "-c", "echo before; while [ ! -e /titan/logs/release ]; do sleep 0.2; done; echo after; exit 9",
            ]
        )
        let first = try SupervisorHarness(work: work, runtimes: [runtime])
        let containerID = try await first.running { harness in
            await harness.supervisor.launch(taskID: key.taskID, attempt: 0, spec: spec)
            let stdout = harness.supervisor.logs.directory(key) + "/stdout"
            try await eventually("the first output is captured") { readTrimmed(stdout) == "before" }
            return try #require(await harness.supervisor.liveRecord(key)?.containerID)
        }
        // The first agent is gone (its supervision cancelled, as on shutdown); the container runs on.
        #expect(try await runtime.docker.inspectContainer(ContainerID(containerID)).state.isRunning)
        #expect(first.updates(key).map(\.state) == [.startInitiated, .started])

        let secondRuntime = try dockerRuntime(agentID: runtime.agentID)
        let second = try SupervisorHarness(work: work, runtimes: [secondRuntime])
        #expect(await second.supervisor.recover() == 1)
        #expect(await second.supervisor.runningTasks().map(\.taskID) == [key.taskID])
        #expect(await second.supervisor.launch(taskID: key.taskID, attempt: 0, spec: spec) == .alreadyKnown)
        try await second.running { harness in
            try Data().write(to: URL(fileURLWithPath: harness.supervisor.logs.filesDirectory(key) + "/release"))
            let finished = try await harness.finished(key)
            #expect(finished.exitCode == 9)
            #expect(harness.updates(key).map(\.state) == [.startInitiated, .started, .finished])
            // Output from before and after the restart, each line once.
            let stdout = try String(contentsOfFile: harness.supervisor.logs.directory(key) + "/stdout", encoding: .utf8)
            #expect(stdout == "before\nafter\n")
        }
        _ = release
    }

    @Test("a run whose container ended while the agent was away is reported on restart")
    func endedWhileAway() async throws {
        let runtime = try dockerRuntime()
        defer { Task { await removeContainers(of: runtime) } }
        let work = TemporaryDirectory()
        let key = RunKey(taskID: uniqueTaskID(), attempt: 0)
        let first = try SupervisorHarness(work: work, runtimes: [runtime])
        let containerID = try await first.running { harness in
            await harness.supervisor.launch(
                taskID: key.taskID,
                attempt: 0,
                spec: launchSpec(image: DockerTestEngine.image, command: ["sh", "-c", "sleep 1; echo done; exit 4"])
            )
            try await eventually("started") { harness.updates(key).contains { $0.state == .started } }
            return try #require(await harness.supervisor.liveRecord(key)?.containerID)
        }
        _ = try await runtime.docker.waitForExit(of: ContainerID(containerID))
        let second = try SupervisorHarness(work: work, runtimes: [try dockerRuntime(agentID: runtime.agentID)])
        #expect(await second.supervisor.recover() == 0)
        try await second.running { harness in
            let finished = try await harness.finished(key)
            #expect(finished.reason == .failed)
            #expect(finished.exitCode == 4)
            #expect(readTrimmed(harness.supervisor.logs.directory(key) + "/stdout") == "done")
        }
    }

    @Test("a container removed while the agent was away is reported lost")
    func removedWhileAway() async throws {
        let runtime = try dockerRuntime()
        let work = TemporaryDirectory()
        let key = RunKey(taskID: uniqueTaskID(), attempt: 0)
        let first = try SupervisorHarness(work: work, runtimes: [runtime])
        let containerID = try await first.running { harness in
            await harness.supervisor.launch(
                taskID: key.taskID,
                attempt: 0,
                spec: launchSpec(image: DockerTestEngine.image, command: ["sleep", "60"])
            )
            try await eventually("started") { harness.updates(key).contains { $0.state == .started } }
            return try #require(await harness.supervisor.liveRecord(key)?.containerID)
        }
        try await runtime.docker.removeContainer(ContainerID(containerID), force: true)
        let second = try SupervisorHarness(work: work, runtimes: [try dockerRuntime(agentID: runtime.agentID)])
        await second.supervisor.recover()
        try await second.running { harness in
            let finished = try await harness.finished(key)
            #expect(finished.reason == .lost)
            #expect(finished.message?.contains("no longer exists") == true)
        }
    }

    @Test("a container of this agent with no run record (its directory lost) is adopted on restart")
    func adoptsUnrecordedContainer() async throws {
        let runtime = try dockerRuntime()
        defer { Task { await removeContainers(of: runtime) } }
        let work = TemporaryDirectory()
        let key = RunKey(taskID: uniqueTaskID(), attempt: 5)
        let first = try SupervisorHarness(work: work, runtimes: [runtime])
        try await first.running { harness in
            await harness.supervisor.launch(
                taskID: key.taskID,
                attempt: 5,
                spec: launchSpec(image: DockerTestEngine.image, command: ["sleep", "60"], ports: [31900])
            )
            try await eventually("started") { harness.updates(key).contains { $0.state == .started } }
        }
        try FileManager.default.removeItem(atPath: work.file("runs/\(key.fileName)"))
        let second = try SupervisorHarness(work: work, runtimes: [try dockerRuntime(agentID: runtime.agentID)])
        #expect(await second.supervisor.recover() == 1)
        let reports = await second.supervisor.runningTasks()
        #expect(reports.map(\.taskID) == [key.taskID])
        #expect(reports.first?.attempt == 5)
        #expect(reports.first?.ports == [31900])
    }

    @Test("usage of a running container is read from its cgroup")
    func containerUsage() async throws {
        let runtime = try dockerRuntime()
        defer { Task { await removeContainers(of: runtime) } }
        let harness = try SupervisorHarness(runtimes: [runtime])
        let key = RunKey(taskID: uniqueTaskID(), attempt: 0)
        try await harness.running { harness in
            await harness.supervisor.launch(
                taskID: key.taskID,
                attempt: 0,
                spec: launchSpec(
                    image: DockerTestEngine.image,
                    command: ["sh", "-c", "while :; do :; done"],
                    cpus: 0.25
                )
            )
            try await eventually("started") { harness.updates(key).contains { $0.state == .started } }
            _ = await harness.supervisor.sampleUsage()
            try await Task.sleep(for: .seconds(2))
            let sample = try #require(await harness.supervisor.sampleUsage().first)
            #expect(sample.cpuSeconds > 0.1)
            #expect(sample.cpuPercent > 2 && sample.cpuPercent < 32)
            #expect(sample.memoryBytes > 0)
            await harness.supervisor.kill(taskID: key.taskID, attempt: 0, gracePeriod: .seconds(1), reason: "done")
            _ = try await harness.finished(key)
        }
    }
}

/// Reads what a server on 127.0.0.1:port sends first (waiting up to 5 s); nil when nothing listens.
func tcpRead(port: Int) -> String? {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var timeout = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard connected == 0 else { return nil }
    var buffer = [UInt8](repeating: 0, count: 1024)
    let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
    return String(decoding: buffer[0..<max(0, count)], as: UTF8.self)
}
