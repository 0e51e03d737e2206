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
        self.width = max(20, width)
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
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: barWidth - filled)
            var plain = "[\(bar)] \(count)"
            if let note { plain += "  waiting: \(note)" }
            if plain.count > width - 1 { plain = String(plain.prefix(width - 2)) + "…" }
            guard plain != lastLine else { return nil }
            lastLine = plain
            drewBar = true
            let painted = plain.replacingOccurrences(
                of: bar,
                with: style.green(String(repeating: "█", count: filled))
                    + style.dim(String(repeating: "░", count: barWidth - filled))
            )
            return "\r\u{1B}[2K" + painted
        }
        let line = count + (note.map { " (waiting: \($0))" } ?? "")
        guard line != lastLine else { return nil }
        lastLine = line
        return line + "\n"
    }

    /// What to write when waiting ends: a newline after a bar, so the next output starts clean.
    public func finish() -> String { drewBar ? "\n" : "" }
}
