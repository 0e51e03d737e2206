import CurlHTTP
import Foundation
import TitanModel

/// titanctl's calls to titan-api: JSON in, the API's types out, and every failure as an
/// ``APICallError`` that says whether the API refused or could not be reached.
public struct TitanAPIClient: Sendable {
    public let address: APIAddress
    private let http: HTTPClient

    /// - Parameters:
    ///   - address: where the API is.
    ///   - http: the HTTP client; its timeouts apply to every call but log streams.
    public init(address: APIAddress, http: HTTPClient = TitanAPIClient.defaultHTTPClient) {
        self.address = address
        self.http = http
    }

    /// Connects within 5 s, answers within 60 s; idempotent calls are tried up to 3 times
    /// when the connection is refused (an API restarting), which costs 0.3 s when it is down.
    public static let defaultHTTPClient = HTTPClient(
        configuration: HTTPClient.Configuration(
            timeouts: HTTPTimeouts(connect: .seconds(5), total: .seconds(60)),
            retryPolicy: RetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(100))
        )
    )

    /// `GET path`, decoded.
    public func get<Value: Decodable>(_ path: String, as type: Value.Type = Value.self) async throws(APICallError)
        -> Value
    {
        try await call(.get, path, body: nil, as: type)
    }

    /// A request with an optional JSON body, decoded.
    /// - Parameters:
    ///   - method: the HTTP method.
    ///   - path: the path and query, starting with `/`.
    ///   - body: the JSON body, if any.
    ///   - headers: extra headers (such as `Idempotency-Key`).
    public func call<Value: Decodable>(
        _ method: HTTPMethod,
        _ path: String,
        body: Data?,
        headers: [String: String] = [:],
        as type: Value.Type = Value.self
    ) async throws(APICallError) -> Value {
        var request = HTTPRequest(method: method, url: address.baseURL + path)
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "titanctl")
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = [UInt8](body)
        }
        let response: HTTPResponse
        do {
            response = try await http.execute(request)
        } catch {
            throw unreachable(error)
        }
        guard response.isSuccess else { throw Self.refusal(status: response.statusCode, body: response.body) }
        do {
            return try TitanJSON.decoder().decode(Value.self, from: Data(response.body))
        } catch {
            throw .unreadable(
                status: response.statusCode,
                detail: "the answer to \(method) \(path) is not what titanctl expects "
                    + "(is titan-api the same version?): \(error)"
            )
        }
    }

    /// `GET path` as a stream of bytes, for logs that follow. No total timeout applies.
    public func stream(_ path: String) async throws(APICallError) -> HTTPBodyStream {
        var request = HTTPRequest(method: .get, url: address.baseURL + path)
        request.headers.add(name: "User-Agent", value: "titanctl")
        request.timeouts = HTTPTimeouts(connect: .seconds(5), total: nil)
        let response: HTTPStreamingResponse
        do {
            response = try await http.stream(request)
        } catch {
            throw unreachable(error)
        }
        guard response.isSuccess else {
            let body = (try? await response.body.collect(upTo: 1 << 20)) ?? []
            throw Self.refusal(status: response.statusCode, body: body)
        }
        return response.body
    }

    private func unreachable(_ error: any Error) -> APICallError {
        .unreachable(address: address, detail: (error as? HTTPClientError)?.message ?? "\(error)")
    }

    static func refusal(status: Int, body: [UInt8]) -> APICallError {
        if let decoded = try? TitanJSON.decoder().decode(APIErrorBody.self, from: Data(body)) {
            return .refused(status: status, body: decoded.error)
        }
        let text = String(decoding: body.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return .unreadable(
            status: status,
            detail: "the server answered \(status) without Titan's error body"
                + (text.isEmpty ? "" : ": \(text)") + " (is --api pointing at titan-api?)"
        )
    }
}

/// Why a call to the API failed.
public enum APICallError: Error, Hashable, Sendable {
    /// The API answered with an error: its body, verbatim.
    case refused(status: Int, body: APIErrorDetail)
    /// Something answered, but not in a form titanctl can read.
    case unreadable(status: Int, detail: String)
    /// No answer: nothing listens there, or it did not answer in time.
    case unreachable(address: APIAddress, detail: String)

    /// The failure as titanctl reports it and exits: 1 for an answer, 3 for no answer.
    public var failure: CommandFailure {
        switch self {
        case .refused(_, let body):
            return .refused(Self.describe(body))
        case .unreadable(_, let detail):
            return .refused(detail)
        case .unreachable(let address, let detail):
            return .unreachable(
                "cannot reach titan-api at \(address.baseURL) (\(address.sourceDescription)): \(detail)\n"
                    + Self.unreachableHint
            )
        }
    }

    /// What to do when the API does not answer.
    public static let unreachableHint =
        "hint: start it with `titan-api --simulate-hosts 3` (in a checkout: `swift run titan-api --simulate-hosts 3`), "
        + "or point titanctl at a running one with --api URL, \(APIAddress.environmentVariable), "
        + "or \"api\" in ~/.config/titan/config.json"

    /// The API's message, then each problem as `field: message` on its own line, indented.
    public static func describe(_ body: APIErrorDetail, location: (FieldProblem) -> String? = { _ in nil }) -> String {
        var lines = [body.message]
        for problem in body.problems {
            let prefix = location(problem).map { "\($0): " } ?? ""
            lines.append("  " + prefix + problem.description)
        }
        return lines.joined(separator: "\n")
    }
}
