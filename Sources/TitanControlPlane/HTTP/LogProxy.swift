import CurlHTTP
import Foundation
import Hummingbird
import NIOCore
import TitanModel
import TitanStore

/// `GET /v1/tasks/{id}/logs`: streams a run's output from the agent of the host it ran on, so
/// clients need only the API's address.
enum LogProxy {
    static let client = HTTPClient(
        configuration: HTTPClient.Configuration(timeouts: HTTPTimeouts(connect: .seconds(5), total: nil))
    )

    static func response(for task: TaskRecord, request: Request, store: any TitanStorage) async throws -> Response {
        guard let hostID = task.host else {
            throw APIError(.notFound, code: "notFound", "task \(task.id) has not been placed on a host yet; no logs")
        }
        guard let host = try await store.host(id: hostID) else {
            throw APIError.notFound("host \(hostID) of task \(task.id) is not known")
        }
        if host.address.hasPrefix("simulated://") {
            throw APIError(
                .notFound,
                code: "notFound",
                "task \(task.id) ran on simulated host \(hostID), which keeps no logs"
            )
        }
        let attempt = try request.integerQuery("attempt", in: 0...Int.max) ?? task.attempt
        let stream = request.query("stream") ?? "both"
        guard ["stdout", "stderr", "both"].contains(stream) else {
            throw APIError.invalid("stream", "must be stdout, stderr or both")
        }
        let follow = request.query("follow") ?? "false"
        guard ["true", "false"].contains(follow) else { throw APIError.invalid("follow", "must be true or false") }
        let tail = try request.integerQuery("tail", in: 0...1_000_000)
        var components = URLComponents()
        components.path = "/v1/tasks/\(task.id.rawValue)/logs"
        components.queryItems =
            [
                URLQueryItem(name: "attempt", value: String(attempt)), URLQueryItem(name: "stream", value: stream),
                URLQueryItem(name: "follow", value: follow),
            ] + (tail.map { [URLQueryItem(name: "tail", value: String($0))] } ?? [])
        let base = host.address.hasSuffix("/") ? String(host.address.dropLast()) : host.address
        let upstream: HTTPStreamingResponse
        do {
            upstream = try await client.stream(
                CurlHTTP.HTTPRequest(method: .get, url: base + (components.string ?? ""))
            )
        } catch {
            throw APIError(
                .badGateway,
                code: "agentUnreachable",
                "the agent of host \(hostID) at \(host.address) did not answer: \(error)"
            )
        }
        guard upstream.isSuccess else {
            let body = try await upstream.collect(upTo: 64 * 1024)
            throw APIError(
                upstream.statusCode == 404 ? .notFound : .badGateway,
                code: upstream.statusCode == 404 ? "notFound" : "agentError",
                "the agent of host \(hostID) answered \(upstream.statusCode): \(body.bodyText.prefix(500))"
            )
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; charset=utf-8"],
            body: ResponseBody { writer in
                for try await chunk in upstream.body {
                    try await writer.write(ByteBuffer(bytes: chunk))
                }
                try await writer.finish(nil)
            }
        )
    }
}
