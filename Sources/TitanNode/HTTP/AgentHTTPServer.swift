import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TitanModel

/// The agent's HTTP endpoints, on its advertised address:
///
/// - `GET /v1/tasks/{taskID}/logs?attempt=N&stream=stdout|stderr|both&follow=true&tail=100`:
///   a run's output as chunked `text/plain` (the latest attempt when none is given; from the
///   archive once the run's local logs are archived).
/// - `GET /metrics`: ``AgentMetrics``.
/// - `GET /v1/agent`: who the agent is and what it runs, as JSON.
/// - `GET /healthz`: `ok`.
public enum AgentHTTPServer {
    /// The routes, for an application bound where the operator says.
    public static func router(
        supervisor: TaskSupervisor,
        identity: AgentIdentity,
        registration: RegistrationGate,
        logPollInterval: Duration = .milliseconds(200)
    ) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/healthz") { _, _ in "ok\n" }

        router.get("/metrics") { _, _ -> Response in
            let figures = AgentMetrics.AgentFigures(
                agentID: identity.agentID,
                runningTasks: await supervisor.runningTasks().count,
                pendingStatusUpdates: supervisor.journal.pendingCount,
                residentMemoryBytes: AgentMetrics.residentMemoryBytes(),
                registered: await registration.isRegistered
            )
            let text = AgentMetrics.render(figures, tasks: await supervisor.latestUsage())
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: text))
            )
        }

        router.get("/v1/agent") { _, _ -> Response in
            let body = AgentRegistration(
                agentID: identity.agentID,
                address: identity.address,
                agentVersion: identity.version,
                resources: identity.resources,
                attributes: identity.attributes,
                runningTasks: await supervisor.runningTasks()
            )
            return jsonResponse(body)
        }

        router.get("/v1/tasks/:taskID/logs") { request, context -> Response in
            let taskID = TaskInstanceID(try context.parameters.require("taskID"))
            let query = request.uri.queryParameters
            var attempt: Int?
            if let text = query["attempt"] {
                guard let number = Int(text), number >= 0 else {
                    return errorResponse(
                        .badRequest,
                        "invalidRequest",
                        "attempt must be a whole number ≥ 0, not \(text)"
                    )
                }
                attempt = number
            }
            let selection: LogStreamSelection
            if let text = query["stream"] {
                guard let parsed = LogStreamSelection(rawValue: String(text)) else {
                    return errorResponse(
                        .badRequest,
                        "invalidRequest",
                        "stream must be stdout, stderr or both, not \(text)"
                    )
                }
                selection = parsed
            } else {
                selection = .both
            }
            var tail: Int?
            if let text = query["tail"] {
                guard let number = Int(text), number >= 0 else {
                    return errorResponse(.badRequest, "invalidRequest", "tail must be a whole number ≥ 0, not \(text)")
                }
                tail = number
            }
            let follow = query["follow"].map { $0 == "true" || $0 == "1" } ?? false
            guard RunKey(taskID: taskID, attempt: 0).unusableReason == nil else {
                return errorResponse(.badRequest, "invalidRequest", "\(taskID) is not a task id")
            }
            var latest: Int?
            if attempt == nil { latest = await supervisor.latestAttempt(of: taskID) }
            guard let chosen = attempt ?? latest else {
                return errorResponse(.notFound, "notFound", "this agent has no logs of task \(taskID)")
            }
            let key = RunKey(taskID: taskID, attempt: chosen)
            var directory = supervisor.logs.directory(key)
            if !FileManager.default.fileExists(atPath: directory) {
                guard
                    let archived = (supervisor.archive as? any ReadableLogArchive)?
                        .archivedDirectory(taskID: taskID, attempt: chosen)
                else {
                    return errorResponse(
                        .notFound,
                        "notFound",
                        "this agent has no logs of task \(taskID) attempt \(chosen)"
                    )
                }
                directory = archived
            }
            let reader = TaskLogReader(
                directory: directory,
                selection: selection,
                tailLines: tail,
                follow: follow,
                pollInterval: logPollInterval
            )
            let body = ResponseBody { writer in
                try await reader.copy(isLive: { await supervisor.isLive(key) }) { chunk in
                    try await writer.write(ByteBuffer(bytes: chunk))
                }
                try await writer.finish(nil)
            }
            var headers: HTTPFields = [.contentType: "text/plain; charset=utf-8"]
            if let name = HTTPField.Name("Titan-Task-Attempt") { headers[name] = String(chosen) }
            return Response(status: .ok, headers: headers, body: body)
        }
        return router
    }

    /// The routes of the metadata endpoint: `GET /v1/metadata/{token}` (JSON) and
    /// `GET /v1/metadata/{token}/{field}` (plain text). The token is the run's secret, so each
    /// run sees its own view only.
    public static func metadataRouter(supervisor: TaskSupervisor) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/v1/metadata/:token") { _, context -> Response in
            let token = try context.parameters.require("token")
            guard let metadata = await supervisor.metadata(token: token) else {
                return errorResponse(.notFound, "notFound", "no running task has this metadata address")
            }
            return jsonResponse(metadata)
        }
        router.get("/v1/metadata/:token/:field") { _, context -> Response in
            let token = try context.parameters.require("token")
            let field = try context.parameters.require("field")
            guard let metadata = await supervisor.metadata(token: token) else {
                return errorResponse(.notFound, "notFound", "no running task has this metadata address")
            }
            guard let value = metadata.field(field) else {
                return errorResponse(
                    .notFound,
                    "notFound",
                    "no metadata field \(field); the fields are \(metadata.fieldNames.joined(separator: ", "))"
                )
            }
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: value))
            )
        }
        return router
    }

    static func jsonResponse(_ value: some Encodable) -> Response {
        let encoder = TitanJSON.encoder()
        guard let data = try? encoder.encode(value) else {
            return errorResponse(.internalServerError, "internal", "cannot encode the answer")
        }
        return Response(
            status: .ok,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    static func errorResponse(_ status: HTTPResponse.Status, _ code: String, _ message: String) -> Response {
        let body = APIErrorBody(code: code, message: message)
        let data = (try? TitanJSON.encoder().encode(body)) ?? Data()
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}
