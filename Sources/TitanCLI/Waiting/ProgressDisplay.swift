import Foundation

/// Shows `--wait`'s progress: a bar redrawn in place on a terminal, plain lines otherwise
/// (one each time the count or the reason for waiting changes), so logs stay readable.
public struct ProgressDisplay: Sendable {
    public let isTerminal: Bool
    public let style: TextStyle
    /// The terminal's width; the line is cut to fit so redrawing never wraps.
    public let width: Int
    private var lastLine: String?
    private var drewBar = false

    public init(isTerminal: Bool, style: TextStyle, width: Int = 80) {
        self.isTerminal = isTerminal
        self.style = style
        self.width = max(40, width)
    }

    /// The text to write for the latest progress, or nil when nothing changed.
    /// - Parameters:
    ///   - started: instances started.
    ///   - wanted: instances wanted.
    ///   - note: why the rest wait, if known.
    public mutating func update(started: Int, wanted: Int, note: String?) -> String? {
        let count = "\(started)/\(wanted) started"
        if isTerminal {
            let barWidth = 24
            let filled = wanted == 0 ? barWidth : min(barWidth, started * barWidth / max(1, wanted))
            let done = String(repeating: "█", count: filled)
            let left = String(repeating: "░", count: barWidth - filled)
            var rest = " \(count)"
            if let note { rest += "  waiting: \(note)" }
            // The bar is 26 columns; the rest is cut so the line never wraps (a wrapped line
            // cannot be redrawn in place).
            let room = width - 1 - (barWidth + 2)
            if rest.count > room { rest = String(rest.prefix(room - 1)) + "…" }
            let plain = "[\(done)\(left)]" + rest
            guard plain != lastLine else { return nil }
            lastLine = plain
            drewBar = true
            return "\r\u{1B}[2K[" + style.green(done) + style.dim(left) + "]" + rest
        }
        let line = count + (note.map { " (waiting: \($0))" } ?? "")
        guard line != lastLine else { return nil }
        lastLine = line
        return line + "\n"
    }

    /// What to write when waiting ends: a newline after a bar, so the next output starts clean.
    public func finish() -> String { drewBar ? "\n" : "" }
}
