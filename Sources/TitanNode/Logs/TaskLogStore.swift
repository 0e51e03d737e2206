import Foundation
import TitanModel

/// Where runs' logs live on the host: `<root>/<taskID>/<attempt>/` holding `stdout` and `stderr`
/// (with their rotated `stdout.1`, … files) and `files/`, the directory the task itself may
/// write log files into (mounted at ``containerFilesPath`` in containers, `TITAN_LOG_DIR`).
public struct TaskLogStore: Sendable {
    public let root: String

    /// Where a container sees its run's `files/` directory.
    public static let containerFilesPath = "/titan/logs"

    public init(root: String) {
        self.root = root
    }

    public func directory(_ key: RunKey) -> String { root + "/" + key.taskID.rawValue + "/" + String(key.attempt) }

    public func filesDirectory(_ key: RunKey) -> String { directory(key) + "/files" }

    /// Creates the run's log directories.
    public func prepare(_ key: RunKey) throws(AgentFileError) {
        try FileIO.makeDirectory(filesDirectory(key))
    }

    /// Attempts of a task with logs here, highest last.
    public func attempts(of taskID: TaskInstanceID) -> [Int] {
        FileIO.entries(of: root + "/" + taskID.rawValue).compactMap { Int($0) }.sorted()
    }

    /// Every file of a run's logs, with its path relative to the run's log directory.
    public func files(_ key: RunKey) -> [ArchivedLogFile] {
        let base = directory(key)
        guard let enumerator = FileManager.default.enumerator(atPath: base) else { return [] }
        var files: [ArchivedLogFile] = []
        while let relative = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let path = base + "/" + relative
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                files.append(ArchivedLogFile(localPath: path, name: relative))
            }
        }
        return files.sorted { $0.name < $1.name }
    }

    /// Removes a run's logs (after they were archived), and the task's directory once empty.
    public func remove(_ key: RunKey) {
        FileIO.remove(directory(key))
        let taskDirectory = root + "/" + key.taskID.rawValue
        if FileIO.entries(of: taskDirectory).isEmpty { FileIO.remove(taskDirectory) }
    }
}
