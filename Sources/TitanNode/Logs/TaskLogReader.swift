import CTitanLinux
import Foundation
import Glibc
import TitanLogFiles

/// Which of a run's outputs to read.
public enum LogStreamSelection: String, Hashable, Sendable, CaseIterable {
    case stdout
    case stderr
    case both

    var names: [String] {
        switch self {
        case .stdout: ["stdout"]
        case .stderr: ["stderr"]
        case .both: ["stdout", "stderr"]
        }
    }
}

/// Reads a run's log files as `GET /v1/tasks/{id}/logs` serves them: the history (or its last
/// lines), then, when following, new output as it is written, across rotations, until the run
/// has ended and nothing more arrives.
///
/// With both outputs, the history is stdout's then stderr's (two files cannot say how their
/// lines interleaved); followed output interleaves by arrival, to within the poll interval.
public struct TaskLogReader: Sendable {
    public var directory: String
    public var selection: LogStreamSelection
    /// Only the last this many lines of each output's history; nil for all of it.
    public var tailLines: Int?
    public var follow: Bool
    /// How often a followed file is checked for new output.
    public var pollInterval: Duration

    public init(
        directory: String,
        selection: LogStreamSelection,
        tailLines: Int?,
        follow: Bool,
        pollInterval: Duration = .milliseconds(200)
    ) {
        self.directory = directory
        self.selection = selection
        self.tailLines = tailLines
        self.follow = follow
        self.pollInterval = pollInterval
    }

    /// Sends the output to `emit` chunk by chunk; returns when it has all been sent (when
    /// following: once `isLive` says the run has ended and the files are drained).
    public func copy(
        isLive: @Sendable () async -> Bool,
        emit: (ArraySlice<UInt8>) async throws -> Void
    ) async throws {
        var followers: [LogFileFollower] = []
        for name in selection.names {
            let follower = LogFileFollower(directory: directory, name: name)
            let history = follower.history(tailLines: tailLines)
            for chunk in history where !chunk.isEmpty { try await emit(chunk) }
            followers.append(follower)
        }
        guard follow else { return }
        while true {
            try Task.checkCancellation()
            var sentSomething = false
            for index in followers.indices {
                for chunk in followers[index].readNew() where !chunk.isEmpty {
                    try await emit(chunk)
                    sentSomething = true
                }
            }
            if sentSomething { continue }
            if !(await isLive()) {
                // The run has ended: whatever its writer flushed last is read, then the stream ends.
                for index in followers.indices {
                    for chunk in followers[index].readNew() where !chunk.isEmpty { try await emit(chunk) }
                }
                return
            }
            try await Task.sleep(for: pollInterval)
        }
    }
}

/// Follows one log (`stdout`) of a run: reads what is there, then what is appended, and moves on
/// to the new file when the writer rotates.
final class LogFileFollower {
    let directory: String
    let name: String
    private var descriptor: Int32 = -1
    private var inode: UInt64 = 0
    private var offset: Int64 = 0
    private static let chunkBytes = 64 * 1024

    init(directory: String, name: String) {
        self.directory = directory
        self.name = name
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    private var currentPath: String { directory + "/" + name }

    /// The log's history, or its last `tailLines` lines; leaves the follower at the end.
    func history(tailLines: Int?) -> [ArraySlice<UInt8>] {
        // The current file is opened first and its size taken once, so nothing written after is
        // lost or read twice: the follower continues from exactly there.
        openCurrent()
        let currentSize = descriptor >= 0 ? fileSize(descriptor) : 0
        var sources: [(path: String, size: Int64)] = []
        for path in RotatingLogFile.existingFiles(directory: directory, name: name) where path != currentPath {
            sources.append((path, FileIO.size(path).map(Int64.init) ?? 0))
        }
        sources.append((currentPath, currentSize))
        offset = currentSize
        guard let tailLines else {
            return sources.flatMap { readRange(of: $0.path, upTo: $0.size) }
        }
        return tail(lines: tailLines, sources: sources)
    }

    /// New output since the last call, following a rotation if one happened.
    func readNew() -> [ArraySlice<UInt8>] {
        if descriptor < 0 {
            openCurrent()
            offset = 0
            if descriptor < 0 { return [] }
        }
        var chunks = readToEnd()
        // A rotation renamed our file away: finish it, then start on the new one.
        let currentInode = titan_path_inode(currentPath)
        if currentInode != 0, currentInode != inode {
            chunks += readToEnd()
            close(descriptor)
            descriptor = -1
            openCurrent()
            offset = 0
            chunks += readToEnd()
        }
        return chunks
    }

    private func openCurrent() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = open(currentPath, O_RDONLY | O_CLOEXEC)
        if descriptor >= 0 { inode = titan_descriptor_inode(descriptor) }
    }

    private func readToEnd() -> [ArraySlice<UInt8>] {
        guard descriptor >= 0 else { return [] }
        var chunks: [ArraySlice<UInt8>] = []
        while true {
            var buffer = [UInt8](repeating: 0, count: Self.chunkBytes)
            let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(offset)) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            offset += Int64(count)
            chunks.append(buffer[0..<count])
            if count < Self.chunkBytes { break }
        }
        return chunks
    }

    private func fileSize(_ descriptor: Int32) -> Int64 {
        max(0, titan_descriptor_size(descriptor))
    }

    private func readRange(of path: String, upTo size: Int64) -> [ArraySlice<UInt8>] {
        let input = path == currentPath ? descriptor : open(path, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { return [] }
        defer { if input != descriptor { close(input) } }
        var chunks: [ArraySlice<UInt8>] = []
        var position: Int64 = 0
        while position < size {
            var buffer = [UInt8](repeating: 0, count: Int(min(Int64(Self.chunkBytes), size - position)))
            let count = buffer.withUnsafeMutableBytes { pread(input, $0.baseAddress, $0.count, off_t(position)) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            position += Int64(count)
            chunks.append(buffer[0..<count])
        }
        return chunks
    }

    /// The last `lines` lines over the files, read backwards a chunk at a time so a long log
    /// is not read whole.
    private func tail(lines: Int, sources: [(path: String, size: Int64)]) -> [ArraySlice<UInt8>] {
        guard lines > 0 else { return [] }
        var collected: [ArraySlice<UInt8>] = []
        var newlines = 0
        var atVeryEnd = true
        for source in sources.reversed() {
            let input = source.path == currentPath ? descriptor : open(source.path, O_RDONLY | O_CLOEXEC)
            guard input >= 0 else { continue }
            defer { if input != descriptor { close(input) } }
            var end = source.size
            while end > 0 {
                let start = max(0, end - Int64(Self.chunkBytes))
                var buffer = [UInt8](repeating: 0, count: Int(end - start))
                let count = buffer.withUnsafeMutableBytes { pread(input, $0.baseAddress, $0.count, off_t(start)) }
                guard count == buffer.count else { break }
                var index = buffer.count - 1
                while index >= 0 {
                    if buffer[index] == UInt8(ascii: "\n") {
                        // The newline ending the log's last line does not start a line.
                        if !atVeryEnd {
                            newlines += 1
                            if newlines == lines {
                                collected.append(buffer[(index + 1)...])
                                return collected.reversed()
                            }
                        }
                    }
                    atVeryEnd = false
                    index -= 1
                }
                collected.append(buffer[0...])
                end = start
            }
        }
        return collected.reversed()
    }
}
