import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How titanctl prints results: aligned tables for people, JSON for scripts.
public enum OutputFormat: String, CaseIterable, Sendable {
    case table
    case json
}

/// When to colour output: on a terminal only (`auto`), always, or never.
public enum ColorChoice: String, CaseIterable, Sendable {
    case auto
    case always
    case never
}

/// ANSI colours, or none: a disabled style returns text unchanged, so output piped to a file
/// or another program never carries escape codes.
public struct TextStyle: Hashable, Sendable {
    public var isEnabled: Bool

    public init(isEnabled: Bool) { self.isEnabled = isEnabled }

    public static let plain = TextStyle(isEnabled: false)

    /// Whether to colour a stream: `always` and `never` decide alone; `auto` colours only a
    /// terminal, and not when `NO_COLOR` is set (https://no-color.org) or `TERM` is `dumb`.
    public static func decide(_ choice: ColorChoice, isTerminal: Bool, environment: [String: String]) -> TextStyle {
        switch choice {
        case .always: return TextStyle(isEnabled: true)
        case .never: return .plain
        case .auto:
            let noColor = !(environment["NO_COLOR"] ?? "").isEmpty
            let dumb = environment["TERM"] == "dumb"
            return TextStyle(isEnabled: isTerminal && !noColor && !dumb)
        }
    }

    public func bold(_ text: String) -> String { wrap(text, "1") }
    public func dim(_ text: String) -> String { wrap(text, "2") }
    public func red(_ text: String) -> String { wrap(text, "31") }
    public func green(_ text: String) -> String { wrap(text, "32") }
    public func yellow(_ text: String) -> String { wrap(text, "33") }
    public func cyan(_ text: String) -> String { wrap(text, "36") }

    private func wrap(_ text: String, _ code: String) -> String {
        guard isEnabled, !text.isEmpty else { return text }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }
}

/// Facts about the process's terminal.
public enum Terminal {
    /// Whether a file descriptor is a terminal.
    public static func isTerminal(_ descriptor: Int32) -> Bool { isatty(descriptor) == 1 }

    /// The terminal's width in columns, if the descriptor is one.
    public static func width(_ descriptor: Int32) -> Int? {
        var size = winsize()
        #if canImport(Glibc)
            let request = UInt(TIOCGWINSZ)
        #else
            let request = TIOCGWINSZ
        #endif
        guard ioctl(descriptor, request, &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }
}
