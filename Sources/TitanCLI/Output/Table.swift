import Foundation

/// Rows printed in aligned columns, headers first, as kubectl and nomad print lists.
public struct Table: Sendable {
    /// One cell: its text and how to colour it (colour never changes the width).
    public struct Cell: Sendable, ExpressibleByStringLiteral {
        public var text: String
        public var colour: Colour

        public enum Colour: Sendable {
            case none, bold, dim, red, green, yellow, cyan
        }

        public init(_ text: String, _ colour: Colour = .none) {
            self.text = text
            self.colour = colour
        }

        public init(stringLiteral value: String) { self.init(value) }
    }

    public var headers: [String]
    public var rows: [[Cell]]

    public init(headers: [String], rows: [[Cell]] = []) {
        self.headers = headers
        self.rows = rows
    }

    public mutating func append(_ row: [Cell]) { rows.append(row) }

    /// Columns separated by three spaces, each as wide as its widest cell; the last column is
    /// not padded, so lines carry no trailing spaces. Headers are bold when colour is on.
    public func render(style: TextStyle) -> String {
        var widths = headers.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() {
                if index < widths.count {
                    widths[index] = max(widths[index], cell.text.count)
                } else {
                    widths.append(cell.text.count)
                }
            }
        }
        func line(_ cells: [Cell]) -> String {
            var parts: [String] = []
            for (index, cell) in cells.enumerated() {
                let isLast = index == cells.count - 1
                let padding = isLast ? "" : String(repeating: " ", count: widths[index] - cell.text.count)
                parts.append(Self.paint(cell, style) + padding)
            }
            var text = parts.joined(separator: "   ")
            while text.hasSuffix(" ") { text.removeLast() }
            return text
        }
        var lines = [line(headers.map { Cell($0, .bold) })]
        lines += rows.map(line)
        return lines.joined(separator: "\n")
    }

    static func paint(_ cell: Cell, _ style: TextStyle) -> String {
        switch cell.colour {
        case .none: cell.text
        case .bold: style.bold(cell.text)
        case .dim: style.dim(cell.text)
        case .red: style.red(cell.text)
        case .green: style.green(cell.text)
        case .yellow: style.yellow(cell.text)
        case .cyan: style.cyan(cell.text)
        }
    }
}

/// `Label:  value` lines with the values aligned, for one object's details.
public struct DetailList: Sendable {
    public var entries: [(label: String, value: String)] = []

    public init() {}

    public mutating func add(_ label: String, _ value: String) { entries.append((label, value)) }

    public func render(style: TextStyle) -> String {
        let width = (entries.map(\.label.count).max() ?? 0) + 2
        return entries.map { entry in
            let label = entry.label + ":"
            let padding = String(repeating: " ", count: max(1, width - entry.label.count))
            let value = entry.value.replacingOccurrences(
                of: "\n",
                with: "\n" + String(repeating: " ", count: width + 1)
            )
            return style.bold(label) + padding + value
        }.joined(separator: "\n")
    }
}
