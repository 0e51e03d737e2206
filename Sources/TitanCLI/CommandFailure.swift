/// Why a titanctl command did not do what was asked, with the exit code that says so.
///
/// Exit codes: 0 done; 1 refused (the API said no, or the same checks found mistakes before
/// sending, or `--wait` saw the job fail, not fit or time out); 2 usage (the command line or
/// the config file is wrong); 3 the API cannot be reached.
public struct CommandFailure: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Int32, Hashable, Sendable {
        case refused = 1
        case usage = 2
        case unreachable = 3
    }

    private let code: Code
    /// What to print on standard error, one or more lines, without a trailing newline.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The process exit status for this failure.
    public var exitCode: Int32 { code.rawValue }

    public var description: String { message }

    /// The API (or a local check of the same rules) refused the request: exit 1.
    public static func refused(_ message: String) -> CommandFailure { CommandFailure(.refused, message) }

    /// The command line, a file it names, or the config file is wrong: exit 2.
    public static func usage(_ message: String) -> CommandFailure { CommandFailure(.usage, message) }

    /// No answer from the API: exit 3.
    public static func unreachable(_ message: String) -> CommandFailure { CommandFailure(.unreachable, message) }
}
