/// How long a request may take before it fails with ``HTTPClientError/Code/timedOut``.
public struct HTTPTimeouts: Hashable, Sendable {
    /// Time allowed to establish the connection (TCP or unix socket).
    public var connect: Duration
    /// Time allowed for the whole exchange, body included; nil for none, as a stream that
    /// follows logs or events needs.
    public var total: Duration?

    public init(connect: Duration = .seconds(10), total: Duration? = .seconds(60)) {
        self.connect = connect
        self.total = total
    }
}

/// One HTTP request: what to send, where, and how patiently.
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    /// The absolute URL, `http://host:port/path?query`. With ``unixSocketPath`` set, the host
    /// only fills the `Host` header (use `localhost`).
    public var url: String
    public var headers: HTTPHeaders
    /// The request body; nil sends none.
    public var body: [UInt8]?
    /// Connect to this unix-domain socket instead of the URL's host and port (the Docker engine
    /// listens on one).
    public var unixSocketPath: String?
    /// Overrides the client's default timeouts for this request.
    public var timeouts: HTTPTimeouts?
    /// Overrides the client's default retry policy for this request.
    public var retryPolicy: RetryPolicy?
    /// The most libcurl reads at once for this request, in bytes (its receive buffer: 16 KB
    /// unless set; libcurl keeps it within 1 KB...512 KB). Each open stream holds one, so
    /// long-lived streams that carry little, such as followed logs, use a small one.
    public var receiveChunkBytes: Int?

    public init(
        method: HTTPMethod = .get,
        url: String,
        headers: HTTPHeaders = [:],
        body: [UInt8]? = nil,
        unixSocketPath: String? = nil,
        timeouts: HTTPTimeouts? = nil,
        retryPolicy: RetryPolicy? = nil,
        receiveChunkBytes: Int? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.unixSocketPath = unixSocketPath
        self.timeouts = timeouts
        self.retryPolicy = retryPolicy
        self.receiveChunkBytes = receiveChunkBytes
    }

    /// Where the request connects, as a person would name it in an error message.
    var targetDescription: String {
        if let unixSocketPath { return "unix socket \(unixSocketPath)" }
        return url
    }
}
