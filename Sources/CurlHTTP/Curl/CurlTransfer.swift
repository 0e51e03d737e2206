import CCurl
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The status line and headers of a response, delivered before its body.
struct ResponseHead: Sendable {
    var statusCode: Int
    var headers: HTTPHeaders
}

/// One request on one libcurl easy handle, from configuration to the last body byte.
///
/// Threading: the easy handle and the header parsing fields are used by the creating task until
/// the transfer is submitted, and afterwards only by the event-loop thread (libcurl calls back on
/// that thread). Everything a consumer task touches lives in `state`, behind a mutex. That split
/// is why the class is `@unchecked Sendable`.
final class CurlTransfer: @unchecked Sendable {
    private enum Completion {
        case running
        case finished
        case failed(HTTPClientError)
    }

    private struct State {
        var headWaiter: CheckedContinuation<ResponseHead, any Error>?
        var headDelivered = false
        var chunks: [[UInt8]] = []
        var bufferedBytes = 0
        var isPaused = false
        var bodyWaiter: CheckedContinuation<[UInt8]?, any Error>?
        var completion = Completion.running
        var cancelRequested = false
    }

    let easy: UnsafeMutableRawPointer
    let request: HTTPRequest
    private let timeouts: HTTPTimeouts
    private let receiveBufferLimit: Int
    private let state = Mutex(State())
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var headerList: UnsafeMutablePointer<curl_slist>?
    /// Headers of the response being received (event-loop thread only).
    private var receivedHeaders = HTTPHeaders()

    private init(easy: UnsafeMutableRawPointer, request: HTTPRequest, timeouts: HTTPTimeouts, receiveBufferLimit: Int) {
        self.easy = easy
        self.request = request
        self.timeouts = timeouts
        self.receiveBufferLimit = max(1, receiveBufferLimit)
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    /// A transfer ready to submit, or an error saying what about the request is wrong.
    static func make(
        _ request: HTTPRequest,
        timeouts: HTTPTimeouts,
        receiveBufferLimit: Int
    ) throws(HTTPClientError) -> CurlTransfer {
        guard let easy = curl_easy_init() else {
            throw HTTPClientError(code: .transferFailed, message: "libcurl could not create a transfer handle")
        }
        let transfer = CurlTransfer(
            easy: easy,
            request: request,
            timeouts: timeouts,
            receiveBufferLimit: receiveBufferLimit
        )
        try transfer.configure()
        return transfer
    }

    // MARK: Configuration (creating task, before submission)

    private func configure() throws(HTTPClientError) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        try set(ccurl_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer), "error buffer")
        try set(ccurl_setopt_string(easy, CURLOPT_URL, request.url), "URL \(request.url)")
        try set(ccurl_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https"), "protocols")
        try set(ccurl_setopt_long(easy, CURLOPT_NOSIGNAL, 1), "no signals")
        if let chunkBytes = request.receiveChunkBytes {
            try set(
                ccurl_setopt_long(easy, CURLOPT_BUFFERSIZE, Int(min(max(chunkBytes, 1024), 512 * 1024))),
                "buffer size"
            )
        }
        if let socketPath = request.unixSocketPath {
            try set(ccurl_setopt_string(easy, CURLOPT_UNIX_SOCKET_PATH, socketPath), "unix socket \(socketPath)")
        }
        try set(
            ccurl_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(timeouts.connect)),
            "connect timeout"
        )
        if let total = timeouts.total {
            try set(ccurl_setopt_long(easy, CURLOPT_TIMEOUT_MS, Self.milliseconds(total)), "total timeout")
        }
        try configureMethodAndBody()
        try configureHeaders()
        try set(ccurl_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION, bodyCallback), "body callback")
        try set(ccurl_setopt_pointer(easy, CURLOPT_WRITEDATA, context), "body context")
        try set(ccurl_setopt_data_callback(easy, CURLOPT_HEADERFUNCTION, headerCallback), "header callback")
        try set(ccurl_setopt_pointer(easy, CURLOPT_HEADERDATA, context), "header context")
    }

    private func configureMethodAndBody() throws(HTTPClientError) {
        let method = request.method
        guard !method.rawValue.isEmpty, method.rawValue.allSatisfy({ $0.isLetter || $0 == "-" }) else {
            throw invalid("the method \"\(method)\" is not an HTTP token")
        }
        if let body = request.body {
            try set(ccurl_setopt_offset(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)), "body size")
            let code =
                body.isEmpty
                ? ccurl_setopt_string(easy, CURLOPT_COPYPOSTFIELDS, "")
                : body.withUnsafeBytes { bytes in
                    ccurl_setopt_pointer(
                        easy,
                        CURLOPT_COPYPOSTFIELDS,
                        UnsafeMutableRawPointer(mutating: bytes.baseAddress)
                    )
                }
            try set(code, "body")
            if method != .post {
                try set(ccurl_setopt_string(easy, CURLOPT_CUSTOMREQUEST, method.rawValue), "method")
            }
            return
        }
        switch method {
        case .get:
            try set(ccurl_setopt_long(easy, CURLOPT_HTTPGET, 1), "method")
        case .head:
            try set(ccurl_setopt_long(easy, CURLOPT_NOBODY, 1), "method")
        case .post:
            try set(ccurl_setopt_long(easy, CURLOPT_POST, 1), "method")
            try set(ccurl_setopt_offset(easy, CURLOPT_POSTFIELDSIZE_LARGE, 0), "body size")
        default:
            try set(ccurl_setopt_string(easy, CURLOPT_CUSTOMREQUEST, method.rawValue), "method")
        }
    }

    private func configureHeaders() throws(HTTPClientError) {
        // curl's line syntax: "Name: value", "Name;" for an empty value, "Name:" to drop a header
        // curl would add.
        var lines: [String] = []
        for field in request.headers {
            let line = field.value.isEmpty ? "\(field.name);" : "\(field.name): \(field.value)"
            guard !line.utf8.contains(where: { $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n") || $0 == 0 }),
                !field.name.isEmpty, !field.name.contains(":"), !field.name.contains(";")
            else {
                throw invalid("the header \"\(field.name)\" has a line break, a colon in its name, or no name")
            }
            lines.append(line)
        }
        // curl waits for "100 Continue" before a large body; the servers we talk to answer at once.
        if !request.headers.contains("Expect") { lines.append("Expect:") }
        for line in lines {
            guard let appended = curl_slist_append(headerList, line) else {
                throw HTTPClientError(code: .transferFailed, message: "libcurl could not store a request header")
            }
            headerList = appended
        }
        try set(ccurl_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList), "headers")
    }

    private func set(_ code: CURLcode, _ what: String) throws(HTTPClientError) {
        guard code == CURLE_OK else {
            let reason = String(cString: curl_easy_strerror(code))
            throw invalid("libcurl refused the \(what): \(reason)")
        }
    }

    private func invalid(_ detail: String) -> HTTPClientError {
        HTTPClientError(code: .invalidRequest, message: "cannot send \(request.method) \(request.url): \(detail)")
    }

    /// libcurl takes whole milliseconds and reads 0 as "no limit", so round up to at least 1.
    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 1 }
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow || whole > Int64(Int.max / 2) { return Int.max / 2 }
        let fraction = (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return max(1, Int(whole + fraction))
    }

    // MARK: Consumer side (any task)

    /// Records the continuation that receives the response head once the status and headers arrive.
    func awaitHead(_ continuation: CheckedContinuation<ResponseHead, any Error>) {
        state.withLock { $0.headWaiter = continuation }
    }

    /// The next body chunk, nil at the end, or the error that ended the transfer.
    func nextChunk(loop: CurlEventLoop) async throws -> [UInt8]? {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8]?, any Error>) in
            enum Step {
                case deliver([UInt8], resumeReceiving: Bool)
                case end
                case fail(HTTPClientError)
                case wait
            }
            let limit = receiveBufferLimit
            let step = state.withLock { state -> Step in
                if !state.chunks.isEmpty {
                    let chunk = state.chunks.removeFirst()
                    state.bufferedBytes -= chunk.count
                    let resume = state.isPaused && state.bufferedBytes <= limit / 2
                    if resume { state.isPaused = false }
                    return .deliver(chunk, resumeReceiving: resume)
                }
                switch state.completion {
                case .finished: return .end
                case .failed(let error): return .fail(error)
                case .running:
                    guard state.bodyWaiter == nil else {
                        return .fail(
                            HTTPClientError(
                                code: .invalidRequest,
                                message: "the body of \(request.method) \(request.url) is already being read by "
                                    + "another task; read a body from one task only"
                            )
                        )
                    }
                    state.bodyWaiter = continuation
                    return .wait
                }
            }
            switch step {
            case .deliver(let chunk, let resumeReceiving):
                if resumeReceiving { loop.resumeReceiving(self) }
                continuation.resume(returning: chunk)
            case .end: continuation.resume(returning: nil)
            case .fail(let error): continuation.resume(throwing: error)
            case .wait: break
            }
        }
    }

    /// Notes that the consumer wants the transfer stopped; true when it was still running, so the
    /// event loop must be told.
    func markCancelled() -> Bool {
        state.withLock { state in
            guard case .running = state.completion, !state.cancelRequested else { return false }
            state.cancelRequested = true
            return true
        }
    }

    var isCancelRequested: Bool { state.withLock { $0.cancelRequested } }

    // MARK: Event-loop thread

    /// Handles one header line from libcurl; returns the bytes consumed.
    fileprivate func receiveHeaderLine(_ bytes: UnsafeRawBufferPointer) -> Int {
        var end = bytes.count
        while end > 0 && (bytes[end - 1] == UInt8(ascii: "\n") || bytes[end - 1] == UInt8(ascii: "\r")) { end -= 1 }
        let line = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[0..<end]), as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            receivedHeaders = HTTPHeaders()
        } else if line.isEmpty {
            let status = responseCode()
            // 1xx responses (100 Continue) are followed by the real one.
            if status >= 200 { deliverHead(ResponseHead(statusCode: status, headers: receivedHeaders)) }
        } else if let colon = line.firstIndex(of: ":") {
            let name = String(line[..<colon])
            let value = line[line.index(after: colon)...].trimmingBlanks()
            receivedHeaders.add(name: name, value: value)
        }
        return bytes.count
    }

    /// Handles body bytes from libcurl: hands them to a waiting reader, buffers them, or pauses
    /// the transfer when the reader is too far behind.
    fileprivate func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        enum Step {
            case deliver(CheckedContinuation<[UInt8]?, any Error>)
            case buffered
            case pause
            case abort
        }
        let chunk = [UInt8](bytes)
        let limit = receiveBufferLimit
        let step = state.withLock { state -> Step in
            if state.cancelRequested { return .abort }
            if let waiter = state.bodyWaiter {
                state.bodyWaiter = nil
                return .deliver(waiter)
            }
            if state.bufferedBytes >= limit {
                state.isPaused = true
                return .pause
            }
            state.chunks.append(chunk)
            state.bufferedBytes += chunk.count
            return .buffered
        }
        switch step {
        case .deliver(let waiter):
            waiter.resume(returning: chunk)
            return bytes.count
        case .buffered: return bytes.count
        case .pause: return ccurl_writefunc_pause
        case .abort: return 0
        }
    }

    /// Ends the transfer with libcurl's result (the handle is already out of the multi handle).
    func finish(_ code: CURLcode) {
        if isCancelRequested {
            complete(with: .cancelled(request))
        } else if code == CURLE_OK {
            complete(with: nil)
        } else {
            complete(with: error(for: code))
        }
    }

    /// Ends the transfer with the given error, or successfully with nil.
    func complete(with error: HTTPClientError?) {
        let (headWaiter, bodyWaiter) = state.withLock { state in
            state.completion = error.map(Completion.failed) ?? .finished
            state.headDelivered = true
            defer {
                state.headWaiter = nil
                state.bodyWaiter = nil
            }
            return (state.headWaiter, state.bodyWaiter)
        }
        if let headWaiter {
            if let error {
                headWaiter.resume(throwing: error)
            } else {
                headWaiter.resume(returning: ResponseHead(statusCode: responseCode(), headers: receivedHeaders))
            }
        }
        if let bodyWaiter {
            if let error { bodyWaiter.resume(throwing: error) } else { bodyWaiter.resume(returning: nil) }
        }
    }

    private func deliverHead(_ head: ResponseHead) {
        let waiter = state.withLock { state in
            guard !state.headDelivered else { return CheckedContinuation<ResponseHead, any Error>?.none }
            state.headDelivered = true
            defer { state.headWaiter = nil }
            return state.headWaiter
        }
        waiter?.resume(returning: head)
    }

    private func responseCode() -> Int {
        var code = 0
        _ = ccurl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &code)
        return code
    }

    /// Turns libcurl's result into an error a person can act on.
    private func error(for code: CURLcode) -> HTTPClientError {
        let detail = String(cString: errorBuffer)
        let curlReason = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return HTTPClientError(
                code: .couldNotConnect,
                message: "cannot connect to \(request.targetDescription): \(systemReason() ?? curlReason)"
            )
        case CURLE_OPERATION_TIMEDOUT:
            let limits =
                "connect timeout \(timeouts.connect)" + (timeouts.total.map { ", total timeout \($0)" } ?? "")
            return HTTPClientError(
                code: .timedOut,
                message: "\(request.method) \(request.url) timed out (\(limits)): \(curlReason)"
            )
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return invalid(curlReason)
        case CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE:
            return HTTPClientError(
                code: .connectionLost,
                message: "the connection to \(request.targetDescription) broke during \(request.method) "
                    + "\(request.url): \(curlReason)"
            )
        default:
            return HTTPClientError(
                code: .transferFailed,
                message: "\(request.method) \(request.url) failed: \(curlReason)"
            )
        }
    }

    /// The operating system's words for the last socket error ("connection refused"), if any.
    private func systemReason() -> String? {
        var number = 0
        guard ccurl_getinfo_long(easy, CURLINFO_OS_ERRNO, &number) == CURLE_OK, number != 0,
            let text = strerror(Int32(number))
        else { return nil }
        let reason = String(cString: text)
        return reason.prefix(1).lowercased() + reason.dropFirst()
    }
}

private let bodyCallback: ccurl_data_callback = { data, size, count, context in
    guard let context else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: size * count))
}

private let headerCallback: ccurl_data_callback = { data, size, count, context in
    guard let context else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    return transfer.receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: size * count))
}

extension Substring {
    /// The text without leading and trailing spaces and tabs.
    fileprivate func trimmingBlanks() -> String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isBlank($0) }), let last = lastIndex(where: { !isBlank($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
