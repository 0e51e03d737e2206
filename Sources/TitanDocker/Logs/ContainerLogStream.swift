import CurlHTTP

/// A container's log as frames, as the engine sends them. Iterate once.
public struct ContainerLogStream: AsyncSequence, Sendable {
    public typealias Element = LogFrame

    let body: HTTPBodyStream

    public struct AsyncIterator: AsyncIteratorProtocol, Sendable {
        var chunks: HTTPBodyStream.AsyncIterator
        var decoder = LogFrameDecoder()
        var ended = false

        public mutating func next() async throws -> LogFrame? {
            while true {
                if let frame = try decoder.nextFrame() { return frame }
                if ended { return nil }
                if let chunk = try await chunks.next() {
                    decoder.append(chunk)
                } else {
                    ended = true
                    if decoder.pendingByteCount > 0 {
                        throw DockerError(
                            code: .unexpectedResponse,
                            message: "the container log stream ended in the middle of a frame"
                        )
                    }
                }
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunks: body.makeAsyncIterator()) }
}

/// A sequence of JSON documents, one per line, decoded as they arrive (events, stats). Iterate once.
public struct DockerJSONLineStream<Element: Sendable>: AsyncSequence, Sendable {
    let lines: HTTPBodyLines
    let decode: @Sendable (String) throws -> Element?

    public struct AsyncIterator: AsyncIteratorProtocol, Sendable {
        var lines: HTTPBodyLines.AsyncIterator
        let decode: @Sendable (String) throws -> Element?

        public mutating func next() async throws -> Element? {
            while let line = try await lines.next() {
                if line.isEmpty { continue }
                if let element = try decode(line) { return element }
            }
            return nil
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(lines: lines.makeAsyncIterator(), decode: decode)
    }
}

/// Engine events as they happen. See ``DockerClient/events(matching:since:until:)``.
public typealias DockerEventStream = DockerJSONLineStream<DockerEvent>

/// A container's resource usage, one sample about every second. See ``DockerClient/statsStream(of:)``.
public typealias ContainerStatsStream = DockerJSONLineStream<ContainerStats>
