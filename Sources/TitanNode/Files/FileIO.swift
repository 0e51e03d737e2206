import CTitanLinux
import Foundation
import Glibc

/// Why the agent could not read or write one of its own files (run records, the status
/// journal, log archives).
public struct AgentFileError: Error, Hashable, Sendable, CustomStringConvertible {
    public let path: String
    public let message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { message }

    static func system(_ action: String, _ path: String, errorNumber: Int32 = errno) -> AgentFileError {
        AgentFileError(path: path, message: "cannot \(action) \(path): \(String(cString: strerror(errorNumber)))")
    }
}

/// Small, synchronous file operations on plain descriptors: the agent's state files are tiny and
/// must reach the disk in a known order, which `FileManager` does not promise.
enum FileIO {
    /// Writes `bytes` to `path` so that a crash leaves either the old file or the new one:
    /// a temporary file, fsync, rename, fsync of the directory.
    static func writeAtomically(_ bytes: [UInt8], to path: String, sync: Bool = true) throws(AgentFileError) {
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .system("create", temporary) }
        do {
            try writeAll(descriptor, bytes, path: temporary)
        } catch {
            close(descriptor)
            throw error
        }
        if sync && fsync(descriptor) != 0 {
            close(descriptor)
            throw .system("sync", temporary)
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else { throw .system("rename into place", path) }
        if sync { syncDirectory(containing: path) }
    }

    /// Writes every byte, retrying short writes and interruptions.
    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], path: String) throws(AgentFileError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return Glibc.write(descriptor, base + offset, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw .system("write", path)
            }
            offset += written
        }
    }

    /// The file's bytes, or nil if it does not exist.
    static func read(_ path: String) throws(AgentFileError) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            if errno == ENOENT { return nil }
            throw .system("open", path)
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .system("read", path)
            }
            if count == 0 { break }
            bytes += chunk[0..<count]
        }
        return bytes
    }

    /// The file as UTF-8 text, or nil if it does not exist or cannot be read (for /proc and
    /// /sys files, whose absence is an answer).
    static func readText(_ path: String) -> String? {
        guard let bytes = try? read(path) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes a short value into an existing file, such as a cgroup control file.
    static func writeControl(_ text: String, to path: String) throws(AgentFileError) {
        let descriptor = open(path, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .system("open", path) }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw .system("write \(text.debugDescription) to", path) }
    }

    /// Creates a directory and its parents.
    static func makeDirectory(_ path: String) throws(AgentFileError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw AgentFileError(
                path: path,
                message: "cannot create the directory \(path): \(error.localizedDescription)"
            )
        }
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// `path` made absolute against the current directory (bind mounts and the task shim need
    /// absolute paths), with `.` and `..` resolved.
    static func absolutePath(_ path: String) -> String {
        let base = path.hasPrefix("/") ? "" : FileManager.default.currentDirectoryPath + "/"
        return URL(fileURLWithPath: base + path).standardizedFileURL.path
    }

    /// Removes a file or a directory tree; a missing one is not an error.
    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Names in a directory, or an empty list when it does not exist.
    static func entries(of directory: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    }

    static func syncDirectory(containing path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        let descriptor = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if descriptor >= 0 {
            fsync(descriptor)
            close(descriptor)
        }
    }

    /// The size of a file in bytes, or nil when it does not exist.
    static func size(_ path: String) -> Int? {
        let size = titan_path_size(path)
        return size >= 0 ? Int(size) : nil
    }
}
