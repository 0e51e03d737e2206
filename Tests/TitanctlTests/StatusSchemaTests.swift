import CurlHTTP
import Foundation
import Testing
import TitanModel
import TitanTestSupport

/// `GET /v1/status` as the API's own OpenAPI document describes it.
@Suite("the status endpoint and the OpenAPI document")
struct StatusSchemaTests {
    @Test("/openapi.json lists GET /v1/status, and the server's answer matches its FleetStatus schema")
    func statusMatchesSchema() async throws {
        try await withAPI { api in
            _ = try await createJob(#"{"name": "huge", "image": "nginx", "cpus": 64}"#, api: api)
            _ = try await createJob(#"{"name": "web", "image": "nginx"}"#, api: api, extra: ["--wait"])
            let client = HTTPClient()
            let document = try JSONValue.parse(
                try await client.execute(HTTPRequest(url: api.url + "/openapi.json")).body
            )
            #expect(document["paths"]?["/v1/status"]?["get"]?["operationId"]?.string == "fleetStatus")

            try await eventually("a pending reason is set") {
                let body = try await client.execute(HTTPRequest(url: api.url + "/v1/status")).bodyText
                return body.contains("cpus: needs 64")
            }
            let response = try await client.execute(HTTPRequest(url: api.url + "/v1/status"))
            #expect(response.statusCode == 200)
            let value = try JSONValue.parse(response.body)
            let validator = SchemaValidator(document: document)
            let schema = JSONValue.object(["$ref": .string("#/components/schemas/FleetStatus")])
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
