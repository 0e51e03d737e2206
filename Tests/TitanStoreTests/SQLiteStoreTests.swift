import Foundation
import GRDB
import Testing
import TitanModel
import TitanStore

/// What only the SQLite store has: a schema, a file, and a process that can die.
@Suite("SQLite store")
struct SQLiteStoreTests {
    @Test("a new store is in WAL mode with foreign keys, synchronous FULL and every migration applied")
    func connectionSettings() async throws {
        let directory = try TemporaryDirectory.make()
        let store = try TitanDatabase.open(path: directory.appendingPathComponent("t.sqlite").path)
        try await store.writer.read { db in
            #expect(try String.fetchOne(db, sql: "PRAGMA journal_mode") == "wal")
            #expect(try Int.fetchOne(db, sql: "PRAGMA foreign_keys") == 1)
            // 2 is FULL.
            #expect(try Int.fetchOne(db, sql: "PRAGMA synchronous") == 2)
            let tables = try String.fetchAll(
                db,
                sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
            for table in ["agent_orders", "events", "hosts", "jobs", "leader_lease", "task_transitions", "tasks"] {
                #expect(tables.contains(table))
            }
            let migrations = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
            #expect(migrations.count == 7)
        }
        let normal = try TitanDatabase.open(
            path: directory.appendingPathComponent("n.sqlite").path,
            configuration: StoreConfiguration(durability: .normal)
        )
        #expect(try await normal.writer.read { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") } == 1)
    }

    @Test("the schema refuses a task without a job, a wrong type and an unknown state")
    func schemaConstraints() async throws {
        let directory = try TemporaryDirectory.make()
        let store = try TitanDatabase.open(path: directory.appendingPathComponent("t.sqlite").path)
        let insert = """
            INSERT INTO tasks (jobId, instanceIndex, id, cell, attempt, retriesUsed, state, ports, resourceSets,
                killRequested, isDesired, createdAt, updatedAt)
            VALUES (?, 0, 'x-0', 'dc1', 0, 0, ?, '[]', '[]', 0, 1, ?, 0)
            """
        await #expect(throws: DatabaseError.self) {
            try await store.writer.write { db in try db.execute(sql: insert, arguments: ["no-such-job", "accepted", 0])
            }
        }
        let job = try await store.createJob(makeSpec(), id: "j", clientToken: nil, now: t0)
        await #expect(throws: DatabaseError.self) {
            try await store.writer.write { db in
                try db.execute(sql: insert, arguments: [job.job.id.rawValue, "running", 0])
            }
        }
        await #expect(throws: DatabaseError.self) {
            try await store.writer.write { db in
                try db.execute(sql: insert, arguments: [job.job.id.rawValue, "accepted", "yesterday"])
            }
        }
    }

    @Test(
        "the hot queries use their indexes",
        arguments: [
            (
                "SELECT * FROM tasks WHERE jobId = 'j' AND instanceIndex > 5 ORDER BY instanceIndex LIMIT 10",
                "PRIMARY KEY"
            ),
            ("SELECT * FROM tasks WHERE jobId = 'j' AND instanceIndex = 1", "PRIMARY KEY"),
            (
                "SELECT * FROM tasks INDEXED BY tasks_live WHERE (state <> 'finished' OR nextRestartAt IS NOT NULL) AND state IN ('accepted') ORDER BY jobId, instanceIndex",
                "tasks_live"
            ),
            (
                "SELECT * FROM task_transitions WHERE jobId = 'j' AND instanceIndex = 1 ORDER BY id",
                "task_transitions_by_task"
            ),
            (
                "SELECT EXISTS (SELECT 1 FROM tasks INDEXED BY tasks_live WHERE jobId = 'j' AND (state <> 'finished' OR nextRestartAt IS NOT NULL))",
                "tasks_live"
            ),
            ("SELECT * FROM tasks WHERE nextRestartAt IS NOT NULL AND nextRestartAt <= 5", "tasks_restart_due"),
            ("SELECT * FROM jobs WHERE clientToken = 't'", "clientToken"),
            ("SELECT * FROM jobs WHERE status IN ('active') ORDER BY createdAt, id LIMIT 10", "jobs_by_status"),
            ("SELECT * FROM jobs ORDER BY createdAt, id LIMIT 10", "jobs_by_creation"),
        ]
    )
    func queryPlans(query: String, index: String) async throws {
        let directory = try TemporaryDirectory.make()
        let store = try TitanDatabase.open(path: directory.appendingPathComponent("t.sqlite").path)
        let plan = try await store.writer.read { db in
            try GRDB.Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN \(query)").map { row in row["detail"] as String? ?? "" }
        }
        #expect(plan.contains { $0.contains(index) }, "\(plan)")
        #expect(
            !plan.contains { $0.hasPrefix("SCAN") && !$0.contains("USING") && !$0.contains("CONSTANT ROW") },
            "\(plan)"
        )
    }

    @Test("a store reopened after its connections were dropped without closing has every committed row")
    func reopenWithoutCleanShutdown() async throws {
        let directory = try TemporaryDirectory.make()
        let path = directory.appendingPathComponent("t.sqlite").path
        var jobID: JobID?
        do {
            let store = try TitanDatabase.open(path: path)
            let job = try await store.createJob(makeSpec(), id: nil, clientToken: "t", now: t0)
            _ = try await store.run(job.tasks[0], at: at(1))
            jobID = job.job.id
            // No close, no checkpoint: the rows are only in the WAL when the pool goes away.
            #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        }
        let reopened = try TitanDatabase.open(path: path)
        let id = try #require(jobID)
        #expect(try await reopened.job(id: id)?.clientToken == "t")
        #expect(try await reopened.allTasks(id).map(\.state) == [.started, .accepted, .accepted])
        #expect(try await reopened.taskHistory(id: TaskInstanceID(job: id, index: 0)).count == 2)
    }

    @Test("a writer killed with SIGKILL mid-write leaves every acknowledged job whole and the file consistent")
    func killedWriter() async throws {
        let executable = try StoreWorkloadExecutable.url()
        let directory = try TemporaryDirectory.make()
        let path = directory.appendingPathComponent("crash.sqlite").path
        var acknowledged: [JobID: Int] = [:]
        // Three rounds on the same file: each kill lands somewhere in a write, and the next
        // writer (and the check) start from what the last one left.
        for round in 0..<3 {
            let process = Process()
            process.executableURL = executable
            process.arguments = ["write-until-killed", path]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let lines = try LineReader(output.fileHandleForReading).read(count: 5 + round * 3)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal)
            for line in lines {
                let parts = line.split(separator: " ")
                try #require(parts.count == 3 && parts[0] == "committed", "unexpected output \(line)")
                acknowledged[JobID(String(parts[1]))] = Int(parts[2])
            }

            let store = try TitanDatabase.open(path: path)
            try await store.writer.read { db in
                #expect(try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok")
                #expect(try GRDB.Row.fetchAll(db, sql: "PRAGMA foreign_key_check").isEmpty)
                // Every job is whole: as many tasks as instances, none half-written.
                let partial = try Int.fetchOne(
                    db,
                    sql: """
                        SELECT COUNT(*) FROM jobs
                        WHERE desiredInstances <> (SELECT COUNT(*) FROM tasks WHERE tasks.jobId = jobs.id)
                        """
                )
                #expect(partial == 0)
            }
            for (id, instances) in acknowledged {
                let job = try #require(try await store.job(id: id), "acknowledged job \(id) is missing")
                #expect(job.desiredInstances == instances)
            }
        }
        #expect(acknowledged.count >= 5 + 8 + 11)
    }
}

/// Finds the `store-workload` executable that the build puts beside the test bundle.
enum StoreWorkloadExecutable {
    static func url() throws -> URL {
        var candidates: [URL] = []
        if let bundle = Bundle.main.executableURL { candidates.append(bundle.deletingLastPathComponent()) }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        for directory in candidates {
            // The test binary may sit inside an .xctest bundle directory.
            for base in [
                directory, directory.deletingLastPathComponent(),
                directory.deletingLastPathComponent().deletingLastPathComponent(),
            ] {
                let candidate = base.appendingPathComponent("store-workload")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            }
        }
        throw StoreError(
            .invalidArgument,
            "store-workload is not built beside the tests (looked in \(candidates)); run swift build first"
        )
    }
}

/// Reads whole lines from a pipe, blocking, until it has enough or the pipe closes.
struct LineReader {
    let handle: FileHandle

    init(_ handle: FileHandle) { self.handle = handle }

    func read(count: Int) throws -> [String] {
        var buffer = Data()
        var lines: [String] = []
        while lines.count < count {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                lines.append(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
                buffer.removeSubrange(buffer.startIndex...newline)
            }
        }
        return lines
    }
}
