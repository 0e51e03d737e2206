/// A small async HTTP/1.1 client over libcurl, for TCP and unix-domain sockets.
///
/// One client owns one event-loop thread that runs all its transfers, so blocking network
/// calls never occupy Swift concurrency's cooperative threads; share one client per process
/// (``shared``) or per component. Status codes are never errors: a 404 is a response. Errors
/// (``HTTPClientError``) mean no complete response arrived.
///
/// ```swift
/// let client = HTTPClient.shared
/// let pong = try await client.execute(HTTPRequest(url: "http://localhost/_ping", unixSocketPath: socket))
/// ```
public final class HTTPClient: Sendable {
    /// Defaults for every request of a client.
    public struct Configuration: Sendable {
        /// Timeouts for requests that don't set their own.
        public var timeouts: HTTPTimeouts
        /// Retries for requests that don't set their own.
        public var retryPolicy: RetryPolicy
        /// Bytes of a response body held for a slow reader before the client stops reading from
        /// the connection until the reader catches up.
        public var receiveBufferLimitBytes: Int

        public init(
            timeouts: HTTPTimeouts = HTTPTimeouts(),
            retryPolicy: RetryPolicy = RetryPolicy(),
            receiveBufferLimitBytes: Int = 1 << 20
        ) {
            self.timeouts = timeouts
            self.retryPolicy = retryPolicy
            self.receiveBufferLimitBytes = receiveBufferLimitBytes
        }
    }

    /// The defaults this client applies.
    public let configuration: Configuration
    private let loop: CurlEventLoop

    /// A process-wide client with the default configuration.
    public static let shared = HTTPClient()

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        loop = CurlEventLoop()
    }

    deinit { loop.shutdown() }

    /// Sends a request and reads the whole response.
    /// - Throws: ``HTTPClientError`` when no complete response arrived.
    public func execute(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await stream(request).collect()
    }

    /// Sends a request and returns once the status and headers have arrived; the body follows
    /// as a stream.
    ///
    /// Idempotent requests are retried on connection errors per the request's (or the client's)
    /// ``RetryPolicy``, waiting between attempts without holding a thread.
    /// - Throws: ``HTTPClientError`` when no response head arrived.
    public func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse {
        let policy = request.method.isIdempotent ? (request.retryPolicy ?? configuration.retryPolicy) : .never
        var attempt = 1
        while true {
            do {
                return try await attemptOnce(request)
            } catch let error as HTTPClientError where error.isConnectionFailure && attempt < policy.maxAttempts {
                do {
                    try await Task.sleep(for: policy.backoff(afterAttempt: attempt))
                } catch {
                    throw HTTPClientError.cancelled(request)
                }
                attempt += 1
            } catch let error as HTTPClientError {
                throw error.afterAttempts(attempt)
            }
        }
    }

    private func attemptOnce(_ request: HTTPRequest) async throws -> HTTPStreamingResponse {
        let transfer = try CurlTransfer.make(
            request,
            timeouts: request.timeouts ?? configuration.timeouts,
            receiveBufferLimit: configuration.receiveBufferLimitBytes
        )
        let loop = self.loop
        let head = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                transfer.awaitHead(continuation)
                if !loop.submit(transfer) { transfer.complete(with: .shutDown(request)) }
            }
        } onCancel: {
            if transfer.markCancelled() { loop.cancel(transfer) }
        }
        return HTTPStreamingResponse(
            statusCode: head.statusCode,
            headers: head.headers,
            body: HTTPBodyStream(source: BodySource(transfer: transfer, loop: loop))
        )
    }
}
