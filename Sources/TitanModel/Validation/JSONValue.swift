import Foundation

/// Any JSON value, decoded without a schema so that validation can say precisely what is
/// wrong with a field instead of surfacing a decoder's type-mismatch message. Booleans and
/// numbers stay apart (a number is never read as a boolean).
public enum JSONValue: Hashable, Sendable, Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Decodes a JSON document.
    public static func parse(_ bytes: some Sequence<UInt8>) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    /// An object's member, or nil (for a missing member or a value that is not an object).
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { members[key] } else { nil }
    }

    /// The members if this is an object.
    public var object: [String: JSONValue]? { if case .object(let members) = self { members } else { nil } }
    /// The text if this is a string.
    public var string: String? { if case .string(let text) = self { text } else { nil } }

    /// How the value reads in a message: `a string ("4")`, `a number (4)`, `an array`.
    var kindDescription: String {
        switch self {
        case .null: "null"
        case .bool(let value): "a boolean (\(value))"
        case .number(let value): "a number (\(formatNumber(value)))"
        case .string(let value): "a string (\(quoted(value, limit: 40)))"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A number as a person writes it: `4` rather than `4.0`, `0.5` as is.
func formatNumber(_ value: Double) -> String {
    if value.isFinite, value == value.rounded(), abs(value) < 1e15 {
        return String(Int64(value))
    }
    return String(value)
}

/// A value in double quotes for a message, shortened when long.
func quoted(_ value: String, limit: Int = 80) -> String {
    let shown = value.count > limit ? String(value.prefix(limit)) + "…" : value
    let escaped = shown.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    return "\"\(escaped)\""
}
