/// Which output of the container a piece of log came from.
public enum LogSource: UInt8, Hashable, Sendable, Codable {
    case stdin = 0
    case stdout = 1
    case stderr = 2
}

/// One frame of a container's log: bytes written to one output.
public struct LogFrame: Hashable, Sendable {
    public var source: LogSource
    public var bytes: [UInt8]

    public init(source: LogSource, bytes: [UInt8]) {
        self.source = source
        self.bytes = bytes
    }

    /// The bytes as UTF-8 text (invalid bytes become U+FFFD).
    public var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// Everything a container wrote, by output.
public struct ContainerOutput: Hashable, Sendable {
    public var stdout: String
    public var stderr: String

    public init(stdout: String = "", stderr: String = "") {
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// What part of a container's log to read.
public struct LogOptions: Hashable, Sendable {
    /// Keep the stream open and deliver new output until the container stops.
    public var follow: Bool
    public var includeStdout: Bool
    public var includeStderr: Bool
    /// Prefix each line with the engine's RFC 3339 timestamp.
    public var timestamps: Bool
    /// Only the last this many lines; nil for all.
    public var tailLines: Int?

    public init(
        follow: Bool = false,
        includeStdout: Bool = true,
        includeStderr: Bool = true,
        timestamps: Bool = false,
        tailLines: Int? = nil
    ) {
        self.follow = follow
        self.includeStdout = includeStdout
        self.includeStderr = includeStderr
        self.timestamps = timestamps
        self.tailLines = tailLines
    }
}

/// Splits the engine's multiplexed log stream into frames.
///
/// Each frame is an 8-byte header (the output: 0 stdin, 1 stdout, 2 stderr; three zero bytes;
/// the payload length as a big-endian 32-bit number) and then the payload. Bytes arrive in
/// network chunks that need not line up with frames, so the decoder buffers a partial frame.
public struct LogFrameDecoder: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0

    public init() {}

    /// Adds bytes as they arrived from the engine.
    public mutating func append(_ bytes: [UInt8]) {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer += bytes
    }

    /// The next complete frame, or nil until more bytes arrive.
    /// - Throws: ``DockerError`` when a header names no known output (a TTY container's log is
    ///   not multiplexed).
    public mutating func nextFrame() throws(DockerError) -> LogFrame? {
        guard buffer.count - start >= 8 else { return nil }
        guard let source = LogSource(rawValue: buffer[start]), buffer[start + 1] == 0, buffer[start + 2] == 0,
            buffer[start + 3] == 0
        else {
            throw DockerError(
                code: .unexpectedResponse,
                message:
                    "the container log is not in the engine's multiplexed format (was the container created with a TTY?)"
            )
        }
        let length =
            Int(buffer[start + 4]) << 24 | Int(buffer[start + 5]) << 16 | Int(buffer[start + 6]) << 8
            | Int(buffer[start + 7])
        guard buffer.count - start - 8 >= length else { return nil }
        let payload = Array(buffer[(start + 8)..<(start + 8 + length)])
        start += 8 + length
        return LogFrame(source: source, bytes: payload)
    }

    /// Bytes of an incomplete frame still held; non-zero at the end of a stream means it was cut.
    public var pendingByteCount: Int { buffer.count - start }
}
