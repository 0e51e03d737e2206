import Foundation
import Hummingbird
import Logging
import Testing
import TitanDocker
import TitanLogFiles
import TitanModel

@testable import TitanNode

/// A directory under /tmp removed when the test is done with it.
final class TemporaryDirectory: Sendable {
    let path: String

    init(_ label: String = "titan-node-test") {
        let template = NSTemporaryDirectory() + "\(label).XXXXXX"
        var bytes = Array(template.utf8CString)
        let made = bytes.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = made.map { String(cString: $0) } ?? template
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }
}

/// A logger that drops everything, as libraries' tests use (no global bootstrap).
let quietLogger = Logger(label: "titan-node-test") { _ in SwiftLogNoOpLogHandler() }

/// Polls `condition` until it holds; fails the test after `timeout` (a guard against hangs, not a
/// speed check).
func eventually(
    _ description: String,
    timeout: Duration = .seconds(60),
    every interval: Duration = .milliseconds(50),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: interval)
    }
    Issue.record("timed out after \(timeout) waiting until \(description)")
    throw TimedOut(description: description)
}

struct TimedOut: Error, CustomStringConvertible {
    var description: String
}

/// The built executables beside the test bundle (`titan-task-shim`, `titan-agent`).
enum BuiltExecutable {
    static func path(_ name: String) throws -> String {
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
        throw TimedOut(description: "\(name) is not built beside the tests (looked in \(candidates)); run swift build")
    }
}

/// The real Docker engine scripts/test starts, as TitanDockerTests use it.
enum DockerTestEngine {
    private static let environment = ProcessInfo.processInfo.environment

    static var socketPath: String? { environment["TITAN_TEST_DOCKER_SOCKET"].flatMap { $0.isEmpty ? nil : $0 } }
    static var image: String { environment["TITAN_TEST_DOCKER_IMAGE"] ?? "titan-test/busybox:latest" }
    static var daemonsRequired: Bool { environment["TITAN_REQUIRE_DAEMONS"] == "1" }
    /// Whether the Docker-backed tests run (they fail without an engine when daemons are required).
    static var isEnabled: Bool { socketPath != nil || daemonsRequired }

    static func client() throws -> DockerClient {
        guard let socketPath else {
            throw TimedOut(
                description: "TITAN_REQUIRE_DAEMONS=1 but TITAN_TEST_DOCKER_SOCKET is not set: run scripts/test, "
                    + "which starts a private Docker engine and imports the test image"
            )
        }
        return DockerClient(socketPath: socketPath)
    }
}

/// Whether this host lets the process runtime make cgroups (root, with cgroup v1 or v2 cpu and
/// memory controllers): true on the project's test machines.
enum CgroupTestHost {
    static var tree: CgroupTree? {
        guard getuid() == 0 else { return nil }
        // One fixed parent, so test runs do not each leave an empty parent cgroup behind.
        let tree = CgroupTree(layout: .detect(), parent: "titan-test")
        return tree.unavailableReason == nil ? tree : nil
    }
}

/// A free TCP port on 127.0.0.1 (bound and released; good enough for a test's own servers).
func freePort() -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
    }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A launch spec with test defaults.
func launchSpec(
    image: String? = nil,
    command: [String]? = nil,
    environment: [String: String] = [:],
    cpus: Double = 0.5,
    memoryMB: Int = 64,
    ports: [Int] = [],
    durationSeconds: Double? = nil,
    jobName: String = "test-job"
) -> LaunchSpec {
    LaunchSpec(
        jobID: "0192f1c4-aaaa-7bbb-8ccc-000000000001",
        jobName: jobName,
        image: image,
        command: command,
        environment: environment,
        cpus: cpus,
        memoryMB: memoryMB,
        diskGB: 1,
        networkMbps: 0,
        ports: ports,
        durationSeconds: durationSeconds,
        labels: [:]
    )
}

/// A fresh task id, so runs of different tests never share names.
func uniqueTaskID() -> TaskInstanceID {
    TaskInstanceID("t\(UUID().uuidString.lowercased().prefix(13))-0")
}

/// A supervisor over a work directory with the runtimes a test asks for, run by `body`'s caller.
struct SupervisorHarness: Sendable {
    let work: TemporaryDirectory
    let journal: StatusJournal
    let supervisor: TaskSupervisor
    let metadataPort: Int

    init(
        work: TemporaryDirectory = TemporaryDirectory(),
        runtimes: [any TaskRuntime],
        archive: (any LogArchive)? = nil,
        agentID: HostID = "test-host",
        attributes: [String: String] = ["zone": "zone-t"],
        metadataPort: Int = freePort()
    ) throws {
        self.work = work
        self.metadataPort = metadataPort
        journal = try StatusJournal(path: work.file("status.journal"))
        supervisor = TaskSupervisor(
            configuration: SupervisorConfiguration(
                agentID: agentID,
                attributes: attributes,
                workDirectory: work.path,
                metadataBaseURL: "http://127.0.0.1:\(metadataPort)",
                defaultKillGracePeriod: .seconds(5),
                maintenanceInterval: .seconds(3600)
            ),
            runtimes: runtimes,
            journal: journal,
            archive: archive,
            logger: quietLogger
        )
    }

    /// The statuses journaled for a run, in order.
    func updates(_ key: RunKey) -> [AgentStatusUpdate] {
        journal.pendingEntries().map(\.update).filter { $0.taskID == key.taskID && $0.attempt == key.attempt }
    }

    /// Waits for the run's `finished` update and returns it.
    func finished(_ key: RunKey, timeout: Duration = .seconds(60)) async throws -> AgentStatusUpdate {
        try await eventually("\(key) finished", timeout: timeout) {
            updates(key).contains { $0.state == .finished }
        }
        return try #require(updates(key).last { $0.state == .finished })
    }

    /// Runs `body` while the supervisor supervises (and, optionally, the metadata server
    /// serves); cancels both afterwards, as an agent shutdown would.
    func running<Result: Sendable>(
        _ body: @Sendable (SupervisorHarness) async throws -> Result
    ) async throws -> Result {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await supervisor.run() }
            defer { group.cancelAll() }
            return try await body(self)
        }
    }
}

/// The process runtime of the tests: the built shim, cgroups under a test-only parent where the
/// host has them.
func processRuntime(cgroups: CgroupTree? = CgroupTestHost.tree, policy: LogRotationPolicy = LogRotationPolicy())
    throws -> ProcessTaskRuntime
{
    ProcessTaskRuntime(
        shimPath: try BuiltExecutable.path("titan-task-shim"),
        cgroups: cgroups,
        logPolicy: policy,
        logger: quietLogger
    )
}

/// Runs `body` while an HTTP server with `router` listens on 127.0.0.1:`port`.
func withServer<Result: Sendable>(
    _ router: Router<BasicRequestContext>,
    port: Int,
    _ body: @Sendable () async throws -> Result
) async throws -> Result {
    let (ready, readyContinuation) = AsyncStream.makeStream(of: Void.self)
    let application = Application(
        router: router,
        configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: port)),
        onServerRunning: { _ in readyContinuation.yield() },
        logger: quietLogger
    )
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await application.runService(gracefulShutdownSignals: []) }
        for await _ in ready { break }
        defer { group.cancelAll() }
        return try await body()
    }
}

/// Runs `body` while the harness's supervisor serves metadata on its port.
func withMetadataServer<Result: Sendable>(
    _ harness: SupervisorHarness,
    _ body: @Sendable () async throws -> Result
) async throws -> Result {
    try await withServer(
        AgentHTTPServer.metadataRouter(supervisor: harness.supervisor),
        port: harness.metadataPort,
        body
    )
}
