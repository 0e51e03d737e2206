import CurlHTTP
import Foundation
import Testing

/// A test failure with a message.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs blocking work (starting a child, waiting for it to exit) on a thread of its own, so it
/// never holds one of Swift concurrency's cooperative threads while other tests wait for them.
func offCooperativePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(
    _ what: String,
    timeout: Duration = .seconds(15),
    _ condition: () async throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw TestFailure("timed out waiting until \(what)")
}

/// A fresh directory for one test's files.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("titanctl-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// An executable the build put beside the tests (`titanctl`, `titan-api`).
func builtExecutable(_ name: String) throws -> URL {
    var candidates: [URL] = []
    if let bundle = Bundle.main.executableURL { candidates.append(bundle.deletingLastPathComponent()) }
    candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
    for directory in candidates {
        for base in [
            directory, directory.deletingLastPathComponent(),
            directory.deletingLastPathComponent().deletingLastPathComponent(),
        ] {
            let candidate = base.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
    }
    throw TestFailure("\(name) is not built beside the tests (looked in \(candidates)); run swift build first")
}

/// A port on 127.0.0.1 that nothing listens on: bound, then let go.
func unusedPort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw TestFailure("socket() failed") }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard bound == 0 else { throw TestFailure("bind() failed") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
    }
    guard named == 0 else { throw TestFailure("getsockname() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// The real `titan-api` binary as a child process on a free port, with a SQLite file in a
/// fresh directory and (optionally) simulated hosts. Stopped by ``stop()``.
final class TitanAPIProcess: Sendable {
    let port: Int
    let directory: URL
    private let process: Process

    var url: String { "http://127.0.0.1:\(port)" }

    private init(port: Int, directory: URL, process: Process) {
        self.port = port
        self.directory = directory
        self.process = process
    }

    /// Starts titan-api with fast intervals and waits until it is ready.
    /// - Parameters:
    ///   - simulatedHosts: simulated hosts of 16 cpus, 64 GB and 1000 GB each.
    ///   - arguments: more options (autoscaling, say).
    static func start(simulatedHosts: Int = 2, arguments: [String] = []) async throws -> TitanAPIProcess {
        let executable = try builtExecutable("titan-api")
        let directory = try temporaryDirectory()
        let database = directory.appendingPathComponent("titan.db").path
        let (process, port) = try await offCooperativePool { () throws -> (Process, Int) in
            let process = Process()
            process.executableURL = executable
            process.arguments =
                [
                    "--port", "0", "--db", database, "--log-level", "error", "--simulate-hosts", String(simulatedHosts),
                    "--scheduling-interval", "0.2",
                ] + arguments
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            let line = readLine(output.fileHandleForReading)
            guard let colon = line.lastIndex(of: ":"), let port = Int(line[line.index(after: colon)...]) else {
                process.terminate()
                throw TestFailure("titan-api did not start; it printed \"\(line)\"")
            }
            return (process, port)
        }
        let server = TitanAPIProcess(port: port, directory: directory, process: process)
        let client = HTTPClient(configuration: HTTPClient.Configuration(retryPolicy: .never))
        try await eventually("titan-api is ready") {
            (try? await client.execute(HTTPRequest(url: server.url + "/readyz")).statusCode) == 200
        }
        if simulatedHosts > 0 {
            try await eventually("the simulated hosts registered") {
                guard let response = try? await client.execute(HTTPRequest(url: server.url + "/v1/hosts")) else {
                    return false
                }
                return response.bodyText.components(separatedBy: "\"state\":\"up\"").count - 1 == simulatedHosts
            }
        }
        return server
    }

    /// SIGKILL (a graceful shutdown takes seconds and is titan-api's own tests' business),
    /// then waits for the exit.
    func stop() async throws {
        let process = self.process
        kill(process.processIdentifier, SIGKILL)
        try await offCooperativePool { process.waitUntilExit() }
        try? FileManager.default.removeItem(at: directory)
    }

    private static func readLine(_ handle: FileHandle) -> String {
        var bytes: [UInt8] = []
        while true {
            let data = handle.readData(ofLength: 1)
            guard let byte = data.first, byte != UInt8(ascii: "\n") else { break }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Runs a test body against a fresh titan-api, stopping it afterwards (also on failure).
///
/// At most ``APISlots/limit`` run at once, so these tests leave the machine's two cores to
/// the timing-sensitive suites that run beside them (heartbeats of TitanAPITests).
func withAPI<T: Sendable>(
    simulatedHosts: Int = 2,
    arguments: [String] = [],
    _ body: (TitanAPIProcess) async throws -> T
) async throws -> T {
    await APISlots.shared.acquire()
    let api: TitanAPIProcess
    do {
        api = try await TitanAPIProcess.start(simulatedHosts: simulatedHosts, arguments: arguments)
    } catch {
        await APISlots.shared.release()
        throw error
    }
    do {
        let result = try await body(api)
        try await api.stop()
        await APISlots.shared.release()
        return result
    } catch {
        try? await api.stop()
        await APISlots.shared.release()
        throw error
    }
}

/// A counting semaphore for titan-api children.
actor APISlots {
    static let shared = APISlots()
    static let limit = 2

    private var inUse = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        if inUse < Self.limit {
            inUse += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty {
            inUse -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}

/// What one run of titanctl did.
struct RunResult: Sendable, CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String

    var description: String { "exit \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }
}

/// Runs the real titanctl binary.
///
/// The environment is clean: `PATH`, a fresh `HOME` (so no real config file is read), and
/// what `environment` adds; `TITAN_API` is not set unless given. Output goes to files, so a
/// large output never blocks the child. A run longer than `timeout` is killed.
func titanctl(
    _ arguments: [String],
    environment: [String: String] = [:],
    home: URL? = nil,
    standardInput: Data? = nil,
    timeout: TimeInterval = 60
) async throws -> RunResult {
    let executable = try builtExecutable("titanctl")
    return try await runChild(
        executable: executable,
        arguments: arguments,
        environment: environment,
        home: home,
        standardInput: standardInput,
        timeout: timeout
    )
}

/// Runs the real titan-api binary to its exit (for options it refuses), in a clean environment
/// as ``titanctl(_:environment:home:standardInput:timeout:)`` does.
func titanAPI(_ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 60) async throws
    -> RunResult
{
    try await runChild(
        executable: try builtExecutable("titan-api"),
        arguments: arguments,
        environment: environment,
        home: nil,
        standardInput: nil,
        timeout: timeout
    )
}

/// Runs titanctl on a pseudo-terminal (through `script`), as a person at a terminal would;
/// standard output and error arrive together.
func titanctlOnTerminal(
    _ arguments: [String],
    environment: [String: String] = [:],
    timeout: TimeInterval = 60
) async throws -> RunResult {
    let executable = try builtExecutable("titanctl")
    let command = ([executable.path] + arguments).map(shellQuoted).joined(separator: " ")
    return try await runChild(
        executable: URL(fileURLWithPath: "/usr/bin/script"),
        arguments: ["-qec", command, "/dev/null"],
        environment: environment.merging(["TERM": "xterm-256color"]) { given, _ in given },
        home: nil,
        standardInput: nil,
        timeout: timeout
    )
}

func shellQuoted(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

private func runChild(
    executable: URL,
    arguments: [String],
    environment: [String: String],
    home: URL?,
    standardInput: Data?,
    timeout: TimeInterval
) async throws -> RunResult {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let homeDirectory = home ?? directory.appendingPathComponent("home")
    try FileManager.default.createDirectory(at: homeDirectory, withIntermediateDirectories: true)
    let outURL = directory.appendingPathComponent("stdout")
    let errURL = directory.appendingPathComponent("stderr")
    let inURL = directory.appendingPathComponent("stdin")
    try Data().write(to: outURL)
    try Data().write(to: errURL)
    try (standardInput ?? Data()).write(to: inURL)
    var childEnvironment = [
        "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": homeDirectory.path,
    ]
    childEnvironment.merge(environment) { _, given in given }
    let finalEnvironment = childEnvironment
    let status = try await offCooperativePool { () throws -> Int32 in
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = finalEnvironment
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        let input = try FileHandle(forReadingFrom: inURL)
        defer {
            try? out.close()
            try? err.close()
            try? input.close()
        }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        let finished = DispatchSemaphore(value: 0)
        let watchdog = Thread {
            if finished.wait(timeout: .now() + timeout) == .timedOut { process.terminate() }
        }
        watchdog.start()
        process.waitUntilExit()
        finished.signal()
        return process.terminationStatus
    }
    return RunResult(
        status: status,
        stdout: String(decoding: (try? Data(contentsOf: outURL)) ?? Data(), as: UTF8.self),
        stderr: String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self)
    )
}
