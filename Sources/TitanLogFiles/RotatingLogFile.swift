import Glibc

/// How big a task's log file may grow and how many older files are kept.
///
/// When a write would take the file past ``maxBytes``, the file is renamed `name.1` (an older
/// `name.1` becomes `name.2`, and so on) and a new, empty `name` is started; files past
/// ``keptFiles`` are deleted. Writes are split at line breaks so no file passes the size.
public struct LogRotationPolicy: Hashable, Sendable {
    /// The size at which the current file is rotated.
    public var maxBytes: Int
    /// Rotated files kept beside the current one (`name.1` … `name.keptFiles`); at least 1.
    public var keptFiles: Int

    public init(maxBytes: Int = 10 << 20, keptFiles: Int = 3) {
        self.maxBytes = max(1, maxBytes)
        self.keptFiles = max(1, keptFiles)
    }
}

/// Why a log file could not be opened, written or rotated.
public struct LogFileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What the file operation was doing.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case open
            case write
            case rotate
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The file could not be created or opened.
        public static var open: Code { Code(.open) }
        /// Bytes could not be written (disk full, I/O error).
        public static var write: Code { Code(.write) }
        /// The file could not be renamed or a new one started.
        public static var rotate: Code { Code(.rotate) }

        public var description: String { String(describing: wrapped) }
    }

    public let code: Code
    public let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// An append-only log file that rotates by size (see ``LogRotationPolicy``).
///
/// Used by the task shim for a process's output and by the agent for a container's output, so
/// both leave the same files. Not thread-safe: one owner writes.
public final class RotatingLogFile {
    /// The directory holding the file.
    public let directory: String
    /// The current file's name; rotated ones are `name.1`, `name.2`, …
    public let name: String
    public let policy: LogRotationPolicy
    /// Bytes in the current file.
    public private(set) var currentSizeBytes: Int
    private var descriptor: Int32

    /// Opens (creating if needed) `directory/name` for appending.
    public init(directory: String, name: String, policy: LogRotationPolicy) throws(LogFileError) {
        self.directory = directory
        self.name = name
        self.policy = policy
        let path = directory + "/" + name
        descriptor = Self.openForAppend(path)
        guard descriptor >= 0 else {
            throw LogFileError(.open, "cannot open log file \(path): \(lastErrorText())")
        }
        var status = stat()
        currentSizeBytes = fstat(descriptor, &status) == 0 ? Int(status.st_size) : 0
    }

    deinit { close() }

    /// The current file's path.
    public var path: String { directory + "/" + name }

    /// Appends bytes, rotating whenever the file would grow past the policy's size.
    ///
    /// Files never exceed the size: bytes that do not fit are cut at the last line break that
    /// fits (or, for a line longer than a whole file, at the size) and continue in a new file.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(LogFileError) {
        guard var base = bytes.baseAddress, bytes.count > 0 else { return }
        guard descriptor >= 0 else { throw LogFileError(.write, "log file \(path) is closed") }
        var remaining = bytes.count
        while remaining > 0 {
            let capacity = policy.maxBytes - currentSizeBytes
            var count = remaining
            if count > capacity {
                // The last line break that still fits ends this file.
                var cut = capacity
                while cut > 0 && base.load(fromByteOffset: cut - 1, as: UInt8.self) != UInt8(ascii: "\n") { cut -= 1 }
                if cut == 0 && currentSizeBytes > 0 {
                    try rotate()
                    continue
                }
                count = cut > 0 ? cut : max(capacity, 1)
            }
            try writeFully(base, count)
            currentSizeBytes += count
            base += count
            remaining -= count
            if remaining > 0 { try rotate() }
        }
    }

    private func writeFully(_ base: UnsafeRawPointer, _ count: Int) throws(LogFileError) {
        var offset = 0
        while offset < count {
            let written = Glibc.write(descriptor, base + offset, count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw LogFileError(.write, "cannot write log file \(path): \(lastErrorText())")
            }
            offset += written
        }
    }

    /// Appends bytes, rotating first if needed.
    public func write(_ bytes: [UInt8]) throws(LogFileError) {
        let result: Result<Void, LogFileError> = bytes.withUnsafeBytes { buffer in
            do throws(LogFileError) {
                try write(buffer)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// Flushes the file to disk.
    public func sync() {
        if descriptor >= 0 { _ = fsync(descriptor) }
    }

    /// Closes the file; later writes fail.
    public func close() {
        if descriptor >= 0 {
            _ = Glibc.close(descriptor)
            descriptor = -1
        }
    }

    /// Moves `name` to `name.1` (shifting older files up, dropping the oldest) and starts anew.
    public func rotate() throws(LogFileError) {
        let oldest = path + ".\(policy.keptFiles)"
        _ = unlink(oldest)
        var index = policy.keptFiles - 1
        while index >= 1 {
            _ = rename(path + ".\(index)", path + ".\(index + 1)")
            index -= 1
        }
        if rename(path, path + ".1") != 0 && errno != ENOENT {
            throw LogFileError(.rotate, "cannot rotate log file \(path): \(lastErrorText())")
        }
        let fresh = Self.openForAppend(path)
        guard fresh >= 0 else {
            throw LogFileError(.rotate, "cannot start a new log file \(path): \(lastErrorText())")
        }
        _ = Glibc.close(descriptor)
        descriptor = fresh
        currentSizeBytes = 0
    }

    /// The log's files that exist, oldest first: `name.N` … `name.1`, then `name`.
    public static func existingFiles(directory: String, name: String) -> [String] {
        var rotated: [(index: Int, path: String)] = []
        var hasCurrent = false
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        let prefix = name + "."
        while let entry = readdir(handle) {
            let entryName = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if entryName == name {
                hasCurrent = true
            } else if entryName.hasPrefix(prefix), let index = Int(entryName.dropFirst(prefix.count)), index > 0 {
                rotated.append((index, directory + "/" + entryName))
            }
        }
        var files = rotated.sorted { $0.index > $1.index }.map(\.path)
        if hasCurrent { files.append(directory + "/" + name) }
        return files
    }

    private static func openForAppend(_ path: String) -> Int32 {
        open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    }
}

/// The text of the current `errno`.
func lastErrorText() -> String {
    String(cString: strerror(errno))
}
