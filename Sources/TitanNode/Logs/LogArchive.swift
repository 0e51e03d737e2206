import Foundation
import Glibc
import TitanModel

/// One file of a finished run's logs, handed to a ``LogArchive``.
public struct ArchivedLogFile: Hashable, Sendable {
    /// Where the file is on this host.
    public var localPath: String
    /// Its path within the run's logs (`stdout`, `stdout.1`, `files/app.log`).
    public var name: String

    public init(localPath: String, name: String) {
        self.localPath = localPath
        self.name = name
    }
}

/// Where a finished run's logs go when the run ends, so the host can drop its copy.
///
/// The agent calls ``archive(taskID:attempt:files:)`` once the run's output is complete and
/// deletes its local copy only after it returns; a failure is retried later, so an
/// implementation must accept the same run again (overwriting what a failed try left). The
/// directory implementation is here; an S3 one will put each file as an object under
/// `<prefix>/<taskID>/<attempt>/<name>`.
public protocol LogArchive: Sendable {
    func archive(taskID: TaskInstanceID, attempt: Int, files: [ArchivedLogFile]) async throws
}

/// A log archive that can also read back what it holds, so the agent serves archived logs.
public protocol ReadableLogArchive: LogArchive {
    /// The local directory holding a run's archived files, or nil when it has none.
    func archivedDirectory(taskID: TaskInstanceID, attempt: Int) -> String?
    /// Attempts of a task in the archive, highest last.
    func archivedAttempts(of taskID: TaskInstanceID) -> [Int]
}

/// Archives logs into a directory: `<directory>/<taskID>/<attempt>/<name>`, each file copied and
/// fsynced before the call returns.
public struct DirectoryLogArchive: ReadableLogArchive {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    public func archive(taskID: TaskInstanceID, attempt: Int, files: [ArchivedLogFile]) async throws {
        let target = directory + "/" + taskID.rawValue + "/" + String(attempt)
        // A retry replaces what an interrupted attempt left.
        FileIO.remove(target)
        try FileIO.makeDirectory(target)
        for file in files {
            let destination = target + "/" + file.name
            try FileIO.makeDirectory((destination as NSString).deletingLastPathComponent)
            try Self.copy(file.localPath, to: destination)
        }
        FileIO.syncDirectory(containing: target + "/.")
    }

    public func archivedDirectory(taskID: TaskInstanceID, attempt: Int) -> String? {
        let path = directory + "/" + taskID.rawValue + "/" + String(attempt)
        return FileIO.exists(path) ? path : nil
    }

    public func archivedAttempts(of taskID: TaskInstanceID) -> [Int] {
        FileIO.entries(of: directory + "/" + taskID.rawValue).compactMap { Int($0) }.sorted()
    }

    private static func copy(_ source: String, to destination: String) throws(AgentFileError) {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw .system("open", source) }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw .system("create", destination) }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .system("read", source)
            }
            if count == 0 { break }
            try FileIO.writeAll(output, Array(buffer[0..<count]), path: destination)
        }
        guard fsync(output) == 0 else { throw .system("sync", destination) }
    }
}
