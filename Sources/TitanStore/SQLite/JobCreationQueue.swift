import Foundation
import GRDB
import TitanModel

/// One `createJob` call, waiting for its turn.
struct JobCreationRequest: Sendable {
    var spec: JobSpec
    var id: JobID?
    var clientToken: String?
    var now: Date
}

/// Group commit for job creation: concurrent `createJob` calls share one write transaction.
///
/// SQLite commits one transaction at a time, and with `synchronous = FULL` each commit waits
/// for the disk. Under concurrent requests, the caller that finds the queue idle leads: it
/// writes its own job and every job waiting at that moment in one transaction, each in its own
/// savepoint, so one request's error (a client-token conflict, say) does not touch the others.
/// Then it hands the lead to the next waiter, if any, so no caller keeps writing for others
/// indefinitely. A lone caller writes alone, with no added delay.
///
/// Every job is committed before its caller returns, as with one transaction per job.
actor JobCreationQueue {
    private enum Turn: Sendable {
        case done(JobCreation)
        case lead
    }

    private let writer: any DatabaseWriter
    private var waiting: [(request: JobCreationRequest, continuation: CheckedContinuation<Turn, any Error>)] = []
    private var leaderActive = false

    /// The most requests written in one transaction.
    static let maximumBatch = 64
    /// Followers join a batch only while its tasks stay within this many, so one batch of large
    /// jobs does not hold every caller in it for seconds.
    static let maximumBatchTasks = 20_000

    init(writer: any DatabaseWriter) { self.writer = writer }

    func create(_ request: JobCreationRequest) async throws -> JobCreation {
        if leaderActive {
            let turn = try await withCheckedThrowingContinuation { waiting.append((request, $0)) }
            if case .done(let creation) = turn { return creation }
            // Handed the lead: our request is no longer queued; write it with the others.
        } else {
            leaderActive = true
        }
        var taskCount = request.spec.instances
        let joining = waiting.prefix(Self.maximumBatch - 1).prefix { follower in
            taskCount += follower.request.spec.instances
            return taskCount <= Self.maximumBatchTasks
        }
        let followers = Array(joining)
        waiting.removeFirst(followers.count)
        let requests = [request] + followers.map(\.request)
        let results: [Result<JobCreation, any Error>]
        do {
            // In a task of its own, so that the leading caller being cancelled (its client hung
            // up) cannot cancel the write that carries other callers' jobs.
            let writer = self.writer
            results = try await Task {
                try await writer.write { db in
                    requests.map { request in
                        Result {
                            var creation: JobCreation?
                            try db.inSavepoint {
                                creation = try TitanDatabase.insertJob(db, request)
                                return .commit
                            }
                            guard let creation else { throw StoreError(.corruptData, "job insert returned nothing") }
                            return creation
                        }
                    }
                }
            }.value
        } catch {
            for follower in followers { follower.continuation.resume(throwing: error) }
            handOver()
            throw error
        }
        for (follower, result) in zip(followers, results.dropFirst()) {
            follower.continuation.resume(with: result.map(Turn.done))
        }
        handOver()
        return try results[0].get()
    }

    private func handOver() {
        if waiting.isEmpty {
            leaderActive = false
        } else {
            waiting.removeFirst().continuation.resume(returning: .lead)
        }
    }
}
