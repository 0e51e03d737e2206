import Foundation
import TitanModel

/// Checks JSONValue against the subset of JSONValue Schema (2020-12, as OpenAPI 3.1 uses it) that
/// `openapi.json` uses. Returns every problem with its path; empty when the value is valid.
public struct SchemaValidator: Sendable {
    public let document: JSONValue

    public init(document: JSONValue) {
        self.document = document
    }

    public func problems(_ value: JSONValue, against schema: JSONValue, at path: String = "$") -> [String] {
        guard case .object(let rules) = schema else { return [] }
        if let reference = rules["$ref"]?.string {
            guard let resolved = resolve(reference) else { return ["\(path): unresolved \(reference)"] }
            return problems(value, against: resolved, at: path)
        }
        var found: [String] = []
        if let type = rules["type"] {
            let allowed: [String] =
                switch type {
                case .string(let one): [one]
                case .array(let many): many.compactMap(\.string)
                default: []
                }
            if !allowed.contains(where: { matches(value, type: $0) }) {
                return ["\(path): expected \(allowed.joined(separator: " or ")), got \(value)"]
            }
        }
        if let constant = rules["const"], constant != value { found.append("\(path): must be \(constant)") }
        if case .array(let options) = rules["enum"], !options.contains(value) { found.append("\(path): not in enum") }
        switch value {
        case .string(let text):
            if case .number(let limit) = rules["minLength"], Double(text.count) < limit {
                found.append("\(path): too short")
            }
            if case .number(let limit) = rules["maxLength"], Double(text.count) > limit {
                found.append("\(path): too long")
            }
            if let pattern = rules["pattern"]?.string, text.range(of: pattern, options: .regularExpression) == nil {
                found.append("\(path): \"\(text)\" does not match \(pattern)")
            }
        case .number(let number):
            if case .number(let limit) = rules["minimum"], number < limit { found.append("\(path): below minimum") }
            if case .number(let limit) = rules["maximum"], number > limit { found.append("\(path): above maximum") }
            if case .number(let limit) = rules["exclusiveMinimum"], number <= limit {
                found.append("\(path): not above \(limit)")
            }
        case .array(let items):
            if case .number(let limit) = rules["minItems"], Double(items.count) < limit {
                found.append("\(path): too few items")
            }
            if case .number(let limit) = rules["maxItems"], Double(items.count) > limit {
                found.append("\(path): too many items")
            }
            var prefix: [JSONValue] = []
            if case .array(let schemas) = rules["prefixItems"] { prefix = schemas }
            for (index, item) in items.enumerated() {
                if index < prefix.count { found += problems(item, against: prefix[index], at: "\(path)[\(index)]") }
                if let itemSchema = rules["items"] {
                    found += problems(item, against: itemSchema, at: "\(path)[\(index)]")
                }
            }
        case .object(let members):
            var required: [JSONValue] = []
            if case .array(let keys) = rules["required"] { required = keys }
            for case .string(let key) in required where members[key] == nil {
                found.append("\(path): \(key) is required")
            }
            if case .number(let limit) = rules["maxProperties"], Double(members.count) > limit {
                found.append("\(path): too many properties")
            }
            let properties = rules["properties"]?.object ?? [:]
            for (key, member) in members.sorted(by: { $0.key < $1.key }) {
                if let namesSchema = rules["propertyNames"] {
                    found += problems(.string(key), against: namesSchema, at: "\(path) key \(key)")
                }
                if let propertySchema = properties[key] {
                    found += problems(member, against: propertySchema, at: "\(path).\(key)")
                } else if let additional = rules["additionalProperties"] {
                    if additional == .bool(false) {
                        found.append("\(path): unknown property \(key)")
                    } else if case .object = additional {
                        found += problems(member, against: additional, at: "\(path).\(key)")
                    }
                }
            }
        default:
            break
        }
        if case .array(let all) = rules["allOf"] {
            for schema in all { found += problems(value, against: schema, at: path) }
        }
        if case .array(let one) = rules["oneOf"] {
            let passing = one.filter { problems(value, against: $0, at: path).isEmpty }.count
            if passing != 1 { found.append("\(path): matches \(passing) of the oneOf schemas, not exactly 1") }
        }
        if let negated = rules["not"], problems(value, against: negated, at: path).isEmpty {
            found.append("\(path): matches a schema it must not")
        }
        return found
    }

    public func resolve(_ reference: String) -> JSONValue? {
        guard reference.hasPrefix("#/") else { return nil }
        var node: JSONValue? = document
        for part in reference.dropFirst(2).split(separator: "/") { node = node?[String(part)] }
        return node
    }

    /// The schema of a component, such as `JobDetail`.
    public func component(_ name: String) -> JSONValue { .object(["$ref": .string("#/components/schemas/\(name)")]) }

    private func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): true
        case ("number", .number): true
        case ("integer", .number(let number)): number == number.rounded()
        default: false
        }
    }
}
