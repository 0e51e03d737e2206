import Foundation
import TitanCLI

/// Where titanctl writes: results to standard output, errors and progress to standard error.
enum Console {
    /// A line of results.
    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// Text for standard error, as is.
    static func standardError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// `error: message` on standard error, `error:` in red on a terminal; `hint:` lines dimmed.
    static func error(_ message: String) {
        let style = TextStyle.decide(
            .auto,
            isTerminal: Terminal.isTerminal(STDERR_FILENO),
            environment: ProcessInfo.processInfo.environment
        )
        let lines = message.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasPrefix("hint:") ? style.dim(String(line)) : String(line)
        }
        standardError(style.red("error:") + " " + lines.joined(separator: "\n") + "\n")
    }
}
