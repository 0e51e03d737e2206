import Foundation
import TitanModel
import TitanStore

/// The implementations every contract test runs against.
enum StoreKind: String, CaseIterable, Sendable {
    case memory
    case sqlite
}

/// A fresh, empty store of one kind; SQLite in a new temporary directory, removed when the
/// test process exits.
struct StoreUnderTest {
    let store: any TitanStorage
    let directory: URL?

    init(_ kind: StoreKind) throws {
        switch kind {
        case .memory:
            store = InMemoryStorage()
            directory = nil
        case .sqlite:
            let directory = try TemporaryDirectory.make()
            store = try TitanDatabase.open(path: directory.appendingPathComponent("titan.sqlite").path)
            self.directory = directory
        }
    }
}

/// Temporary directories for SQLite files. They are removed at process exit rather than at the
/// end of each test, because a store may still have the files open until then.
enum TemporaryDirectory {
    static func make() throws -> URL {
        let url = root.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// One directory per test process, registered for removal at exit the first time it is used.
    private static let root: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "titan-store-tests-\(ProcessInfo.processInfo.processIdentifier)"
        )
        atexit {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent(
                "titan-store-tests-\(ProcessInfo.processInfo.processIdentifier)"
            )
            try? FileManager.default.removeItem(at: url)
        }
        return url
    }()
}

/// A fixed start time (whole milliseconds) so tests can compare dates exactly.
let t0 = Date(timeIntervalSince1970: 1_800_000_000.123)

func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

/// A valid spec with overrides for the fields tests vary.
func makeSpec(
    name: String = "web",
    location: [CellInstances] = [CellInstances(cell: "dc1", instances: 2), CellInstances(cell: "dc2", instances: 1)],
    kind: JobKind = .service,
    restartOnFailure: Bool = true,
    numRetries: Int = 3,
    restartOnSuccess: Bool? = nil
) -> JobSpec {
    JobSpec(
        name: name,
        location: location,
        cpus: 1,
        memoryMB: 256,
        restartOnFailure: restartOnFailure,
        numRetries: numRetries,
        restartOnSuccess: restartOnSuccess,
        workload: .image("busybox:1"),
        kind: kind
    )
}

func cells(_ counts: (String, Int)...) -> [CellInstances] {
    counts.map { CellInstances(cell: CellName($0.0), instances: $0.1) }
}

extension TitanStorage {
    /// Launches and starts a task: accepted → launched on `host` → started.
    @discardableResult
    func run(_ task: TaskRecord, on host: HostID = "h1", at time: Date) async throws -> TaskRecord {
        let outcome = try await assignTasks(
            [TaskAssignment(taskID: task.id, attempt: task.attempt, host: host, ports: [31000])],
            at: time
        )
        guard let launched = outcome.assigned.first else { throw StoreError(.transitionConflict, "not assigned") }
        return try await recordTransition(
            TaskTransition(taskID: launched.id, attempt: launched.attempt, from: .launched, to: .started, at: time)
        ).task
    }

    /// Finishes a started task.
    @discardableResult
    func finish(
        _ task: TaskRecord,
        _ reason: FinishReason,
        from: TaskState = .started,
        exitCode: Int? = nil,
        at time: Date
    )
        async throws -> TransitionOutcome
    {
        try await recordTransition(
            TaskTransition(
                taskID: task.id,
                attempt: task.attempt,
                from: from,
                to: .finished,
                finishReason: reason,
                exitCode: exitCode,
                at: time
            )
        )
    }

    func allTasks(_ job: JobID) async throws -> [TaskRecord] {
        try await tasks(jobID: job, states: nil, page: PageRequest(limit: PageRequest.maximumLimit)).items
    }
}
