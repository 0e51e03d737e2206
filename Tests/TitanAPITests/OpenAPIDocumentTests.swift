import CurlHTTP
import Foundation
import Hummingbird
import Testing
import TitanControlPlane
import TitanModel
import TitanStore
import TitanTestSupport

@Suite("The OpenAPI document is true to the server")
struct OpenAPIDocumentTests {
    let document: JSONValue
    let validator: SchemaValidator

    init() throws {
        document = try JSONValue.parse(try OpenAPIDocument.data())
        validator = SchemaValidator(document: document)
    }

    @Test("every route the router has is in the document, and every documented operation is a route")
    func routesMatch() throws {
        let controlPlane = ControlPlane(
            store: InMemoryStorage(),
            scheduling: try ServicePlacement(interval: .seconds(1))
        )
        let router = APIRoutes.router(controlPlane: controlPlane)
        let routed = Set(router.routes.map { "\($0.method.rawValue) \($0.path.description)" })
        var documented = Set<String>()
        for (path, item) in document["paths"]?.object ?? [:] {
            for method in (item.object ?? [:]).keys { documented.insert("\(method.uppercased()) \(path)") }
        }
        #expect(
            routed == documented,
            "only routed: \(routed.subtracting(documented)); only documented: \(documented.subtracting(routed))"
        )
        #expect(routed.count >= 22)
    }

    @Test("every reference resolves and every operation has a unique id")
    func referencesResolve() throws {
        var references: [String] = []
        func collect(_ node: JSONValue) {
            switch node {
            case .object(let members):
                if let reference = members["$ref"]?.string { references.append(reference) }
                members.values.forEach(collect)
            case .array(let items): items.forEach(collect)
            default: break
            }
        }
        collect(document)
        for reference in references { #expect(validator.resolve(reference) != nil, "\(reference)") }
        var ids: [String] = []
        for item in (document["paths"]?.object ?? [:]).values {
            for operation in (item.object ?? [:]).values { ids.append(operation["operationId"]?.string ?? "") }
        }
        #expect(Set(ids).count == ids.count)
        #expect(!ids.contains(""))
    }

    @Test("the request examples validate against their schemas and the server accepts them")
    func examplesValidate() async throws {
        let paths = try #require(document["paths"])
        let createExample = try #require(
            paths["/v1/jobs"]?["post"]?["requestBody"]?["content"]?["application/json"]?["example"]
        )
        #expect(validator.problems(createExample, against: validator.component("JobSpecRequest")).isEmpty)
        let scaleExample = try #require(
            paths["/v1/jobs/{jobID}/instances"]?["put"]?["requestBody"]?["content"]?["application/json"]?["example"]
        )
        #expect(validator.problems(scaleExample, against: validator.component("ScaleRequest")).isEmpty)
        let disableExample = try #require(
            paths["/v1/hosts/{hostID}/disable"]?["post"]?["requestBody"]?["content"]?["application/json"]?["example"]
        )
        #expect(validator.problems(disableExample, against: validator.component("DisableRequest")).isEmpty)
        // A few bodies the schema must refuse, so the check above can fail.
        let bad: [JSONValue] = [
            .object(["name": .string("Bad Name"), "image": .string("x")]),
            .object(["name": .string("a")]),
            .object(["name": .string("a"), "image": .string("x"), "command": .array([.string("y")])]),
            .object(["name": .string("a"), "image": .string("x"), "memoryMB": .number(5)]),
        ]
        for body in bad {
            #expect(!validator.problems(body, against: validator.component("JobSpecRequest")).isEmpty, "\(body)")
        }

        try await withServer { server in
            let created = try await server.post(
                "/v1/jobs",
                json: String(decoding: try jsonBytes(createExample), as: UTF8.self)
            )
            #expect(created.statusCode == 201)
            let id = try created.decoded(JobDetail.self).job.id
            let scaled = try await server.request(.put, "/v1/jobs/\(id)/instances", body: try jsonBytes(scaleExample))
            #expect(scaled.statusCode == 200)
        }
    }

    @Test("responses of the real server validate against the documented schemas")
    func responsesValidate() async throws {
        try await withServer { server in
            let agent = TestAgent("host-1", server: server, attributes: ["zone": "a"])
            let registered = try await server.post(
                "/v1/agents/register",
                AgentRegistration(
                    agentID: "host-1",
                    address: "http://127.0.0.1:9",
                    agentVersion: "test",
                    resources: HostResources(
                        cpus: 8,
                        memoryMB: 16_384,
                        diskGB: 100,
                        portRanges: [PortRange(first: 31_000, last: 31_010)]
                    ),
                    attributes: ["zone": "a"],
                    runningTasks: []
                )
            )
            try check(registered, "AgentDirectives")
            let created = try await server.post(
                "/v1/jobs",
                json: Specs.service(
                    "web",
                    extra: #", "ports": 1, "hardConstraints": [{"type": "uniqueHostAttr", "attribute": "zone"}]"#
                )
            )
            try check(created, "JobDetail")
            let job = try created.decoded(JobDetail.self).job.id
            let orders = try await server.get("/v1/agents/host-1/orders?waitSeconds=2")
            try check(orders, "AgentOrders")
            for order in try orders.decoded(AgentOrders.self).orders { await agent.acknowledge(order) }
            try await agent.report([
                AgentStatusUpdate(taskID: TaskInstanceID(job: job, index: 0), attempt: 0, state: .started, at: Date())
            ])
            try check(try await server.get("/v1/jobs"), "JobPage")
            try check(try await server.get("/v1/jobs/\(job)"), "JobDetail")
            try check(try await server.get("/v1/jobs/\(job)/tasks"), "TaskPage")
            try check(try await server.get("/v1/tasks/\(TaskInstanceID(job: job, index: 0))"), "TaskDetail")
            try check(try await server.get("/v1/hosts"), "HostPage")
            try check(try await server.post("/v1/hosts/host-1/disable", json: #"{"forSeconds": 60}"#), "HostSummary")
            try check(try await server.post("/v1/jobs/\(job)/kill", json: ""), "JobDetail")
            try check(try await server.get("/v1/jobs?status=nope"), "Error")
            try check(try await server.get("/healthz"), "Status")
            let events = try await server.get("/v1/events?follow=false")
            for line in events.bodyText.split(separator: "\n") where line.hasPrefix("data: ") {
                let problems = validator.problems(
                    try JSONValue.parse(Array(line.dropFirst(6).utf8)),
                    against: validator.component("EventRecord")
                )
                #expect(problems.isEmpty, "\(problems)")
            }
        }
    }

    private func check(
        _ response: CurlHTTP.HTTPResponse,
        _ schema: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let value = try JSONValue.parse(response.body)
        let problems = validator.problems(value, against: validator.component(schema))
        #expect(problems.isEmpty, "\(schema): \(problems)", sourceLocation: sourceLocation)
    }

    private func jsonBytes(_ value: JSONValue) throws -> [UInt8] {
        func render(_ value: JSONValue) -> Any {
            switch value {
            case .null: NSNull()
            case .bool(let flag): flag
            case .number(let number): number == number.rounded() ? Int(number) as Any : number
            case .string(let text): text
            case .array(let items): items.map(render)
            case .object(let members): members.mapValues(render)
            }
        }
        return Array(try JSONSerialization.data(withJSONObject: render(value)))
    }
}
