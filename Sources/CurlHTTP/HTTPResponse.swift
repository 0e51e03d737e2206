/// A complete response: status, headers and the whole body.
public struct HTTPResponse: Sendable {
    public var statusCode: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(statusCode: Int, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.statusCode = statusCode
        self.headers = headers
        self.body = body
    }

    /// The body decoded as UTF-8 (invalid bytes become U+FFFD).
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// Whether the status is 2xx.
    public var isSuccess: Bool { (200..<300).contains(statusCode) }
}

/// A response whose status and headers have arrived and whose body arrives as it is sent.
///
/// For bodies without an end (Docker logs and events, Mesos RecordIO, server-sent events).
/// Dropping the response, or cancelling the task reading it, closes the connection.
public struct HTTPStreamingResponse: Sendable {
    public var statusCode: Int
    public var headers: HTTPHeaders
    /// The body, one chunk at a time, as the server sends it; read it once.
    public var body: HTTPBodyStream

    /// Whether the status is 2xx.
    public var isSuccess: Bool { (200..<300).contains(statusCode) }

    /// Reads the rest of the body into a complete response.
    public func collect(upTo maxBytes: Int = .max) async throws -> HTTPResponse {
        HTTPResponse(statusCode: statusCode, headers: headers, body: try await body.collect(upTo: maxBytes))
    }
}
