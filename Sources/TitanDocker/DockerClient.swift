import CurlHTTP
import Foundation

/// A client for one Docker engine's API (1.41, unversioned paths) on its unix socket.
///
/// A value: copy it freely; copies share the HTTP client's connections. Every call throws
/// ``DockerError`` (or `CancellationError` when its task is cancelled). Calls that end when
/// the container does (``waitForExit(of:)``, followed logs, events, stats streams) have no total
/// timeout; the others time out after ``requestTimeout``.
public struct DockerClient: Sendable {
    /// The engine's socket, e.g. `/var/run/docker.sock`.
    public var socketPath: String
    /// The longest a call that should answer promptly may take.
    public var requestTimeout: Duration
    private let http: HTTPClient

    public init(
        socketPath: String = "/var/run/docker.sock",
        httpClient: HTTPClient = .shared,
        requestTimeout: Duration = .seconds(60)
    ) {
        self.socketPath = socketPath
        self.http = httpClient
        self.requestTimeout = requestTimeout
    }

    // MARK: Plumbing shared by the API facets

    /// What a failed status means for the call at hand.
    struct Failures {
        var notFound: DockerError?
        /// 304 Not Modified counts as success (start of a running container, stop of a stopped one).
        var notModifiedIsSuccess = false
    }

    /// Sends a request and returns the complete response when its status is a success.
    func call(
        _ method: HTTPMethod,
        _ path: String,
        query: [(String, String)] = [],
        body: [UInt8]? = nil,
        contentType: String? = nil,
        totalTimeout: Duration?? = .none,
        failures: Failures = Failures()
    ) async throws -> HTTPResponse {
        let request = makeRequest(
            method,
            path,
            query: query,
            body: body,
            contentType: contentType,
            totalTimeout: totalTimeout
        )
        let response: HTTPResponse
        do {
            response = try await http.execute(request)
        } catch let error as HTTPClientError {
            throw translate(error)
        }
        try check(statusCode: response.statusCode, body: response.body, failures: failures)
        return response
    }

    /// Sends a request whose body streams; returns once the engine has answered with success.
    func openStream(
        _ path: String,
        query: [(String, String)] = [],
        failures: Failures = Failures()
    ) async throws -> HTTPStreamingResponse {
        var request = makeRequest(.get, path, query: query, body: nil, contentType: nil, totalTimeout: .some(nil))
        // Streams stay open for as long as a container runs, one per container: a small receive
        // buffer keeps each one's memory low (output arrives in small pieces anyway).
        request.receiveChunkBytes = 4096
        do {
            let response = try await http.stream(request)
            if !response.isSuccess {
                let body = try await response.body.collect(upTo: 64 * 1024)
                try check(statusCode: response.statusCode, body: body, failures: failures)
            }
            return response
        } catch let error as HTTPClientError {
            throw translate(error)
        }
    }

    /// Sends a JSON body and decodes a JSON answer.
    func callJSON<Answer: Decodable>(
        _ method: HTTPMethod,
        _ path: String,
        query: [(String, String)] = [],
        body: some Encodable,
        as answer: Answer.Type,
        failures: Failures = Failures()
    ) async throws -> Answer {
        let encoded: [UInt8]
        do {
            encoded = Array(try JSONEncoder().encode(body))
        } catch {
            throw DockerError(code: .invalidRequest, message: "cannot encode the request to \(path): \(error)")
        }
        let response = try await call(
            method,
            path,
            query: query,
            body: encoded,
            contentType: "application/json",
            failures: failures
        )
        return try decode(Answer.self, from: response.body, path: path)
    }

    func decode<Value: Decodable>(_ type: Value.Type, from body: [UInt8], path: String) throws -> Value {
        do {
            return try JSONDecoder().decode(Value.self, from: Data(body))
        } catch {
            throw DockerError(
                code: .unexpectedResponse,
                message: "the Docker engine's answer to \(path) is not what API 1.41 describes: \(error)"
            )
        }
    }

    private func makeRequest(
        _ method: HTTPMethod,
        _ path: String,
        query: [(String, String)],
        body: [UInt8]?,
        contentType: String?,
        totalTimeout: Duration??
    ) -> HTTPRequest {
        var url = "http://localhost" + path
        if !query.isEmpty {
            url += "?" + query.map { "\(percentEncoded($0.0))=\(percentEncoded($0.1))" }.joined(separator: "&")
        }
        var headers: HTTPHeaders = [:]
        if let contentType { headers.add(name: "Content-Type", value: contentType) }
        let total: Duration? =
            switch totalTimeout {
            case .none: requestTimeout
            case .some(let explicit): explicit
            }
        return HTTPRequest(
            method: method,
            url: url,
            headers: headers,
            body: body,
            unixSocketPath: socketPath,
            timeouts: HTTPTimeouts(connect: .seconds(10), total: total)
        )
    }

    private func check(statusCode: Int, body: [UInt8], failures: Failures) throws {
        if (200..<300).contains(statusCode) { return }
        if statusCode == 304 && failures.notModifiedIsSuccess { return }
        let engineMessage =
            (try? JSONDecoder().decode(WireErrorBody.self, from: Data(body)))?.message
            ?? String(decoding: body.prefix(500), as: UTF8.self)
        switch statusCode {
        case 404:
            throw failures.notFound
                ?? DockerError(code: .engineError, message: "the Docker engine found nothing: \(engineMessage)")
        case 409:
            throw DockerError(code: .conflict, message: "the Docker engine refused: \(engineMessage)")
        case 400:
            throw DockerError(
                code: .invalidRequest,
                message: "the Docker engine rejected the request: \(engineMessage)"
            )
        default:
            throw DockerError(
                code: .engineError,
                message: "the Docker engine failed (HTTP \(statusCode)): \(engineMessage)"
            )
        }
    }

    private func translate(_ error: HTTPClientError) -> any Error {
        if error.code == .cancelled { return CancellationError() }
        return DockerError(
            code: .engineUnavailable,
            message: "the Docker engine at \(socketPath) did not answer: \(error.message); is dockerd running?"
        )
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters, so the engine's Go query
/// parser reads back exactly what was meant (a `+` would otherwise become a space).
/// - Parameter alsoKeeping: further ASCII characters to leave as they are.
func percentEncoded(_ text: String, alsoKeeping kept: String = "") -> String {
    var encoded = ""
    let keptBytes = Set(kept.utf8)
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            encoded.unicodeScalars.append(Unicode.Scalar(byte))
        case _ where keptBytes.contains(byte):
            encoded.unicodeScalars.append(Unicode.Scalar(byte))
        default:
            let hex = Array("0123456789ABCDEF".utf8)
            encoded += "%"
            encoded.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
            encoded.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0x0F)]))
        }
    }
    return encoded
}
