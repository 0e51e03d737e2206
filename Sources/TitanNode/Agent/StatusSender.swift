import Logging
import ServiceLifecycle
import TitanModel

/// Sends the status journal's pending updates to the API, in order, in batches, until each is
/// acknowledged; while the API is away it retries with backoff and the updates wait on disk.
public actor StatusSender: Service {
    private let api: any AgentAPI
    private let agentID: HostID
    private let journal: StatusJournal
    private let registration: RegistrationGate
    private let logger: Logger
    private let batchLimit: Int
    private var sending = false
    private var sendWaiters: [CheckedContinuation<Void, Never>] = []

    public init(
        api: any AgentAPI,
        agentID: HostID,
        journal: StatusJournal,
        registration: RegistrationGate,
        logger: Logger,
        batchLimit: Int = 500
    ) {
        self.api = api
        self.agentID = agentID
        self.journal = journal
        self.registration = registration
        self.logger = logger
        self.batchLimit = max(1, batchLimit)
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.sendForever()
        }
        // Shutting down (the agent's other services have stopped, runs it stopped on the way
        // out included): one last short try, so the API hears now rather than at the next start.
        if journal.pendingCount > 0 && !Task.isCancelled {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { try? await self.deliverPending() }
                group.addTask { try? await Task.sleep(for: .seconds(3)) }
                await group.next()
                group.cancelAll()
            }
        }
    }

    private func sendForever() async {
        var backoff = Duration.milliseconds(100)
        var failuresLogged = 0
        while !Task.isCancelled {
            await journal.waitForPending()
            if Task.isCancelled { return }
            do {
                try await deliverPending()
                backoff = .milliseconds(100)
                failuresLogged = 0
            } catch {
                if error.code == .notRegistered {
                    await registration.markUnregistered()
                    await registration.waitUntilRegistered()
                    continue
                }
                if failuresLogged < 3 || failuresLogged % 100 == 0 {
                    logger.warning(
                        "Cannot send status updates; they stay queued on disk",
                        metadata: ["pending": "\(journal.pendingCount)", "error": "\(error.message)"]
                    )
                }
                failuresLogged += 1
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(5))
            }
        }
    }

    /// Sends everything pending now; returns when the journal is empty.
    /// - Throws: ``AgentAPIError`` from the first batch that could not be delivered.
    public func deliverPending() async throws(AgentAPIError) {
        await lock()
        defer { unlock() }
        while true {
            let entries = journal.pendingEntries(limit: batchLimit)
            guard let last = entries.last else { return }
            do {
                _ = try await api.sendStatus(agentID, AgentStatusBatch(updates: entries.map(\.update)))
            } catch  where error.code == .rejected {
                // A batch the API refuses as malformed is sent one update at a time, so only the
                // update it refuses is dropped (and logged), not those around it.
                try await deliverOneByOne(entries)
                continue
            }
            acknowledge(through: last.seq)
        }
    }

    private func deliverOneByOne(_ entries: [StatusJournal.Entry]) async throws(AgentAPIError) {
        for entry in entries {
            do {
                _ = try await api.sendStatus(agentID, AgentStatusBatch(updates: [entry.update]))
            } catch  where error.code == .rejected {
                logger.error(
                    "titan-api refused a status update; dropping it",
                    metadata: [
                        "task.id": "\(entry.update.taskID)", "task.attempt": "\(entry.update.attempt)",
                        "state": "\(entry.update.state)", "error": "\(error.message)",
                    ]
                )
            }
            acknowledge(through: entry.seq)
        }
    }

    private func acknowledge(through seq: Int64) {
        do {
            try journal.acknowledge(through: seq)
        } catch {
            logger.error("Cannot record an acknowledgement in the status journal", metadata: ["error": "\(error)"])
        }
    }

    private func lock() async {
        if sending {
            await withCheckedContinuation { sendWaiters.append($0) }
        }
        sending = true
    }

    private func unlock() {
        if sendWaiters.isEmpty {
            sending = false
        } else {
            sendWaiters.removeFirst().resume()
        }
    }
}
