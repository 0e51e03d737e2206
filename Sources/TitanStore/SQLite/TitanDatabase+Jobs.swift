import Foundation
import GRDB
import TitanModel

extension TitanDatabase {
    public func createJob(_ spec: JobSpec, id: JobID?, clientToken: String?, now: Date) async throws -> JobCreation {
        try await creations.create(
            JobCreationRequest(spec: spec, id: id, clientToken: clientToken, now: StoreTime.normalize(now))
        )
    }

    /// Inserts one job and its tasks, or finds the job its client token names; runs inside a
    /// write transaction (see ``JobCreationQueue``).
    static func insertJob(_ db: GRDB.Database, _ request: JobCreationRequest) throws -> JobCreation {
        let (spec, clientToken, now) = (request.spec, request.clientToken, request.now)
        if let clientToken {
            let statement = try db.cachedStatement(
                sql: "SELECT \(JobRecord.Columns.selection) FROM jobs WHERE clientToken = ?"
            )
            if let existing = try GRDB.Row.fetchOne(statement, arguments: [clientToken]).map(JobRecord.init(row:)) {
                guard existing.spec == spec else {
                    throw StoreError(
                        .clientTokenConflict,
                        "client token \(clientToken) was used for job \(existing.id) with a different spec"
                    )
                }
                return JobCreation(job: existing, created: false, tasks: [])
            }
        }
        let id = request.id ?? JobID.generate(at: now)
        if try jobExists(db, id) {
            throw StoreError(.jobAlreadyExists, "a job with id \(id) exists already")
        }
        let placements = LocationSpread(spec: spec).initialInstances()
        var job = JobRecord(
            id: id,
            spec: spec,
            status: .active,
            desiredInstances: placements.count,
            nextInstanceIndex: placements.count,
            clientToken: clientToken,
            createdAt: now,
            updatedAt: now
        )
        let tasks = StoreRules.newTasks(jobID: id, placements: placements, now: now)
        _ = StoreRules.rederive(&job, tally: StoreRules.tally(tasks), now: now)
        try job.insert(db)
        let rows = try TaskRowWriter(db)
        for task in tasks { try rows.insert(task) }
        try StoreRules.jobCreatedEvent(job).insert(db)
        return JobCreation(job: job, created: true, tasks: tasks)
    }

    public func job(id: JobID) async throws -> JobRecord? {
        try await writer.read { db in try JobRecord.fetchOne(db, id: id) }
    }

    public func listJobs(filter: JobFilter, page: PageRequest) async throws -> Page<JobRecord> {
        try StoreRules.checkLimit(page.limit)
        let after = try page.cursor.map { cursor throws(StoreError) in try StoreRules.parseJobCursor(cursor) }
        var conditions: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let statuses = filter.statuses {
            conditions.append("status IN (\(statuses.map { _ in "?" }.joined(separator: ", ")))")
            arguments += statuses.sorted { $0.rawValue < $1.rawValue }.map(\.rawValue)
        }
        if let name = filter.name {
            conditions.append("name = ?")
            arguments.append(name)
        }
        if let kind = filter.kind {
            conditions.append("kind = ?")
            arguments.append(kind.rawValue)
        }
        if let after {
            conditions.append("(createdAt > ? OR (createdAt = ? AND id > ?))")
            arguments += [after.millis, after.millis, after.id]
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT \(JobRecord.Columns.selection) FROM jobs \(whereClause) ORDER BY createdAt, id LIMIT ?"
        arguments.append(page.limit + 1)
        let finalArguments = StatementArguments(arguments)
        let fetched = try await writer.read { db in
            try GRDB.Row.fetchAll(db.cachedStatement(sql: sql), arguments: finalArguments).map(JobRecord.init(row:))
        }
        let items = Array(fetched.prefix(page.limit))
        let next = fetched.count > page.limit ? items.last.map(StoreRules.jobCursor) : nil
        return Page(items: items, nextCursor: next)
    }

    public func updateDesiredInstances(jobID: JobID, count: Int, now: Date) async throws -> ScaleOutcome {
        let now = StoreTime.normalize(now)
        return try await writer.write { db in
            guard var job = try JobRecord.fetchOne(db, id: jobID) else { throw StoreError.jobNotFound(jobID) }
            try StoreRules.checkScalable(job, count: count)
            var current: [InstancePlacement] = []
            let rows = try GRDB.Row.fetchCursor(
                db.cachedStatement(sql: "SELECT instanceIndex, cell FROM tasks WHERE jobId = ? AND isDesired = 1"),
                arguments: [jobID.rawValue]
            )
            while let row = try rows.next() {
                current.append(
                    InstancePlacement(
                        index: try row.decode(Int.self, atIndex: 0),
                        cell: CellName(try row.decode(String.self, atIndex: 1))
                    )
                )
            }
            let plan = LocationSpread(spec: job.spec).scale(
                current: current,
                nextIndex: job.nextInstanceIndex,
                to: count
            )
            let added = StoreRules.newTasks(jobID: jobID, placements: plan.add, now: now)
            let writer = try TaskRowWriter(db)
            for task in added { try writer.insert(task) }
            var toKill: [TaskRecord] = []
            for index in plan.remove {
                guard var task = try Self.task(db, jobID: jobID, index: index) else { continue }
                task.isDesired = false
                task.updatedAt = now
                let result = StoreRules.requestKill(of: &task, now: now, why: "scaled down")
                try task.update(db)
                try result.entry?.insert(db, for: task)
                if result.needsKill { toKill.append(task) }
            }
            let previous = job.desiredInstances
            job.desiredInstances = count
            job.nextInstanceIndex += plan.add.count
            job.updatedAt = now
            try PendingEvent(
                kind: .jobScaled,
                jobID: jobID,
                taskID: nil,
                message: "job \(job.spec.name) scaled from \(previous) to \(count) instances",
                at: now
            )
            .insert(db)
            try Self.rederiveStatus(db, job: &job, now: now)
            try job.updateState(db)
            return ScaleOutcome(job: job, added: added, toKill: toKill.sorted { $0.instanceIndex < $1.instanceIndex })
        }
    }

    public func markJobKilled(jobID: JobID, now: Date) async throws -> KillOutcome {
        let now = StoreTime.normalize(now)
        return try await writer.write { db in
            guard var job = try JobRecord.fetchOne(db, id: jobID) else { throw StoreError.jobNotFound(jobID) }
            if job.status.isFinished || job.status == .killing { return KillOutcome(job: job, toKill: []) }
            job.status = .killing
            job.updatedAt = now
            let live = try TaskRecord.fetchAll(
                db,
                sql: """
                    SELECT \(TaskRecord.Columns.selection) FROM tasks INDEXED BY tasks_live
                    WHERE jobId = ? AND (state <> 'finished' OR nextRestartAt IS NOT NULL) ORDER BY instanceIndex
                    """,
                arguments: [jobID.rawValue]
            )
            var toKill: [TaskRecord] = []
            for var task in live {
                let result = StoreRules.requestKill(of: &task, now: now, why: "job killed")
                try task.update(db)
                try result.entry?.insert(db, for: task)
                if result.needsKill { toKill.append(task) }
            }
            try PendingEvent(
                kind: .jobKillRequested,
                jobID: jobID,
                taskID: nil,
                message: "kill requested for job \(job.spec.name)",
                at: now
            )
            .insert(db)
            try Self.rederiveStatus(db, job: &job, now: now)
            try job.updateState(db)
            return KillOutcome(job: job, toKill: toKill)
        }
    }

    public func taskCounts(jobID: JobID) async throws -> TaskStateCounts {
        try await writer.read { db in
            guard try Self.jobExists(db, jobID) else { throw StoreError.jobNotFound(jobID) }
            var counts = TaskStateCounts()
            let rows = try GRDB.Row.fetchCursor(
                db.cachedStatement(sql: "SELECT state, COUNT(*) FROM tasks WHERE jobId = ? GROUP BY state"),
                arguments: [jobID.rawValue]
            )
            while let row = try rows.next() {
                if let state = TaskState(rawValue: try row.decode(String.self, atIndex: 0)) {
                    counts[state] = try row.decode(Int.self, atIndex: 1)
                }
            }
            return counts
        }
    }

    // MARK: Shared by the task operations

    static func jobExists(_ db: GRDB.Database, _ id: JobID) throws -> Bool {
        try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM jobs WHERE id = ?)"),
            arguments: [id.rawValue]
        ) ?? false
    }

    static func task(_ db: GRDB.Database, jobID: JobID, index: Int) throws -> TaskRecord? {
        try TaskRecord.fetchAll(
            db,
            sql: "SELECT \(TaskRecord.Columns.selection) FROM tasks WHERE jobId = ? AND instanceIndex = ?",
            arguments: [jobID.rawValue, index]
        )
        .first
    }

    /// Re-derives the job's status from its tasks and appends `jobFinished` if it just ended.
    /// The caller writes the job. Uses the `tasks_live` index (named, because without
    /// statistics SQLite would pick the primary key and read every task of the job): one probe
    /// while anything is live, a count of the job's tasks only once nothing is.
    static func rederiveStatus(_ db: GRDB.Database, job: inout JobRecord, now: Date) throws {
        let anyLive =
            try Bool.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT EXISTS (SELECT 1 FROM tasks INDEXED BY tasks_live
                        WHERE jobId = ? AND (state <> 'finished' OR nextRestartAt IS NOT NULL))
                        """
                ),
                arguments: [job.id.rawValue]
            ) ?? false
        var tally = InstanceTally(live: anyLive ? 1 : 0, succeeded: 0, finished: 0)
        if !anyLive {
            let row = try GRDB.Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT COUNT(*), COALESCE(SUM(finishReason = 'succeeded'), 0) FROM tasks
                        WHERE jobId = ? AND isDesired = 1
                        """
                ),
                arguments: [job.id.rawValue]
            )
            tally.finished = try row?.decode(Int.self, atIndex: 0) ?? 0
            tally.succeeded = try row?.decode(Int.self, atIndex: 1) ?? 0
        }
        if let event = StoreRules.rederive(&job, tally: tally, now: now) { try event.insert(db) }
    }
}
