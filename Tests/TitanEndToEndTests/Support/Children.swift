import CurlHTTP
import Foundation
import Synchronization
import Testing
import TitanModel

/// A test failure with a message.
struct EndToEndFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Polls `condition` until it holds; fails after `timeout` (a guard against hangs, not a speed
/// check: the machine may be busy).
func eventually(
    _ what: String,
    timeout: Duration = .seconds(60),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw EndToEndFailure("timed out after \(timeout) waiting until \(what)")
}

/// A fresh directory for one test's files, removed by ``remove()``.
struct ScratchDirectory: Sendable {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "titan-e2e-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// An executable the build put beside the tests (`titan-api`, `titan-agent`, `titanctl`).
func builtExecutable(_ name: String) throws -> String {
    var candidates: [URL] = []
    if let bundle = Bundle.main.executableURL { candidates.append(bundle.deletingLastPathComponent()) }
    candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
    for directory in candidates {
        for base in [
            directory, directory.deletingLastPathComponent(),
            directory.deletingLastPathComponent().deletingLastPathComponent(),
        ] {
            let candidate = base.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
        }
    }
    throw EndToEndFailure("\(name) is not built beside the tests (looked in \(candidates)); run swift build first")
}

/// A port on 127.0.0.1 that nothing listens on: bound, then let go.
func unusedPort() -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
    }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// The environment children get: the test's, without the variables our executables read.
func childEnvironment() -> [String: String] {
    ProcessInfo.processInfo.environment.filter {
        !$0.key.hasPrefix("TITAN_") && $0.key != "DOCKER_HOST"
    }
}

/// One of our executables as a child process, its output in files of the test's directory.
final class ChildProcess: Sendable {
    let name: String
    let outputPath: String
    let errorPath: String
    private let process: Process

    init(_ executable: String, _ arguments: [String], directory: ScratchDirectory, name: String) throws {
        self.name = name
        outputPath = directory.file("\(name).out")
        errorPath = directory.file("\(name).err")
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try builtExecutable(executable))
        process.arguments = arguments
        process.environment = childEnvironment()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        try process.run()
        self.process = process
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
    var errors: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }

    /// Sends `signal` and waits for the exit; SIGKILL if it has not exited after `timeout`.
    @discardableResult
    func stop(_ signal: Int32 = SIGTERM, timeout: Duration = .seconds(60)) async -> Int32 {
        if process.isRunning { kill(process.processIdentifier, signal) }
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            while process.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
        }
        return process.terminationStatus
    }

    /// Waits for the child to exit on its own and returns its status.
    func exitStatus(timeout: Duration = .seconds(60)) async throws -> Int32 {
        try await eventually("\(name) exits") { !process.isRunning }
        return process.terminationStatus
    }
}

/// What one titanctl run did.
struct TitanctlResult: Sendable, CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String

    var description: String { "titanctl exited \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }
}

/// A titan-api, agents and titanctl, all real binaries, in one scratch directory.
final class LocalCluster: Sendable {
    let directory: ScratchDirectory
    let api: ChildProcess
    let apiURL: String
    /// Agents and titanctl streams started, so ``shutdown()`` leaves none behind.
    private let children = Mutex<[ChildProcess]>([])

    private init(directory: ScratchDirectory, api: ChildProcess, apiURL: String) {
        self.directory = directory
        self.api = api
        self.apiURL = apiURL
    }

    /// Runs `body` with a fresh cluster; afterwards (also when it throws) stops every child and
    /// removes the directory. A failure is recorded with the children's logs.
    static func with(_ body: (LocalCluster) async throws -> Void) async throws {
        let cluster = try await start()
        do {
            try await body(cluster)
        } catch {
            Issue.record("\(error)\n\(cluster.logs())")
        }
        await cluster.shutdown()
    }

    /// Starts titan-api on a free port with its state in the scratch directory.
    static func start() async throws -> LocalCluster {
        let directory = try ScratchDirectory()
        let api = try ChildProcess(
            "titan-api",
            [
                "--port", "0", "--db", directory.file("titan.db"), "--log-level", "warning",
                "--scheduling-interval", "0.2", "--heartbeat-interval", "1",
            ],
            directory: directory,
            name: "titan-api"
        )
        var url: String?
        do {
            try await eventually("titan-api says where it listens") {
                guard api.isRunning else { throw EndToEndFailure("titan-api exited: \(api.errors)") }
                url = api.output.split(separator: "\n").first { $0.contains("listening on") }
                    .flatMap { $0.split(separator: " ").last.map(String.init) }
                return url != nil
            }
        } catch {
            await api.stop(SIGKILL)
            directory.remove()
            throw error
        }
        return LocalCluster(directory: directory, api: api, apiURL: url ?? "")
    }

    /// Starts a titan-agent pointed at the API and waits until the API lists it up.
    func startAgent(
        id: String,
        dockerSocket: String?,
        extraArguments: [String] = []
    ) async throws -> ChildProcess {
        var arguments = [
            "--api", apiURL, "--agent-id", id, "--work-dir", directory.file("agent-\(id)"),
            "--listen", "127.0.0.1:\(unusedPort())", "--metadata-listen", "127.0.0.1:\(unusedPort())",
            "--log-level", "info", "--ports", "\(unusedPort()),\(unusedPort())",
        ]
        if let dockerSocket {
            arguments += ["--docker-socket", dockerSocket, "--no-processes"]
        } else {
            arguments += ["--no-docker"]
        }
        let agent = try ChildProcess(
            "titan-agent",
            arguments + extraArguments,
            directory: directory,
            name: "agent-\(id)-\(UUID().uuidString.prefix(4))"
        )
        children.withLock { $0.append(agent) }
        try await eventually("agent \(id) is up in titan-api") {
            guard agent.isRunning else { throw EndToEndFailure("titan-agent exited: \(agent.errors)") }
            let hosts = try await titanctl(["host", "list", "-o", "json"])
            return (try? TitanJSON.decoder().decode([HostSummary].self, from: Data(hosts.stdout.utf8)))?
                .contains { $0.id.rawValue == id && $0.state == .up } == true
        }
        return agent
    }

    /// Runs the real titanctl against this cluster's API.
    func titanctl(_ arguments: [String], timeout: Duration = .seconds(120)) async throws -> TitanctlResult {
        let child = try ChildProcess(
            "titanctl",
            arguments + ["--api", apiURL],
            directory: directory,
            name: "titanctl-\(UUID().uuidString.prefix(8))"
        )
        let status: Int32
        do {
            status = try await child.exitStatus(timeout: timeout)
        } catch {
            await child.stop(SIGKILL)
            throw EndToEndFailure("titanctl \(arguments.joined(separator: " ")) did not finish: \(child.errors)")
        }
        defer {
            try? FileManager.default.removeItem(atPath: child.outputPath)
            try? FileManager.default.removeItem(atPath: child.errorPath)
        }
        return TitanctlResult(status: status, stdout: child.output, stderr: child.errors)
    }

    /// Starts titanctl without waiting for it (a followed log stream).
    func startTitanctl(_ arguments: [String], name: String) throws -> ChildProcess {
        let child = try ChildProcess("titanctl", arguments + ["--api", apiURL], directory: directory, name: name)
        children.withLock { $0.append(child) }
        return child
    }

    /// Creates a job from a JSON spec through `titanctl job create --wait`; returns its id.
    func createJob(_ spec: String) async throws -> JobID {
        let path = directory.file("job-\(UUID().uuidString.prefix(8)).json")
        try spec.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try await titanctl(["job", "create", path, "--wait", "--timeout", "120", "-o", "json"])
        guard result.status == 0 else { throw EndToEndFailure("job create failed: \(result)") }
        return try TitanJSON.decoder().decode(JobDetail.self, from: Data(result.stdout.utf8)).job.id
    }

    /// One task as `titanctl task get -o json` shows it.
    func task(_ id: TaskInstanceID) async throws -> TaskDetail {
        let result = try await titanctl(["task", "get", id.rawValue, "-o", "json"])
        guard result.status == 0 else { throw EndToEndFailure("task get failed: \(result)") }
        return try TitanJSON.decoder().decode(TaskDetail.self, from: Data(result.stdout.utf8))
    }

    /// Stops every child still running (titanctl streams, agents, then the API) and removes the
    /// directory.
    func shutdown() async {
        for child in children.withLock({ $0 }).reversed() {
            await child.stop(child.name.hasPrefix("agent-") ? SIGTERM : SIGKILL)
        }
        await api.stop()
        directory.remove()
    }

    /// Every child's stderr, for a failure message.
    func logs() -> String {
        ([api] + children.withLock { $0 }).map { "--- \($0.name)\n\($0.errors.suffix(3000))" }
            .joined(separator: "\n")
    }
}
