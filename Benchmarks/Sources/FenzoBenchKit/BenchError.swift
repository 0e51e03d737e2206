/// An error from the benchmark tools, with a message that says what was wrong and what to do.
public struct BenchError: Error, Sendable, CustomStringConvertible {
    private enum Code: Sendable {
        case unreadableFile
        case malformedWorkload
        case malformedResult
        case unknownStrategy
        case invalidArgument
        case unwritableFile
    }

    private let code: Code
    /// What went wrong, in words a person can act on.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    static func unreadableFile(_ path: String, _ why: String) -> BenchError {
        BenchError(.unreadableFile, "cannot read \(path): \(why)")
    }

    static func malformedWorkload(_ path: String, _ problems: [String]) -> BenchError {
        let shown = problems.prefix(20).map { "  - \($0)" }.joined(separator: "\n")
        let more = problems.count > 20 ? "\n  ... and \(problems.count - 20) more" : ""
        return BenchError(
            .malformedWorkload,
            "workload \(path) is malformed (the v1 format is described in Docs/benchmarks.md):\n\(shown)\(more)"
        )
    }

    static func malformedResult(_ path: String, _ why: String) -> BenchError {
        BenchError(.malformedResult, "result \(path) is malformed: \(why)")
    }

    static func unknownStrategy(_ name: String, known: [String]) -> BenchError {
        BenchError(
            .unknownStrategy,
            "unknown strategy \"\(name)\"; known strategies: \(known.joined(separator: ", ")) "
                + "(fenzo-bench --list-strategies describes them)"
        )
    }

    /// An argument a user passed that cannot be used.
    public static func invalidArgument(_ why: String) -> BenchError {
        BenchError(.invalidArgument, why)
    }

    static func unwritableFile(_ path: String, _ why: String) -> BenchError {
        BenchError(.unwritableFile, "cannot write \(path): \(why)")
    }
}
