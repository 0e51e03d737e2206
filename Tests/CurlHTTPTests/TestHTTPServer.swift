import Foundation

/// The Python HTTP server in `Server/`, started for one test and stopped after it.
///
/// It listens on 127.0.0.1 and on a unix socket in a fresh temporary directory, and exits when
/// its standard input closes, so it cannot outlive the test process.
struct TestHTTPServer: @unchecked Sendable {
    let port: Int
    let unixSocketPath: String
    private let process: Process
    private let input: Pipe
    private let directory: URL

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts the server and waits until it listens.
    /// - Parameters:
    ///   - port: a fixed port, or nil for an ephemeral one.
    ///   - listenAfter: seconds the server waits before listening; with it, start returns at once.
    static func start(port: Int? = nil, listenAfter: Double? = nil) throws -> TestHTTPServer {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Server/test_http_server.py")
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("curlhttp-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let socketPath = directory.appendingPathComponent("http.sock").path
        var arguments = [script.path, "--unix", socketPath]
        if let port { arguments += ["--port", String(port)] }
        if let listenAfter { arguments += ["--listen-after", String(listenAfter)] }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()

        var announced = port ?? 0
        if listenAfter == nil {
            let line = readLine(from: output.fileHandleForReading)
            guard line.hasPrefix("ready "), let listening = Int(line.dropFirst("ready ".count)) else {
                process.terminate()
                throw TestServerFailure(description: "the test HTTP server did not start; it printed \"\(line)\"")
            }
            announced = listening
        }
        return TestHTTPServer(
            port: announced,
            unixSocketPath: socketPath,
            process: process,
            input: input,
            directory: directory
        )
    }

    /// Stops the server (closing its input makes it exit) and removes its directory.
    func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }

    private static func readLine(from handle: FileHandle) -> String {
        var bytes: [UInt8] = []
        while true {
            let data = handle.readData(ofLength: 1)
            guard let byte = data.first, byte != UInt8(ascii: "\n") else { break }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

struct TestServerFailure: Error, CustomStringConvertible {
    let description: String
}

/// Runs `body` with a fresh test server and stops the server afterwards, also on failure.
func withTestServer<Result>(
    _ body: (TestHTTPServer) async throws -> Result
) async throws -> Result {
    let server = try await offCooperativePool { try TestHTTPServer.start() }
    do {
        let result = try await body(server)
        try await offCooperativePool { server.stop() }
        return result
    } catch {
        try? await offCooperativePool { server.stop() }
        throw error
    }
}

/// Runs blocking work (starting python, waiting for it to exit) on a thread of its own,
/// so it never holds one of Swift concurrency's few cooperative threads while other
/// tests wait for them.
func offCooperativePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

/// A port on 127.0.0.1 that nothing listens on: one a test server just gave up.
func unusedPort() throws -> Int {
    let server = try TestHTTPServer.start()
    server.stop()
    return server.port
}
