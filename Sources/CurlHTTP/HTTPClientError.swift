/// Why an HTTP request failed before a response could be read in full.
///
/// Match on ``code`` (which can grow new cases without breaking callers); show ``message`` to a
/// person: it names the request, the target and what to do about it.
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case couldNotConnect
            case connectionLost
            case timedOut
            case invalidRequest
            case cancelled
            case transferFailed
            case clientShutDown
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// No connection could be made: refused, no such socket file, unknown host.
        public static var couldNotConnect: Code { Code(.couldNotConnect) }
        /// The connection broke before the response was complete.
        public static var connectionLost: Code { Code(.connectionLost) }
        /// The connect or total timeout passed.
        public static var timedOut: Code { Code(.timedOut) }
        /// The request cannot be sent as given (malformed URL, a header with a line break).
        public static var invalidRequest: Code { Code(.invalidRequest) }
        /// The task waiting for the request was cancelled, or the body stream was dropped.
        public static var cancelled: Code { Code(.cancelled) }
        /// libcurl reported another failure; the message carries its words.
        public static var transferFailed: Code { Code(.transferFailed) }
        /// The client was shut down before the request could start.
        public static var clientShutDown: Code { Code(.clientShutDown) }

        public var description: String { String(describing: wrapped) }
    }

    /// The kind of failure, for code to match on.
    public let code: Code
    /// What went wrong and where, for a person.
    public let message: String

    package init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// Whether a retry of an idempotent request may succeed: the server never saw a complete
    /// request, or never answered it.
    var isConnectionFailure: Bool { code == .couldNotConnect || code == .connectionLost }

    /// The same error, saying how many attempts were made.
    func afterAttempts(_ attempts: Int) -> HTTPClientError {
        guard attempts > 1 else { return self }
        return HTTPClientError(code: code, message: "\(message) (after \(attempts) attempts)")
    }

    static func cancelled(_ request: HTTPRequest) -> HTTPClientError {
        HTTPClientError(code: .cancelled, message: "\(request.method) \(request.url) was cancelled")
    }

    static func shutDown(_ request: HTTPRequest) -> HTTPClientError {
        HTTPClientError(
            code: .clientShutDown,
            message: "\(request.method) \(request.url) was not sent: the HTTP client has shut down"
        )
    }
}
