/// A response body as it arrives, one chunk of bytes at a time.
///
/// A single-consumer sequence: iterate it once. The client stops reading from the network
/// while the reader is behind by more than the configured buffer, so a slow reader holds back
/// the sender instead of filling memory. Dropping the last copy of the stream, or cancelling
/// the task iterating it, closes the connection.
public struct HTTPBodyStream: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    let source: BodySource

    public struct AsyncIterator: AsyncIteratorProtocol, Sendable {
        let source: BodySource

        public mutating func next() async throws -> [UInt8]? {
            try await source.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(source: source) }

    /// Reads the whole body.
    /// - Parameter maxBytes: fails with ``HTTPClientError/Code/transferFailed`` past this size.
    public func collect(upTo maxBytes: Int = .max) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in self {
            guard bytes.count + chunk.count <= maxBytes else {
                source.cancel()
                throw HTTPClientError(
                    code: .transferFailed,
                    message: "the response body is larger than the \(maxBytes) bytes allowed"
                )
            }
            bytes += chunk
        }
        return bytes
    }

    /// The body split into lines (at `\n`, a trailing `\r` removed), for JSON-lines and
    /// server-sent-event streams.
    public var lines: HTTPBodyLines { HTTPBodyLines(body: self) }
}

/// A response body read line by line. See ``HTTPBodyStream/lines``.
public struct HTTPBodyLines: AsyncSequence, Sendable {
    public typealias Element = String

    let body: HTTPBodyStream

    public struct AsyncIterator: AsyncIteratorProtocol, Sendable {
        var chunks: HTTPBodyStream.AsyncIterator
        var buffer: [UInt8] = []
        var lineStart = 0
        var searchFrom = 0
        var ended = false

        public mutating func next() async throws -> String? {
            while true {
                if let newline = buffer[searchFrom...].firstIndex(of: UInt8(ascii: "\n")) {
                    var lineEnd = newline
                    if lineEnd > lineStart && buffer[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
                    let line = String(decoding: buffer[lineStart..<lineEnd], as: UTF8.self)
                    lineStart = newline + 1
                    searchFrom = lineStart
                    return line
                }
                if ended {
                    guard lineStart < buffer.count else { return nil }
                    let line = String(decoding: buffer[lineStart...], as: UTF8.self)
                    buffer = []
                    lineStart = 0
                    searchFrom = 0
                    return line
                }
                guard let chunk = try await chunks.next() else {
                    ended = true
                    continue
                }
                buffer.removeFirst(lineStart)
                lineStart = 0
                searchFrom = buffer.count
                buffer += chunk
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunks: body.makeAsyncIterator()) }
}

/// The consumer's end of one transfer's body. Closes the transfer when the last stream copy goes.
final class BodySource: Sendable {
    private let transfer: CurlTransfer
    private let loop: CurlEventLoop

    init(transfer: CurlTransfer, loop: CurlEventLoop) {
        self.transfer = transfer
        self.loop = loop
    }

    deinit { cancel() }

    func next() async throws -> [UInt8]? {
        try await withTaskCancellationHandler {
            try await transfer.nextChunk(loop: loop)
        } onCancel: {
            cancel()
        }
    }

    func cancel() {
        if transfer.markCancelled() { loop.cancel(transfer) }
    }
}
