import CurlHTTP
import Foundation
import TitanModel

/// Why a call to titan-api failed.
public struct AgentAPIError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case unreachable
            case notRegistered
            case rejected
            case unavailable
            case unexpectedResponse
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// No answer: the API is down, unreachable, or timed out. Retry later.
        public static var unreachable: Code { Code(.unreachable) }
        /// 404: the API does not know this agent; register again.
        public static var notRegistered: Code { Code(.notRegistered) }
        /// Another 4xx: the request itself is wrong; retrying it will not help.
        public static var rejected: Code { Code(.rejected) }
        /// 5xx (503 while the API is not leader or recovering). Retry later.
        public static var unavailable: Code { Code(.unavailable) }
        /// A 2xx answer that is not what the protocol describes.
        public static var unexpectedResponse: Code { Code(.unexpectedResponse) }

        public var description: String { String(describing: wrapped) }
    }

    public let code: Code
    public let message: String
    /// The HTTP status, when an answer arrived.
    public let statusCode: Int?

    public init(code: Code, message: String, statusCode: Int? = nil) {
        self.code = code
        self.message = message
        self.statusCode = statusCode
    }

    public var description: String { message }

    /// Whether trying the same call again later may succeed.
    public var isRetryable: Bool { code == .unreachable || code == .unavailable }
}

/// The agent's side of the agent protocol (Docs/agent-protocol.md): every call the agent makes
/// to titan-api. One component, so the rest of the agent never builds a URL.
public protocol AgentAPI: Sendable {
    func register(_ registration: AgentRegistration) async throws(AgentAPIError) -> AgentDirectives
    func heartbeat(_ agentID: HostID, _ heartbeat: AgentHeartbeat) async throws(AgentAPIError) -> AgentDirectives
    /// Orders after `after`, waiting up to `wait` for some to arrive.
    func orders(_ agentID: HostID, after: Int64, wait: Duration) async throws(AgentAPIError) -> AgentOrders
    func sendStatus(_ agentID: HostID, _ batch: AgentStatusBatch) async throws(AgentAPIError) -> AgentStatusAck
    func sendUsage(_ agentID: HostID, _ report: AgentUsageReport) async throws(AgentAPIError)
}

/// ``AgentAPI`` over HTTP/1.1 with JSON bodies (CurlHTTP).
public struct HTTPAgentAPI: AgentAPI {
    /// The API's base URL, such as `http://127.0.0.1:7000`.
    public let baseURL: String
    private let http: HTTPClient
    private let requestTimeout: Duration

    public init(baseURL: String, httpClient: HTTPClient = .shared, requestTimeout: Duration = .seconds(15)) {
        var trimmed = baseURL
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.baseURL = trimmed
        self.http = httpClient
        self.requestTimeout = requestTimeout
    }

    public func register(_ registration: AgentRegistration) async throws(AgentAPIError) -> AgentDirectives {
        try await call(.post, "/v1/agents/register", body: registration, as: AgentDirectives.self)
    }

    public func heartbeat(_ agentID: HostID, _ heartbeat: AgentHeartbeat) async throws(AgentAPIError)
        -> AgentDirectives
    {
        try await call(.post, "/v1/agents/\(escaped(agentID))/heartbeat", body: heartbeat, as: AgentDirectives.self)
    }

    public func orders(_ agentID: HostID, after: Int64, wait: Duration) async throws(AgentAPIError) -> AgentOrders {
        let seconds = max(0, wait.components.seconds)
        return try await call(
            .get,
            "/v1/agents/\(escaped(agentID))/orders?after=\(after)&waitSeconds=\(seconds)",
            body: nil as AgentHeartbeat?,
            as: AgentOrders.self,
            timeout: wait + .seconds(15)
        )
    }

    public func sendStatus(_ agentID: HostID, _ batch: AgentStatusBatch) async throws(AgentAPIError)
        -> AgentStatusAck
    {
        try await call(.post, "/v1/agents/\(escaped(agentID))/status", body: batch, as: AgentStatusAck.self)
    }

    public func sendUsage(_ agentID: HostID, _ report: AgentUsageReport) async throws(AgentAPIError) {
        _ = try await call(.post, "/v1/agents/\(escaped(agentID))/usage", body: report, as: IgnoredAnswer.self)
    }

    private func escaped(_ agentID: HostID) -> String {
        agentID.rawValue.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"]))
            ?? agentID.rawValue
    }

    private func call<Body: Encodable, Answer: Decodable>(
        _ method: HTTPMethod,
        _ path: String,
        body: Body?,
        as answer: Answer.Type,
        timeout: Duration? = nil
    ) async throws(AgentAPIError) -> Answer {
        var headers: HTTPHeaders = ["Accept": "application/json"]
        var bytes: [UInt8]?
        if let body {
            do {
                bytes = Array(try TitanJSON.encoder().encode(body))
            } catch {
                throw AgentAPIError(code: .rejected, message: "cannot encode the body of \(method) \(path): \(error)")
            }
            headers.add(name: "Content-Type", value: "application/json")
        }
        let request = HTTPRequest(
            method: method,
            url: baseURL + path,
            headers: headers,
            body: bytes,
            timeouts: HTTPTimeouts(connect: .seconds(5), total: timeout ?? requestTimeout),
            // The agent's loops retry with their own backoff; one attempt per call here.
            retryPolicy: .never
        )
        let response: HTTPResponse
        do {
            response = try await http.execute(request)
        } catch let error as HTTPClientError where error.code == .cancelled {
            throw AgentAPIError(code: .unreachable, message: "\(method) \(path) was cancelled")
        } catch {
            throw AgentAPIError(code: .unreachable, message: "titan-api at \(baseURL) did not answer: \(error)")
        }
        guard response.isSuccess else {
            let detail =
                (try? TitanJSON.decoder().decode(APIErrorBody.self, from: Data(response.body)))?.error.message
                ?? String(decoding: response.body.prefix(300), as: UTF8.self)
            let message = "titan-api answered \(method) \(path) with \(response.statusCode): \(detail)"
            switch response.statusCode {
            case 404: throw AgentAPIError(code: .notRegistered, message: message, statusCode: 404)
            case 400..<500: throw AgentAPIError(code: .rejected, message: message, statusCode: response.statusCode)
            default: throw AgentAPIError(code: .unavailable, message: message, statusCode: response.statusCode)
            }
        }
        if Answer.self == IgnoredAnswer.self, let ignored = IgnoredAnswer() as? Answer { return ignored }
        do {
            return try TitanJSON.decoder().decode(Answer.self, from: Data(response.body))
        } catch {
            throw AgentAPIError(
                code: .unexpectedResponse,
                message: "titan-api's answer to \(method) \(path) is not what the agent protocol describes: \(error)",
                statusCode: response.statusCode
            )
        }
    }
}

/// An answer whose body the agent does not read.
private struct IgnoredAnswer: Decodable {
    init() {}
    init(from decoder: any Decoder) throws {}
}
