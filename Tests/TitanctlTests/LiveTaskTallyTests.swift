import Foundation
import Testing
import TitanModel
import TitanStore

/// The SQLite store's counted tally (what `GET /v1/status` reads) against the same counts
/// made from listed tasks (what other stores use).
@Suite("live task tally")
struct LiveTaskTallyTests {
    @Test("the SQLite tally's aggregate queries agree with counting the listed tasks")
    func sqliteAgreesWithListing() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try TitanDatabase.open(path: directory.appendingPathComponent("titan.db").path)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        _ = try await store.upsertHost(
            HostRegistration(
                id: "h1",
                address: "simulated://h1",
                resources: HostResources(cpus: 16, memoryMB: 65_536, diskGB: 100)
            ),
            now: now
        )
        let web = try await store.createJob(
            JobSpec(
                name: "web",
                location: [CellInstances(cell: .defaultCell, instances: 6)],
                workload: .image("nginx")
            ),
            id: nil,
            clientToken: nil,
            now: now
        )
        let batch = try await store.createJob(
            JobSpec(
                name: "batch",
                location: [CellInstances(cell: .defaultCell, instances: 3)],
                workload: .image("x"),
                kind: .batch
            ),
            id: nil,
            clientToken: nil,
            now: now
        )
        let webTasks = web.tasks.map(\.id)
        let batchTasks = batch.tasks.map(\.id)
        _ = try await store.assignTasks(
            [
                TaskAssignment(taskID: webTasks[0], attempt: 0, host: "h1"),
                TaskAssignment(taskID: webTasks[1], attempt: 0, host: "h1"),
            ],
            at: now
        )
        _ = try await store.setPendingReasons(
            webTasks[2...4].map { PendingReasonUpdate(taskID: $0, reason: "cpus: needs 32 cpus") }
                + batchTasks[0...1].map { PendingReasonUpdate(taskID: $0, reason: "cpus: needs 32 cpus") }
                + [PendingReasonUpdate(taskID: batchTasks[2], reason: "memory: needs 1 TB")]
        )
        _ = try await store.markTaskKilled(id: webTasks[5], now: now)

        let counted = try await store.liveTaskTally(exampleLimit: 2, exampleGroupLimit: 20)
        let listed = LiveTaskTally(
            liveTasks: try await store.tasksInStates(Set(TaskState.allCases.filter(\.isActive))),
            exampleLimit: 2
        )
        #expect(Set(counted.groups) == Set(listed.groups))
        #expect(counted.waiting == listed.waiting)
        // Examples come by job id, then instance index.
        let cpuWaiting = (webTasks[2...4] + batchTasks[0...1]).sorted { lhs, rhs in
            let (left, right) = (lhs.parts, rhs.parts)
            return (left?.job.rawValue ?? "", left?.index ?? 0) < (right?.job.rawValue ?? "", right?.index ?? 0)
        }
        #expect(
            counted.waiting == [
                LiveTaskTally.Waiting(
                    reason: "cpus: needs 32 cpus",
                    taskCount: 5,
                    jobCount: 2,
                    examples: Array(cpuWaiting.prefix(2))
                ),
                LiveTaskTally.Waiting(
                    reason: "memory: needs 1 TB",
                    taskCount: 1,
                    jobCount: 1,
                    examples: [batchTasks[2]]
                ),
            ]
        )
        #expect(
            Set(counted.groups) == [
                LiveTaskTally.Group(jobID: web.job.id, host: "h1", state: .launched, count: 2),
                LiveTaskTally.Group(jobID: web.job.id, host: nil, state: .accepted, count: 3),
                LiveTaskTally.Group(jobID: batch.job.id, host: nil, state: .accepted, count: 3),
            ]
        )
    }
}
