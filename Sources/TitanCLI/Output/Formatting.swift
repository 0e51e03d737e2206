import Foundation
import TitanModel

/// How values read in tables and details.
public enum Formatting {
    /// An age as kubectl shows one: `42s`, `5m`, `3h`, `12d` (negative ages read `0s`).
    public static func age(from date: Date, to now: Date) -> String {
        let seconds = max(0, Int(now.timeIntervalSince(date)))
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return "\(seconds / 60)m" }
        if seconds < 48 * 3600 { return "\(seconds / 3600)h" }
        return "\(seconds / 86_400)d"
    }

    /// A time as an ISO 8601 string with its age: `2026-11-20T10:15:00.123Z (5m ago)`.
    public static func time(_ date: Date, now: Date) -> String {
        "\(TitanJSON.format(date)) (\(age(from: date, to: now)) ago)"
    }

    /// A number as a person writes it: `4`, `0.5`, `12.25`.
    public static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        let text = String(format: "%.2f", value)
        var trimmed = Substring(text)
        while trimmed.hasSuffix("0") { trimmed = trimmed.dropLast() }
        if trimmed.hasSuffix(".") { trimmed = trimmed.dropLast() }
        return String(trimmed)
    }

    /// Memory from MB in the largest unit that keeps it readable: `512 MB`, `3.1 GB`, `64 GB`.
    public static func memory(megabytes: Int) -> String {
        if megabytes < 1024 { return "\(megabytes) MB" }
        let gigabytes = Double(megabytes) / 1024
        if gigabytes < 10 { return "\(number((gigabytes * 10).rounded() / 10)) GB" }
        if gigabytes < 1024 { return "\(number(gigabytes.rounded())) GB" }
        return "\(number((gigabytes / 1024 * 10).rounded() / 10)) TB"
    }

    /// A share as a percentage with no decimals below 10% shown as one: `0%`, `2.5%`, `37%`.
    public static func percent(_ part: Double, of whole: Double) -> String {
        guard whole > 0 else { return "0%" }
        let share = part / whole * 100
        if share > 0 && share < 10 { return "\(number((share * 10).rounded() / 10))%" }
        return "\(Int(share.rounded()))%"
    }

    /// `dc1:20,dc2:40`.
    public static func location(_ cells: [CellInstances]) -> String {
        cells.map { "\($0.cell.rawValue):\($0.instances)" }.joined(separator: ",")
    }

    /// A constraint as its spec would write it: `uniqueHostAttr zone`, `hostAttrValue zone in a,b`.
    public static func constraint(_ constraint: JobConstraint) -> String {
        switch constraint {
        case .uniqueHostAttribute(let attribute): "uniqueHostAttr \(attribute)"
        case .balancedHostAttribute(let attribute, let expected):
            "balancedHostAttr \(attribute)" + (expected.map { " over \($0) values" } ?? "")
        case .hostAttributeValue(let attribute, let values):
            "hostAttrValue \(attribute) in \(values.joined(separator: ","))"
        case .exclusiveHost: "exclusiveHost"
        case .hostname(let values): "hostname in \(values.joined(separator: ","))"
        }
    }

    /// A command line with arguments that need it quoted.
    public static func commandLine(_ arguments: [String]) -> String {
        arguments.map { argument in
            let plain =
                !argument.isEmpty && argument.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,@%+".contains($0) }
            return plain ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }
}

/// JSON for scripts: the API's own types, pretty-printed with sorted keys and the API's date
/// format, so `jq` and diffs see stable output.
public enum JSONOutput {
    public static func render(_ value: some Encodable) throws -> String {
        let encoder = TitanJSON.encoder()
        encoder.outputFormatting.insert(.prettyPrinted)
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
