import Foundation
import TitanModel

/// The run records of one agent: a directory per run under `<work dir>/runs`, each holding
/// `run.json` and, for the process runtime, the shim's files.
public struct RunRecordStore: Sendable {
    /// `<work dir>/runs`.
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// The run's own directory.
    public func runDirectory(_ key: RunKey) -> String { directory + "/" + key.fileName }

    private func recordPath(_ key: RunKey) -> String { runDirectory(key) + "/run.json" }

    /// Whether the agent has ever accepted this run (and not yet pruned it).
    public func contains(_ key: RunKey) -> Bool { FileIO.exists(recordPath(key)) }

    /// Writes a record, creating the run's directory; durable when this returns unless `sync` is
    /// false (for updates a crash may lose: the runtime finds the run again without them).
    public func save(_ record: RunRecord, sync: Bool = true) throws(AgentFileError) {
        try FileIO.makeDirectory(runDirectory(record.key))
        let bytes: [UInt8]
        do {
            bytes = Array(try TitanJSON.encoder().encode(record))
        } catch {
            throw AgentFileError(path: recordPath(record.key), message: "cannot encode the run record: \(error)")
        }
        try FileIO.writeAtomically(bytes, to: recordPath(record.key), sync: sync)
    }

    /// The record of one run, or nil.
    public func load(_ key: RunKey) throws(AgentFileError) -> RunRecord? {
        guard let bytes = try FileIO.read(recordPath(key)) else { return nil }
        do {
            return try TitanJSON.decoder().decode(RunRecord.self, from: Data(bytes))
        } catch {
            throw AgentFileError(
                path: recordPath(key),
                message: "the run record \(recordPath(key)) is unreadable: \(error)"
            )
        }
    }

    /// Every record, oldest accepted first, and the directories whose record could not be read.
    public func loadAll() -> (records: [RunRecord], unreadable: [AgentFileError]) {
        var records: [RunRecord] = []
        var unreadable: [AgentFileError] = []
        for name in FileIO.entries(of: directory) {
            guard let key = RunKey(fileName: name) else { continue }
            do {
                if let record = try load(key) { records.append(record) }
            } catch {
                unreadable.append(error)
            }
        }
        return (records.sorted { $0.acceptedAt < $1.acceptedAt }, unreadable)
    }

    /// Removes a run's directory.
    public func remove(_ key: RunKey) {
        FileIO.remove(runDirectory(key))
    }
}
