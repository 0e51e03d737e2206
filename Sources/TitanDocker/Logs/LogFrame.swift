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
    /// Only output logged at or after this instant; nil for all. With ``timestamps``, a reader
    /// can resume exactly after the last frame it kept.
    public var since: LogTimestamp?

    public init(
        follow: Bool = false,
        includeStdout: Bool = true,
        includeStderr: Bool = true,
        timestamps: Bool = false,
        tailLines: Int? = nil,
        since: LogTimestamp? = nil
    ) {
        self.follow = follow
        self.includeStdout = includeStdout
        self.includeStderr = includeStderr
        self.timestamps = timestamps
        self.tailLines = tailLines
        self.since = since
    }
}

/// The instant the engine logged a frame, to the nanosecond, as ``LogOptions/timestamps``
/// prefixes it (`2024-05-01T12:00:00.123456789Z `).
///
/// Kept as whole seconds and nanoseconds rather than a `Date`, whose double loses the last digits,
/// so a reader resuming after a frame can skip exactly the frames it already has.
public struct LogTimestamp: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var secondsSinceEpoch: Int64
    public var nanoseconds: Int32

    public init(secondsSinceEpoch: Int64, nanoseconds: Int32) {
        self.secondsSinceEpoch = secondsSinceEpoch
        self.nanoseconds = nanoseconds
    }

    /// Reads an RFC 3339 UTC timestamp with up to nine fractional digits; nil if it is not one.
    public init?(rfc3339 text: some StringProtocol) {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard bytes.count >= 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var nanoseconds = 0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                if digits < 9 {
                    nanoseconds = nanoseconds * 10 + Int(bytes[index] - UInt8(ascii: "0"))
                    digits += 1
                }
                index += 1
            }
            while digits < 9 {
                nanoseconds *= 10
                digits += 1
            }
        }
        guard index == bytes.count - 1, bytes[index] == UInt8(ascii: "Z") else { return nil }
        let days = EngineTimestamp.daysSinceEpoch(year: year, month: month, day: day)
        secondsSinceEpoch = Int64(days * 86_400 + hour * 3600 + minute * 60 + second)
        self.nanoseconds = Int32(nanoseconds)
    }

    public static func < (lhs: LogTimestamp, rhs: LogTimestamp) -> Bool {
        (lhs.secondsSinceEpoch, lhs.nanoseconds) < (rhs.secondsSinceEpoch, rhs.nanoseconds)
    }

    /// The engine's `seconds.nanoseconds` query form.
    public var engineQueryValue: String {
        let fraction = String(nanoseconds)
        return "\(secondsSinceEpoch)." + String(repeating: "0", count: max(0, 9 - fraction.count)) + fraction
    }

    public var description: String { engineQueryValue }
}

extension LogFrame {
    /// For a frame read with ``LogOptions/timestamps``: its timestamp and the bytes after it, or
    /// nil when the frame does not start with one.
    public func splitTimestamp() -> (timestamp: LogTimestamp, payload: ArraySlice<UInt8>)? {
        guard let space = bytes.prefix(40).firstIndex(of: UInt8(ascii: " ")),
            let timestamp = LogTimestamp(rfc3339: String(decoding: bytes[..<space], as: UTF8.self))
        else { return nil }
        return (timestamp, bytes[(space + 1)...])
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
