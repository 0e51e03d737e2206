import CurlHTTP
import Foundation
import Testing

/// `GET /v1/status` as the API's own OpenAPI document describes it.
@Suite("the status endpoint and the OpenAPI document")
struct StatusSchemaTests {
    @Test("/openapi.json lists GET /v1/status, and the server's answer matches its FleetStatus schema")
    func statusMatchesSchema() async throws {
        try await withAPI { api in
            _ = try await createJob(#"{"name": "huge", "image": "nginx", "cpus": 64}"#, api: api)
            _ = try await createJob(#"{"name": "web", "image": "nginx"}"#, api: api, extra: ["--wait"])
            let client = HTTPClient()
            let document = try JSONNode.parse(
                try await client.execute(HTTPRequest(url: api.url + "/openapi.json")).body
            )
            #expect(document["paths"]?["/v1/status"]?["get"]?["operationId"]?.string == "fleetStatus")

            try await eventually("a pending reason is set") {
                let body = try await client.execute(HTTPRequest(url: api.url + "/v1/status")).bodyText
                return body.contains("cpus: needs 64")
            }
            let response = try await client.execute(HTTPRequest(url: api.url + "/v1/status"))
            #expect(response.statusCode == 200)
            let value = try JSONNode.parse(response.body)
            let validator = ShallowSchemaValidator(document: document)
            let schema = JSONNode.object(["$ref": .string("#/components/schemas/FleetStatus")])
            let problems = validator.problems(value, against: schema, at: "")
            #expect(problems.isEmpty, "\(problems)")
            #expect(value["pending"].map { "\($0)" }?.contains("cpus: needs 64") == true)
            // The check can fail: a body with a stray field and a missing one is refused twice.
            guard case .object(var broken) = value else { throw TestFailure("not an object: \(value)") }
            broken["extra"] = .number(1)
            broken["hosts"] = nil
            #expect(validator.problems(.object(broken), against: schema, at: "").count == 2)

            let refused = try await client.execute(HTTPRequest(url: api.url + "/v1/status?verbose=1"))
            #expect(refused.statusCode == 400)
        }
    }
}

/// A JSON value that keeps booleans and numbers apart.
enum JSONNode: Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONNode])
    case object([String: JSONNode])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONNode].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONNode].self))
        }
    }

    static func parse(_ bytes: [UInt8]) throws -> JSONNode {
        try JSONDecoder().decode(JSONNode.self, from: Data(bytes))
    }

    subscript(key: String) -> JSONNode? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }
}

/// Enough of JSON Schema for the API's response schemas: `$ref`, `type`, `properties`,
/// `required`, `additionalProperties: false`, `items`, `enum`, `minimum`.
struct ShallowSchemaValidator {
    let document: JSONNode

    func resolve(_ reference: String) -> JSONNode? {
        var node: JSONNode? = document
        for part in reference.dropFirst(2).split(separator: "/") { node = node?[String(part)] }
        return node
    }

    func problems(_ value: JSONNode, against schema: JSONNode, at path: String) -> [String] {
        if let reference = schema["$ref"]?.string {
            guard let resolved = resolve(reference) else { return ["\(path): unresolved \(reference)"] }
            return problems(value, against: resolved, at: path)
        }
        if let type = schema["type"]?.string, !matches(value, type) {
            return ["\(path): expected \(type), got \(value)"]
        }
        var found: [String] = []
        if case .array(let allowed)? = schema["enum"], case .string(let text) = value,
            !allowed.contains(where: { $0.string == text })
        {
            found.append("\(path): \(text) is not allowed")
        }
        if case .number(let minimum)? = schema["minimum"], case .number(let number) = value, number < minimum {
            found.append("\(path): \(number) is below \(minimum)")
        }
        if case .object(let object) = value {
            if case .array(let required)? = schema["required"] {
                for name in required.compactMap(\.string) where object[name] == nil {
                    found.append("\(path).\(name): required")
                }
            }
            for (name, member) in object {
                if let property = schema["properties"]?[name] {
                    found += problems(member, against: property, at: "\(path).\(name)")
                } else if case .bool(false)? = schema["additionalProperties"] {
                    found.append("\(path).\(name): not in the schema")
                }
            }
        }
        if case .array(let elements) = value, let items = schema["items"] {
            for (index, element) in elements.enumerated() {
                found += problems(element, against: items, at: "\(path)[\(index)]")
            }
        }
        return found
    }

    private func matches(_ value: JSONNode, _ type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("number", .number): true
        case ("integer", .number(let number)): number == number.rounded()
        default: false
        }
    }
}
