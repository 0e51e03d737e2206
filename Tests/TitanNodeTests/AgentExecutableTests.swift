import CurlHTTP
import Foundation
import Testing
import TitanModel

@testable import TitanNode

/// The `titan-agent` executable itself: flags, config file, start-up without an API, shutdown.
@Suite("titan-agent executable")
struct AgentExecutableTests {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The test process's environment without the variables titan-agent reads, plus `extra`.
    static func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("TITAN_AGENT_") && $0.key != "TITAN_API" && $0.key != "DOCKER_HOST"
        }
        environment.merge(extra) { _, given in given }
        return environment
    }

    private func runAgent(_ arguments: [String], environment: [String: String] = [:]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try BuiltExecutable.path("titan-agent"))
        process.arguments = arguments
        process.environment = Self.environment(environment)
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus,
            stdout: String(decoding: out, as: UTF8.self),
            stderr: String(decoding: err, as: UTF8.self)
        )
    }

    private struct Printed: Decodable {
        var agentID: HostID
        var resources: HostResources
        var attributes: [String: String]
        var detectedFrom: [String]
    }

    @Test("--print-resources shows detected resources with the config file's and the flags' overrides")
    func printResources() throws {
        let work = TemporaryDirectory()
        let config = work.file("agent.json")
        try
            #"{"agentID": "from-file", "zone": "zone-file", "group": "main", "cpus": 1.5, "ports": "32000-32009", "scalars": {"gpu": 2}, "attributes": {"rack": "r1"}}"#
            .write(toFile: config, atomically: false, encoding: .utf8)
        let output = try runAgent([
            "--print-resources", "--config", config, "--work-dir", work.path, "--zone", "zone-flag",
            "--memory-mb", "2048", "--attribute", "rack=r9", "--instance-type", "m5.large",
        ])
        #expect(output.status == 0, "\(output.stderr)")
        let printed = try JSONDecoder().decode(Printed.self, from: Data(output.stdout.utf8))
        #expect(printed.agentID == "from-file")
        #expect(printed.resources.cpus == 1.5)
        #expect(printed.resources.memoryMB == 2048)
        #expect(printed.resources.diskGB > 0)
        #expect(printed.resources.portRanges == [PortRange(first: 32000, last: 32009)])
        #expect(printed.resources.scalars == ["gpu": 2])
        #expect(printed.attributes == ["zone": "zone-flag", "group": "main", "rack": "r9", "instanceType": "m5.large"])
        #expect(printed.detectedFrom.contains { $0.contains("/proc/meminfo") })
    }

    @Test("environment variables come between the flags and the config file")
    func environmentVariables() throws {
        let work = TemporaryDirectory()
        let config = work.file("agent.json")
        try #"{"agentID": "from-file", "zone": "zone-file"}"#.write(toFile: config, atomically: false, encoding: .utf8)
        let fromEnvironment = try runAgent(
            ["--print-resources", "--work-dir", work.path],
            environment: ["TITAN_AGENT_CONFIG": config, "TITAN_AGENT_ID": "from-env"]
        )
        #expect(fromEnvironment.status == 0, "\(fromEnvironment.stderr)")
        let printed = try JSONDecoder().decode(Printed.self, from: Data(fromEnvironment.stdout.utf8))
        #expect(printed.agentID == "from-env")
        #expect(printed.attributes["zone"] == "zone-file")
        let fromFlag = try runAgent(
            ["--print-resources", "--work-dir", work.path, "--agent-id", "from-flag"],
            environment: ["TITAN_AGENT_ID": "from-env"]
        )
        #expect(try JSONDecoder().decode(Printed.self, from: Data(fromFlag.stdout.utf8)).agentID == "from-flag")
        let tcpDocker = try runAgent(
            ["--print-resources", "--work-dir", work.path],
            environment: ["DOCKER_HOST": "tcp://10.0.0.1:2375"]
        )
        #expect(tcpDocker.status != 0)
        #expect(tcpDocker.stderr.contains("only on a unix socket"))
        let badLevel = try runAgent(["--print-resources"], environment: ["TITAN_AGENT_LOG_LEVEL": "loud"])
        #expect(badLevel.status != 0)
        #expect(badLevel.stderr.contains("TITAN_AGENT_LOG_LEVEL"))
    }

    @Test("a malformed flag or config file is refused with a message saying what is wrong")
    func badInput() throws {
        let ports = try runAgent(["--ports", "31000-x", "--print-resources"])
        #expect(ports.status != 0)
        #expect(ports.stderr.contains("--ports must be ranges such as 31000-31999"))
        let work = TemporaryDirectory()
        let config = work.file("agent.json")
        try #"{"cpus": "many"}"#.write(toFile: config, atomically: false, encoding: .utf8)
        let file = try runAgent(["--config", config, "--print-resources"])
        #expect(file.status != 0)
        #expect(file.stderr.contains("cpus"))
        let missing = try runAgent(["--config", work.file("absent.json"), "--print-resources"])
        #expect(missing.stderr.contains("does not exist"))
    }

    @Test("without an API the agent still starts, serves its endpoints, and stops cleanly on SIGTERM")
    func startsWithoutAPI() async throws {
        let work = TemporaryDirectory()
        let port = freePort()
        let metadataPort = freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try BuiltExecutable.path("titan-agent"))
        process.arguments = [
            "--agent-id", "lonely-host", "--api", "http://127.0.0.1:\(freePort())", "--work-dir", work.path,
            "--listen", "127.0.0.1:\(port)", "--metadata-listen", "127.0.0.1:\(metadataPort)", "--no-docker",
            "--log-level", "warning",
        ]
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        process.environment = Self.environment()
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        try await eventually("the agent serves /healthz") {
            (try? await HTTPClient.shared.execute(HTTPRequest(url: "http://127.0.0.1:\(port)/healthz")))?.bodyText
                == "ok\n"
        }
        let metrics = try await HTTPClient.shared.execute(HTTPRequest(url: "http://127.0.0.1:\(port)/metrics"))
        #expect(metrics.bodyText.contains("titan_agent_registered{agent=\"lonely-host\"} 0"))
        let agent = try await HTTPClient.shared.execute(HTTPRequest(url: "http://127.0.0.1:\(port)/v1/agent"))
        let body = try TitanJSON.decoder().decode(AgentRegistration.self, from: Data(agent.body))
        #expect(body.attributes["docker"] == "false")
        #expect(FileManager.default.fileExists(atPath: work.file("status.journal")))

        kill(process.processIdentifier, SIGTERM)
        try await eventually("the agent exits") { !process.isRunning }
        #expect(process.terminationStatus == 0)
        let log = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(log.contains("Cannot register with titan-api; retrying"))
    }
}
