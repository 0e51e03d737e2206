import CurlHTTP
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TitanModel
import TitanStore

/// The routes of titan-api: the public API under `/v1`, the agent protocol under
/// `/v1/agents`, health, metrics and the OpenAPI document. `Docs/api.md` describes them;
/// `openapi.json` lists them, and a test keeps the two in step.
public enum APIRoutes {
    /// A router with every route, answering errors as the API's error body.
    public static func router(controlPlane: ControlPlane) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        let routes = RouteTable()
        router.add(middleware: APIErrorMiddleware(metrics: controlPlane.metrics, routes: routes))
        addHealth(router, controlPlane)
        addJobs(router, controlPlane)
        addTasks(router, controlPlane)
        addHosts(router, controlPlane)
        addEvents(router, controlPlane)
        AgentRoutes.add(router, controlPlane)
        StatusRoutes.add(router, controlPlane)
        routes.set(router.routes.map { (path: $0.path.description, method: $0.method.rawValue) })
        return router
    }

    // MARK: Health, metrics, OpenAPI

    private static func addHealth(_ router: Router<BasicRequestContext>, _ controlPlane: ControlPlane) {
        router.get("healthz") { request, _ in
            try request.checkQuery(allowed: [])
            return try JSONResponse.make(["status": "ok"])
        }
        router.get("readyz") { request, _ in
            try request.checkQuery(allowed: [])
            guard await controlPlane.isReady, await !controlPlane.isShuttingDown else {
                throw APIError(
                    .serviceUnavailable,
                    code: "notReady",
                    "titan-api is recovering its state or shutting down"
                )
            }
            return try JSONResponse.make(["status": "ready"])
        }
        router.get("metrics") { request, _ in
            try request.checkQuery(allowed: [])
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: controlPlane.metrics.exposition()))
            )
        }
        router.get("openapi.json") { request, _ in
            try request.checkQuery(allowed: [])
            return JSONResponse.bytes(try OpenAPIDocument.data())
        }
    }

    // MARK: Jobs

    private static func addJobs(_ router: Router<BasicRequestContext>, _ controlPlane: ControlPlane) {
        let store = controlPlane.store
        router.post("v1/jobs") { request, _ in
            try request.checkQuery(allowed: [])
            let token = request.headers[HTTPField.Name("Idempotency-Key")!]
            if let token, token.isEmpty || token.count > 256 {
                throw APIError.invalid("Idempotency-Key", "must be 1 to 256 characters")
            }
            let spec = try JobSpec.parse(try await JSONRequest.body(request))
            let creation = try await controlPlane.createJob(spec, clientToken: token)
            var counts = TaskStateCounts()
            if creation.created {
                counts.accepted = creation.tasks.count
            } else {
                counts = try await store.taskCounts(jobID: creation.job.id)
            }
            var response = try JSONResponse.make(
                creation.job.detail(taskCounts: counts),
                status: creation.created ? .created : .ok
            )
            response.headers[.location] = "/v1/jobs/\(creation.job.id)"
            return response
        }
        router.get("v1/jobs") { request, _ in
            try request.checkQuery(allowed: ["status", "name", "kind", "limit", "cursor"])
            var filter = JobFilter()
            if let statusText = request.query("status") {
                var statuses = Set<JobStatus>()
                for part in statusText.split(separator: ",") {
                    guard let status = JobStatus(rawValue: part.trimmingCharacters(in: .whitespaces)) else {
                        throw APIError.invalid(
                            "status",
                            "unknown status \"\(part)\"; expected one of \(JobStatus.allCases.map(\.rawValue).joined(separator: ", "))"
                        )
                    }
                    statuses.insert(status)
                }
                filter.statuses = statuses
            }
            filter.name = request.query("name")
            if let kindText = request.query("kind") {
                guard let kind = JobKind(rawValue: kindText) else {
                    throw APIError.invalid("kind", "unknown kind \"\(kindText)\"; expected one of service, batch")
                }
                filter.kind = kind
            }
            let limit = try request.integerQuery("limit", in: 1...1000) ?? 100
            let page = try await store.listJobs(
                filter: filter,
                page: PageRequest(limit: limit, cursor: request.query("cursor"))
            )
            return try JSONResponse.make(Page(items: page.items.map { $0.summary() }, nextCursor: page.nextCursor))
        }
        router.get("v1/jobs/:jobID") { request, context in
            try request.checkQuery(allowed: [])
            let id = JobID(try context.parameters.require("jobID"))
            guard let job = try await store.job(id: id) else { throw APIError.notFound("no job has id \(id)") }
            return try JSONResponse.make(job.detail(taskCounts: try await store.taskCounts(jobID: id)))
        }
        router.put("v1/jobs/:jobID/instances") { request, context in
            try request.checkQuery(allowed: [])
            let id = JobID(try context.parameters.require("jobID"))
            let body = try await JSONRequest.object(request, allowed: ["instances"])
            guard let count = try body["instances"]?.integer(field: "instances") else {
                throw APIError.invalid("instances", "is required")
            }
            guard (0...JobSpec.Limits.maxInstances).contains(count) else {
                throw APIError.invalid("instances", "must be 0 to \(JobSpec.Limits.maxInstances) (got \(count))")
            }
            let job = try await controlPlane.scaleJob(id, to: count)
            return try JSONResponse.make(job.detail(taskCounts: try await store.taskCounts(jobID: id)))
        }
        router.post("v1/jobs/:jobID/kill") { request, context in
            try request.checkQuery(allowed: [])
            let id = JobID(try context.parameters.require("jobID"))
            let job = try await controlPlane.killJob(id)
            return try JSONResponse.make(
                job.detail(taskCounts: try await store.taskCounts(jobID: id)),
                status: .accepted
            )
        }
        router.get("v1/jobs/:jobID/tasks") { request, context in
            try request.checkQuery(allowed: ["state", "limit", "cursor"])
            let id = JobID(try context.parameters.require("jobID"))
            var states: Set<TaskState>?
            if let stateText = request.query("state") {
                var parsed = Set<TaskState>()
                for part in stateText.split(separator: ",") {
                    guard let state = TaskState(rawValue: part.trimmingCharacters(in: .whitespaces)) else {
                        throw APIError.invalid(
                            "state",
                            "unknown state \"\(part)\"; expected one of \(TaskState.allCases.map(\.rawValue).joined(separator: ", "))"
                        )
                    }
                    parsed.insert(state)
                }
                states = parsed
            }
            let limit = try request.integerQuery("limit", in: 1...PageRequest.maximumLimit) ?? 1000
            let page = try await store.tasks(
                jobID: id,
                states: states,
                page: PageRequest(limit: limit, cursor: request.query("cursor"))
            )
            let bytes = TitanJSON.encodeBytes(Page(items: page.items.map(\.summary), nextCursor: page.nextCursor))
            return Response(
                status: .ok,
                headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes))
            )
        }
    }

    // MARK: Tasks

    private static func addTasks(_ router: Router<BasicRequestContext>, _ controlPlane: ControlPlane) {
        let store = controlPlane.store
        router.get("v1/tasks/:taskID") { request, context in
            try request.checkQuery(allowed: [])
            let id = TaskInstanceID(try context.parameters.require("taskID"))
            guard let task = try await store.task(id: id) else { throw APIError.notFound("no task has id \(id)") }
            let detail = TaskDetail(
                task: task.summary,
                history: try await store.taskHistory(id: id),
                usage: await controlPlane.latestUsage(of: id)
            )
            return try JSONResponse.make(detail)
        }
        router.post("v1/tasks/:taskID/kill") { request, context in
            try request.checkQuery(allowed: [])
            let id = TaskInstanceID(try context.parameters.require("taskID"))
            guard try await store.task(id: id) != nil else { throw APIError.notFound("no task has id \(id)") }
            let task = try await controlPlane.killTask(id)
            return try JSONResponse.make(task.summary, status: .accepted)
        }
        router.get("v1/tasks/:taskID/logs") { request, context in
            try request.checkQuery(allowed: ["attempt", "stream", "follow", "tail"])
            let id = TaskInstanceID(try context.parameters.require("taskID"))
            guard let task = try await store.task(id: id) else { throw APIError.notFound("no task has id \(id)") }
            return try await LogProxy.response(for: task, request: request, store: store)
        }
    }

    // MARK: Hosts

    private static func addHosts(_ router: Router<BasicRequestContext>, _ controlPlane: ControlPlane) {
        let store = controlPlane.store
        router.get("v1/hosts") { request, _ in
            try request.checkQuery(allowed: [])
            let counts = await controlPlane.runCounts()
            let hosts = try await store.hosts().map { $0.summary(taskCount: counts[$0.id] ?? 0) }
            return try JSONResponse.make(Page(items: hosts, nextCursor: nil))
        }
        router.get("v1/hosts/:hostID") { request, context in
            try request.checkQuery(allowed: [])
            let id = HostID(try context.parameters.require("hostID"))
            guard let host = try await store.host(id: id) else { throw APIError.notFound("no host has id \(id)") }
            return try JSONResponse.make(host.summary(taskCount: await controlPlane.runCounts()[id] ?? 0))
        }
        router.post("v1/hosts/:hostID/disable") { request, context in
            try request.checkQuery(allowed: [])
            let id = HostID(try context.parameters.require("hostID"))
            let body = try await JSONRequest.object(request, allowed: ["until", "forSeconds"])
            var until = Date.distantFuture
            if let value = body["until"], case .string(let text) = value {
                guard
                    let date = (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
                        ?? (try? Date.ISO8601FormatStyle().parse(text))
                else { throw APIError.invalid("until", "expected an RFC 3339 time such as 2026-11-23T20:47:47.123Z") }
                until = date
            } else if let value = body["until"], case .null = value {
            } else if body["until"] != nil {
                throw APIError.invalid("until", "expected an RFC 3339 time such as 2026-11-23T20:47:47.123Z")
            }
            if let value = body["forSeconds"] {
                guard case .number(let seconds) = value, seconds > 0, seconds <= 31_536_000 else {
                    throw APIError.invalid("forSeconds", "must be a number of seconds above 0 and at most a year")
                }
                if body["until"] != nil, until != .distantFuture {
                    throw APIError.invalid("forSeconds", "give until or forSeconds, not both")
                }
                until = Date().addingTimeInterval(seconds)
            }
            guard try await store.host(id: id) != nil else { throw APIError.notFound("no host has id \(id)") }
            let host = try await controlPlane.disableHost(id, until: until)
            return try JSONResponse.make(host.summary(taskCount: await controlPlane.runCounts()[id] ?? 0))
        }
        router.post("v1/hosts/:hostID/enable") { request, context in
            try request.checkQuery(allowed: [])
            let id = HostID(try context.parameters.require("hostID"))
            guard try await store.host(id: id) != nil else { throw APIError.notFound("no host has id \(id)") }
            let host = try await controlPlane.enableHost(id)
            return try JSONResponse.make(host.summary(taskCount: await controlPlane.runCounts()[id] ?? 0))
        }
    }

    // MARK: Events

    private static func addEvents(_ router: Router<BasicRequestContext>, _ controlPlane: ControlPlane) {
        router.get("v1/events") { request, _ in
            try request.checkQuery(allowed: ["after", "follow"])
            var after = Int64(try request.integerQuery("after", in: 0...Int.max) ?? 0)
            if request.query("after") == nil, let lastID = request.headers[HTTPField.Name("Last-Event-ID")!] {
                guard let id = Int64(lastID), id >= 0 else {
                    throw APIError.invalid("Last-Event-ID", "must be an event id (a whole number)")
                }
                after = id
            }
            let follow: Bool
            switch request.query("follow") {
            case nil, "true": follow = true
            case "false": follow = false
            default: throw APIError.invalid("follow", "must be true or false")
            }
            return EventStream.response(controlPlane: controlPlane, after: after, follow: follow)
        }
    }
}
