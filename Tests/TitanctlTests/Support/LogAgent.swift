import Foundation

/// `Agent/log_agent.py` as a child process: an agent registered with titan-api that serves
/// task logs, so `titanctl task logs` goes through the API's real log proxy.
final class LogAgent: Sendable {
    private let process: Process
    private let input: Pipe

    private init(process: Process, input: Pipe) {
        self.process = process
        self.input = input
    }

    /// Starts the agent as host `agentID` of the API and waits until it has registered.
    static func start(api: TitanAPIProcess, agentID: String) async throws -> LogAgent {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Agent/log_agent.py")
        let (process, input) = try await offCooperativePool { () throws -> (Process, Pipe) in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", script.path, api.url, agentID]
            let input = Pipe()
            let output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            var line: [UInt8] = []
            while true {
                let data = output.fileHandleForReading.readData(ofLength: 1)
                guard let byte = data.first, byte != UInt8(ascii: "\n") else { break }
                line.append(byte)
            }
            guard String(decoding: line, as: UTF8.self).hasPrefix("ready ") else {
                process.terminate()
                throw TestFailure("the log agent did not start: \(String(decoding: line, as: UTF8.self))")
            }
            return (process, input)
        }
        return LogAgent(process: process, input: input)
    }

    /// Closes its standard input, which ends it, and waits.
    func stop() async throws {
        try? input.fileHandleForWriting.close()
        let process = self.process
        try await offCooperativePool { process.waitUntilExit() }
    }
}
