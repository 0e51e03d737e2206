import Foundation
import Glibc
import Synchronization
import TitanModel

/// Status updates the API has not acknowledged yet, in an append-only file, so none is lost
/// while the API is away or when the agent restarts.
///
/// The file holds JSON lines: `{"seq":7,"update":{…}}` for each update, fsynced before
/// ``append(_:)`` returns, and `{"ack":7}` once the API has acknowledged every update up to 7.
/// On open it is replayed: the updates after the last acknowledgement are pending again, in
/// order. A torn last line (a crash mid-write) is dropped. When acknowledged lines make up most
/// of the file it is compacted: the pending lines are written to a new file that replaces it.
public final class StatusJournal: Sendable {
    /// One journaled update and its sequence number.
    public struct Entry: Hashable, Sendable {
        public var seq: Int64
        public var update: AgentStatusUpdate
    }

    private struct State {
        var descriptor: Int32
        var pending: [Entry]
        var nextSeq: Int64
        var acknowledgedLines: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    public let path: String
    /// Acknowledged lines that trigger a compaction.
    private let compactionThreshold: Int
    private let state: Mutex<State>

    /// Opens (or creates) the journal and replays it.
    /// - Throws: ``AgentFileError`` when the file cannot be opened, read or repaired.
    public init(path: String, compactionThreshold: Int = 1000) throws(AgentFileError) {
        self.path = path
        self.compactionThreshold = max(1, compactionThreshold)
        let replay = try Self.replay(path: path)
        if replay.tornBytes > 0 {
            // Cut the torn line off so the next append starts on a line of its own.
            guard truncate(path, off_t(replay.validBytes)) == 0 else { throw .system("repair", path) }
        }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .system("open", path) }
        FileIO.syncDirectory(containing: path)
        state = Mutex(
            State(
                descriptor: descriptor,
                pending: replay.pending,
                nextSeq: replay.nextSeq,
                acknowledgedLines: replay.acknowledgedLines
            )
        )
    }

    deinit { state.withLock { _ = close($0.descriptor) } }

    /// Records an update durably (written and fsynced) and returns its sequence number.
    @discardableResult
    public func append(_ update: AgentStatusUpdate) throws(AgentFileError) -> Int64 {
        let (seq, waiters) = try state.withLock {
            state throws(AgentFileError) -> (Int64, [CheckedContinuation<Void, Never>]) in
            let seq = state.nextSeq
            let line = try Self.encodeLine(JournalLine(seq: seq, update: update, ack: nil), path: path)
            try FileIO.writeAll(state.descriptor, line, path: path)
            guard fdatasync(state.descriptor) == 0 else { throw .system("sync", path) }
            state.nextSeq += 1
            state.pending.append(Entry(seq: seq, update: update))
            defer { state.waiters = [] }
            return (seq, state.waiters)
        }
        for waiter in waiters { waiter.resume() }
        return seq
    }

    /// The oldest pending updates, at most `limit`, in the order they were appended.
    public func pendingEntries(limit: Int = .max) -> [Entry] {
        state.withLock { Array($0.pending.prefix(limit)) }
    }

    public var pendingCount: Int { state.withLock { $0.pending.count } }

    /// Marks every update up to `seq` as delivered; compacts the file when it pays.
    public func acknowledge(through seq: Int64) throws(AgentFileError) {
        try state.withLock { state throws(AgentFileError) in
            let before = state.pending.count
            state.pending.removeAll { $0.seq <= seq }
            guard state.pending.count < before else { return }
            let line = try Self.encodeLine(JournalLine(seq: nil, update: nil, ack: seq), path: path)
            try FileIO.writeAll(state.descriptor, line, path: path)
            guard fdatasync(state.descriptor) == 0 else { throw .system("sync", path) }
            state.acknowledgedLines += before - state.pending.count + 1
            if state.acknowledgedLines >= compactionThreshold { try compact(&state) }
        }
    }

    /// Returns when at least one update is pending (or the calling task is cancelled).
    public func waitForPending() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if !state.pending.isEmpty { return true }
                    state.waiters.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiters = state.withLock { state in
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume() }
        }
    }

    /// Rewrites the file with only the pending updates.
    private func compact(_ state: inout State) throws(AgentFileError) {
        var bytes: [UInt8] = []
        for entry in state.pending {
            bytes += try Self.encodeLine(JournalLine(seq: entry.seq, update: entry.update, ack: nil), path: path)
        }
        // An acknowledgement line keeps the sequence numbers growing after a restart.
        let acknowledged = (state.pending.first?.seq ?? state.nextSeq) - 1
        bytes += try Self.encodeLine(JournalLine(seq: nil, update: nil, ack: acknowledged), path: path)
        try FileIO.writeAtomically(bytes, to: path)
        close(state.descriptor)
        state.descriptor = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard state.descriptor >= 0 else { throw .system("reopen", path) }
        state.acknowledgedLines = 0
    }

    private static func encodeLine(_ line: JournalLine, path: String) throws(AgentFileError) -> [UInt8] {
        do {
            return Array(try TitanJSON.encoder().encode(line)) + [UInt8(ascii: "\n")]
        } catch {
            throw AgentFileError(path: path, message: "cannot encode a status update for \(path): \(error)")
        }
    }

    private struct Replay {
        var pending: [Entry] = []
        var nextSeq: Int64 = 1
        var acknowledgedLines = 0
        var validBytes = 0
        var tornBytes = 0
    }

    private static func replay(path: String) throws(AgentFileError) -> Replay {
        var replay = Replay()
        guard let bytes = try FileIO.read(path) else { return replay }
        let decoder = TitanJSON.decoder()
        var entries: [Entry] = []
        var acknowledged: Int64 = 0
        var lineStart = 0
        var lines = 0
        while lineStart < bytes.count {
            guard let newline = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) else {
                replay.tornBytes = bytes.count - lineStart
                break
            }
            let lineBytes = bytes[lineStart..<newline]
            guard let line = try? decoder.decode(JournalLine.self, from: Data(lineBytes)) else {
                // Only the last line can be torn; a bad line in the middle is damage we do not repair.
                if newline + 1 >= bytes.count {
                    replay.tornBytes = bytes.count - lineStart
                    break
                }
                throw AgentFileError(
                    path: path,
                    message: "the status journal \(path) has an unreadable line at byte \(lineStart); "
                        + "move it aside to start with an empty journal (its pending updates are then lost)"
                )
            }
            lines += 1
            if let seq = line.seq, let update = line.update {
                entries.append(Entry(seq: seq, update: update))
                replay.nextSeq = max(replay.nextSeq, seq + 1)
            } else if let ack = line.ack {
                acknowledged = max(acknowledged, ack)
                replay.nextSeq = max(replay.nextSeq, ack + 1)
            }
            lineStart = newline + 1
        }
        replay.validBytes = lineStart
        replay.pending = entries.filter { $0.seq > acknowledged }
        replay.acknowledgedLines = lines - replay.pending.count
        return replay
    }
}

/// One line of the journal file: an update with its sequence number, or an acknowledgement.
private struct JournalLine: Codable {
    var seq: Int64?
    var update: AgentStatusUpdate?
    var ack: Int64?
}
