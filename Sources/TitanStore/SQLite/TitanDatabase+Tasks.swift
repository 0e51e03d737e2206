import Foundation
import GRDB
import TitanModel

extension TitanDatabase {
    public func tasks(jobID: JobID, states: Set<TaskState>?, page: PageRequest) async throws -> Page<TaskRecord> {
        try StoreRules.checkLimit(page.limit)
        let after = try page.cursor.map { cursor throws(StoreError) in try StoreRules.parseTaskCursor(cursor) } ?? -1
        var sql = "SELECT \(TaskRecord.Columns.selection) FROM tasks WHERE jobId = ? AND instanceIndex > ?"
        var arguments: [(any DatabaseValueConvertible)?] = [jobID.rawValue, after]
        if let states {
            let sorted = states.map(\.rawValue).sorted()
            sql += " AND state IN (\(sorted.map { _ in "?" }.joined(separator: ", ")))"
            arguments += sorted
        }
        sql += " ORDER BY instanceIndex LIMIT ?"
        arguments.append(page.limit + 1)
        let (finalSQL, finalArguments) = (sql, StatementArguments(arguments))
        let fetched = try await writer.read { db in
            guard try Self.jobExists(db, jobID) else { throw StoreError.jobNotFound(jobID) }
            return try TaskRecord.fetchAll(db, sql: finalSQL, arguments: finalArguments)
        }
        let items = Array(fetched.prefix(page.limit))
        let next = fetched.count > page.limit ? items.last.map { String($0.instanceIndex) } : nil
        return Page(items: items, nextCursor: next)
    }

    public func task(id: TaskInstanceID) async throws -> TaskRecord? {
        try await writer.read { db in try TaskRecord.fetchOne(db, id: id) }
    }

    public func taskHistory(id: TaskInstanceID) async throws -> [TaskHistoryEntry] {
        guard let parts = id.parts else { return [] }
        return try await writer.read { db in
            try GRDB.Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT jobId, attempt, fromState, toState, finishReason, at, message, instanceIndex
                        FROM task_transitions WHERE jobId = ? AND instanceIndex = ? ORDER BY id
                        """
                ),
                arguments: [parts.job.rawValue, parts.index]
            )
            .map(TaskHistoryEntry.init(row:))
        }
    }

    public func tasksInStates(_ states: Set<TaskState>) async throws -> [TaskRecord] {
        guard !states.isEmpty else { return [] }
        let sorted = states.map(\.rawValue).sorted()
        // Without `finished`, every wanted task is live: the tasks_live index finds them, already
        // in (jobId, instanceIndex) order, without reading the finished ones.
        let liveOnly = !states.contains(.finished)
        let sql = """
            SELECT \(TaskRecord.Columns.selection) FROM tasks \(liveOnly ? "INDEXED BY tasks_live" : "")
            WHERE \(liveOnly ? "(state <> 'finished' OR nextRestartAt IS NOT NULL) AND " : "")state IN (\(sorted.map { _ in "?" }.joined(separator: ", "))) ORDER BY jobId, instanceIndex
            """
        return try await writer.read { db in
            try TaskRecord.fetchAll(db, sql: sql, arguments: StatementArguments(sorted))
        }
    }

    public func recordTransition(_ transition: TaskTransition) async throws -> TransitionOutcome {
        var transition = transition
        transition.at = StoreTime.normalize(transition.at)
        let normalized = transition
        return try await writer.write { db in
            guard var task = try TaskRecord.fetchOne(db, id: normalized.taskID) else {
                throw StoreError.taskNotFound(normalized.taskID)
            }
            guard var job = try JobRecord.fetchOne(db, id: task.jobID) else { throw StoreError.jobNotFound(task.jobID) }
            let (entry, decision, event) = try StoreRules.apply(normalized, to: &task, job: job)
            try task.update(db)
            try entry.insert(db, for: task)
            try event.insert(db)
            if normalized.to == .finished {
                let before = job.status
                try Self.rederiveStatus(db, job: &job, now: normalized.at)
                if job.status != before { try job.updateState(db) }
            }
            return TransitionOutcome(task: task, restart: decision, jobStatus: job.status)
        }
    }

    public func assignTasks(_ assignments: [TaskAssignment], at: Date, queueLaunchOrders: Bool) async throws
        -> AssignmentOutcome
    {
        let at = StoreTime.normalize(at)
        return try await writer.write { db in
            var outcome = AssignmentOutcome(assigned: [], refused: [])
            for assignment in assignments {
                guard var task = try TaskRecord.fetchOne(db, id: assignment.taskID) else {
                    outcome.refused.append(
                        RefusedAssignment(assignment: assignment, error: .taskNotFound(assignment.taskID))
                    )
                    continue
                }
                do {
                    let (entry, event) = try StoreRules.assign(assignment, to: &task, at: at)
                    try task.update(db)
                    try entry.insert(db, for: task)
                    try event.insert(db)
                    outcome.assigned.append(task)
                    if queueLaunchOrders {
                        let order = NewAgentOrder(
                            hostID: assignment.host,
                            kind: .launch,
                            taskID: task.id,
                            attempt: task.attempt
                        )
                        outcome.launchOrders.append(try Self.insertOrder(db, order, at: at))
                    }
                } catch let error as StoreError {
                    outcome.refused.append(RefusedAssignment(assignment: assignment, error: error))
                }
            }
            return outcome
        }
    }

    public func setPendingReasons(_ updates: [PendingReasonUpdate]) async throws -> Int {
        guard !updates.isEmpty else { return 0 }
        return try await writer.write { db in
            let statement = try db.cachedStatement(
                sql: "UPDATE tasks SET pendingReason = ? WHERE jobId = ? AND instanceIndex = ? AND state = 'accepted'"
            )
            var updated = 0
            for update in updates {
                guard let parts = update.taskID.parts else { continue }
                try statement.execute(arguments: [update.reason, parts.job.rawValue, parts.index])
                updated += db.changesCount
            }
            return updated
        }
    }

    public func markTaskKilled(id: TaskInstanceID, now: Date) async throws -> TaskRecord {
        let now = StoreTime.normalize(now)
        return try await writer.write { db in
            guard var task = try TaskRecord.fetchOne(db, id: id) else { throw StoreError.taskNotFound(id) }
            guard var job = try JobRecord.fetchOne(db, id: task.jobID) else { throw StoreError.jobNotFound(task.jobID) }
            let result = StoreRules.requestKill(of: &task, now: now, why: "killed on request")
            try task.update(db)
            try result.entry?.insert(db, for: task)
            try PendingEvent(
                kind: .taskKillRequested,
                jobID: task.jobID,
                taskID: id,
                message: "kill requested for task \(id)",
                at: now
            )
            .insert(db)
            let before = job.status
            try Self.rederiveStatus(db, job: &job, now: now)
            if job.status != before { try job.updateState(db) }
            return task
        }
    }

    public func restartDueTasks(now: Date, limit: Int) async throws -> [TaskRecord] {
        try StoreRules.checkLimit(limit)
        let now = StoreTime.normalize(now)
        return try await writer.write { db in
            let due = try TaskRecord.fetchAll(
                db,
                sql: """
                    SELECT \(TaskRecord.Columns.selection) FROM tasks
                    WHERE nextRestartAt IS NOT NULL AND nextRestartAt <= ? AND state = 'finished'
                    ORDER BY nextRestartAt, id LIMIT ?
                    """,
                arguments: [StoreTime.millis(now), limit]
            )
            var restarted: [TaskRecord] = []
            for var task in due {
                let (entry, event) = StoreRules.restart(&task, now: now)
                try task.update(db)
                try entry.insert(db, for: task)
                try event.insert(db)
                restarted.append(task)
            }
            return restarted
        }
    }
}
