import CurlHTTP
import Foundation

/// The `titan-api` binary as a child process, on a free port, so a test can SIGKILL it.
final class ChildServer: APIEndpoint, @unchecked Sendable {
    let port: Int
    let process: Process
    let client = HTTPClient(configuration: HTTPClient.Configuration(retryPolicy: .never))
    private let output: Pipe

    var baseURL: String { "http://127.0.0.1:\(port)" }

    private init(port: Int, process: Process, output: Pipe) {
        self.port = port
        self.process = process
        self.output = output
    }

    /// Starts `titan-api` on `databasePath` and waits for its "listening" line and readiness.
    static func start(databasePath: String, arguments: [String] = []) async throws -> ChildServer {
        let executable = try executableURL()
        let started = try await offCooperativePool { () throws -> (Process, Pipe, Int) in
            let process = Process()
            process.executableURL = executable
            process.arguments = ["--port", "0", "--db", databasePath, "--log-level", "error"] + arguments
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            let line = Self.readLine(output.fileHandleForReading)
            guard let colon = line.lastIndex(of: ":"), let port = Int(line[line.index(after: colon)...]) else {
                process.terminate()
                throw TestFailure("titan-api did not start; it printed \"\(line)\"")
            }
            return (process, output, port)
        }
        let server = ChildServer(port: started.2, process: started.0, output: started.1)
        try await eventually("titan-api is ready") { (try? await server.get("/readyz").statusCode) == 200 }
        return server
    }

    deinit {
        // A test that failed half-way must not leave the server running.
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// SIGKILL: no shutdown, no flush, nothing.
    func killHard() async throws {
        kill(process.processIdentifier, SIGKILL)
        let process = self.process
        try await offCooperativePool { process.waitUntilExit() }
    }

    /// SIGTERM, and the exit status once it has shut down.
    func terminate() async throws -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        let process = self.process
        return try await offCooperativePool {
            process.waitUntilExit()
            return process.terminationStatus
        }
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

    /// The `titan-api` the build put beside the tests.
    static func executableURL() throws -> URL {
        var candidates: [URL] = []
        if let bundle = Bundle.main.executableURL { candidates.append(bundle.deletingLastPathComponent()) }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        for directory in candidates {
            for base in [
                directory, directory.deletingLastPathComponent(),
                directory.deletingLastPathComponent().deletingLastPathComponent(),
            ] {
                let candidate = base.appendingPathComponent("titan-api")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            }
        }
        throw TestFailure("titan-api is not built beside the tests (looked in \(candidates)); run swift build first")
    }
}

/// Runs blocking work (waiting for a child process) on a thread of its own, so it never holds
/// one of Swift concurrency's cooperative threads while other tests wait for them.
func offCooperativePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
