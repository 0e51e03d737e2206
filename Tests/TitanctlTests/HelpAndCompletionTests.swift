import Foundation
import Testing

/// Help that teaches, and completion scripts.
@Suite("titanctl help and completion")
struct HelpAndCompletionTests {
    static let commands: [[String]] = [
        [], ["job"], ["job", "create"], ["job", "list"], ["job", "get"], ["job", "scale"], ["job", "kill"],
        ["task"], ["task", "list"], ["task", "get"], ["task", "kill"], ["task", "logs"],
        ["host"], ["host", "list"], ["host", "disable"], ["host", "enable"], ["status"], ["completion"],
    ]

    @Test("every command's help has an example", arguments: commands)
    func helpHasExamples(command: [String]) async throws {
        let result = try await titanctl(command + ["--help"])
        #expect(result.status == 0, "\(result)")
        let text = result.stdout
        #expect(text.contains("Examples:"), "\(command): \(text)")
        let examples = text.components(separatedBy: "Examples:").last ?? ""
        #expect(examples.contains("titanctl " + command.joined(separator: " ")), "\(command): \(text)")
    }

    @Test("completion prints a bash script that bash accepts")
    func bashCompletion() async throws {
        let result = try await titanctl(["completion", "bash"])
        #expect(result.status == 0)
        let directory = try temporaryDirectory()
        let script = try writeFile(result.stdout, named: "titanctl.bash", in: directory)
        let check = try await offCooperativePool { () throws -> (Int32, String) in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = ["-c", "source \(shellQuoted(script)) && complete -p titanctl"]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }
        #expect(check.0 == 0, "\(check.1)")
        #expect(check.1.contains("titanctl"))
        #expect(result.stdout.contains("job") && result.stdout.contains("status"))
    }

    @Test(
        "completion prints zsh and fish scripts",
        arguments: [("zsh", "#compdef titanctl"), ("fish", "complete -c 'titanctl'")]
    )
    func otherShells(shell: String, marker: String) async throws {
        let result = try await titanctl(["completion", shell])
        #expect(result.status == 0)
        #expect(result.stdout.contains(marker), "\(result.stdout.prefix(300))")
        #expect(result.stdout.contains("disable"))
    }
}
