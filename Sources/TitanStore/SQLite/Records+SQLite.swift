import Foundation
import GRDB
import TitanModel

// How each record maps to its table. Columns are read by position, in the order of
// `Columns.all`, which every SELECT of a record uses: reading 10,000 tasks by name would
// look each column up 10,000 times.

extension TaskRecord {
    enum Columns {
        static let id = Column("id")
        static let jobID = Column("jobId")
        static let instanceIndex = Column("instanceIndex")
        static let cell = Column("cell")
        static let attempt = Column("attempt")
        static let retriesUsed = Column("retriesUsed")
        static let state = Column("state")
        static let finishReason = Column("finishReason")
        static let host = Column("hostId")
        static let ports = Column("ports")
        static let resourceSets = Column("resourceSets")
        static let exitCode = Column("exitCode")
        static let pendingReason = Column("pendingReason")
        static let message = Column("message")
        static let killRequested = Column("killRequested")
        static let isDesired = Column("isDesired")
        static let createdAt = Column("createdAt")
        static let updatedAt = Column("updatedAt")
        static let launchedAt = Column("launchedAt")
        static let startedAt = Column("startedAt")
        static let finishedAt = Column("finishedAt")
        static let nextRestartAt = Column("nextRestartAt")

        static let all = [
            id, jobID, instanceIndex, cell, attempt, retriesUsed, state, finishReason, host, ports, resourceSets,
            exitCode, pendingReason, message, killRequested, isDesired, createdAt, updatedAt, launchedAt, startedAt,
            finishedAt, nextRestartAt,
        ]
        static let selection = all.map(\.name).joined(separator: ", ")
    }

    static let insertSQL =
        "INSERT INTO tasks (\(Columns.selection)) VALUES (\(Columns.all.map { _ in "?" }.joined(separator: ", ")))"

    /// Every column but the key (id, jobId, instanceIndex), then the key for the WHERE clause.
    static let updateSQL =
        "UPDATE tasks SET "
        + Columns.all.dropFirst(3).map { "\($0.name) = ?" }.joined(separator: ", ")
        + " WHERE jobId = ? AND instanceIndex = ?"

    init(row: GRDB.Row) throws {
        let stateText = try row.decode(String.self, atIndex: 6)
        let reasonText = try row.decode(String?.self, atIndex: 7)
        guard let state = TaskState(rawValue: stateText) else {
            throw StoreError(.corruptData, "unknown task state \(stateText)")
        }
        let finishReason = try reasonText.map { text throws(StoreError) in
            guard let reason = FinishReason(rawValue: text) else {
                throw StoreError(.corruptData, "unknown finish reason \(text)")
            }
            return reason
        }
        self.init(
            id: TaskInstanceID(try row.decode(String.self, atIndex: 0)),
            jobID: JobID(try row.decode(String.self, atIndex: 1)),
            instanceIndex: try row.decode(Int.self, atIndex: 2),
            cell: CellName(try row.decode(String.self, atIndex: 3)),
            attempt: try row.decode(Int.self, atIndex: 4),
            retriesUsed: try row.decode(Int.self, atIndex: 5),
            state: state,
            finishReason: finishReason,
            host: try row.decode(String?.self, atIndex: 8).map(HostID.init(rawValue:)),
            ports: try StoreJSON.decodePorts(row.decode(String.self, atIndex: 9)),
            resourceSets: try StoreJSON.decodeResourceSets(row.decode(String.self, atIndex: 10)),
            exitCode: try row.decode(Int?.self, atIndex: 11),
            pendingReason: try row.decode(String?.self, atIndex: 12),
            message: try row.decode(String?.self, atIndex: 13),
            killRequested: try row.decode(Bool.self, atIndex: 14),
            isDesired: try row.decode(Bool.self, atIndex: 15),
            createdAt: StoreTime.date(try row.decode(Int64.self, atIndex: 16)),
            updatedAt: StoreTime.date(try row.decode(Int64.self, atIndex: 17)),
            launchedAt: try row.decode(Int64?.self, atIndex: 18).map(StoreTime.date),
            startedAt: try row.decode(Int64?.self, atIndex: 19).map(StoreTime.date),
            finishedAt: try row.decode(Int64?.self, atIndex: 20).map(StoreTime.date),
            nextRestartAt: try row.decode(Int64?.self, atIndex: 21).map(StoreTime.date)
        )
    }

    /// Values in `Columns.all` order.
    func databaseValues() throws -> [(any DatabaseValueConvertible)?] {
        [
            id.rawValue, jobID.rawValue, instanceIndex, cell.rawValue, attempt, retriesUsed, state.rawValue,
            finishReason?.rawValue, host?.rawValue, StoreJSON.encodePorts(ports),
            try StoreJSON.encodeResourceSets(resourceSets), exitCode, pendingReason, message, killRequested, isDesired,
            StoreTime.millis(createdAt), StoreTime.millis(updatedAt), launchedAt.map(StoreTime.millis),
            startedAt.map(StoreTime.millis), finishedAt.map(StoreTime.millis), nextRestartAt.map(StoreTime.millis),
        ]
    }

    func update(_ db: GRDB.Database) throws {
        let values = try databaseValues()
        try db.cachedStatement(sql: Self.updateSQL).execute(
            arguments: StatementArguments(Array(values.dropFirst(3)) + [jobID.rawValue, instanceIndex])
        )
    }

    /// The task with this id, found through the primary key (`<jobId>-<instanceIndex>`).
    static func fetchOne(_ db: GRDB.Database, id: TaskInstanceID) throws -> TaskRecord? {
        guard let parts = id.parts else { return nil }
        let statement = try db.cachedStatement(
            sql: "SELECT \(Columns.selection) FROM tasks WHERE jobId = ? AND instanceIndex = ?"
        )
        return try GRDB.Row.fetchOne(statement, arguments: [parts.job.rawValue, parts.index]).map(TaskRecord.init(row:))
    }

    static func fetchAll(_ db: GRDB.Database, sql: String, arguments: StatementArguments) throws -> [TaskRecord] {
        var tasks: [TaskRecord] = []
        let rows = try GRDB.Row.fetchCursor(db.cachedStatement(sql: sql), arguments: arguments)
        while let row = try rows.next() { tasks.append(try TaskRecord(row: row)) }
        return tasks
    }
}

extension JobRecord {
    enum Columns {
        static let id = Column("id")
        static let name = Column("name")
        static let applicationName = Column("applicationName")
        static let version = Column("version")
        static let kind = Column("kind")
        static let tier = Column("tier")
        static let capacityGroup = Column("capacityGroup")
        static let status = Column("status")
        static let desiredInstances = Column("desiredInstances")
        static let nextInstanceIndex = Column("nextInstanceIndex")
        static let spec = Column("spec")
        static let clientToken = Column("clientToken")
        static let createdAt = Column("createdAt")
        static let updatedAt = Column("updatedAt")

        static let all = [
            id, name, applicationName, version, kind, tier, capacityGroup, status, desiredInstances,
            nextInstanceIndex, spec, clientToken, createdAt, updatedAt,
        ]
        static let selection = all.map(\.name).joined(separator: ", ")
    }

    init(row: GRDB.Row) throws {
        let statusText = try row.decode(String.self, atIndex: 7)
        guard let status = JobStatus(rawValue: statusText) else {
            throw StoreError(.corruptData, "unknown job status \(statusText)")
        }
        self.init(
            id: JobID(try row.decode(String.self, atIndex: 0)),
            spec: try StoreJSON.decodeSpec(row.decode(String.self, atIndex: 10)),
            status: status,
            desiredInstances: try row.decode(Int.self, atIndex: 8),
            nextInstanceIndex: try row.decode(Int.self, atIndex: 9),
            clientToken: try row.decode(String?.self, atIndex: 11),
            createdAt: StoreTime.date(try row.decode(Int64.self, atIndex: 12)),
            updatedAt: StoreTime.date(try row.decode(Int64.self, atIndex: 13))
        )
    }

    func databaseValues() throws -> [(any DatabaseValueConvertible)?] {
        [
            id.rawValue, spec.name, spec.applicationName, spec.version, spec.kind.rawValue, spec.tier.number,
            spec.capacityGroup, status.rawValue, desiredInstances, nextInstanceIndex, try StoreJSON.encodeSpec(spec),
            clientToken, StoreTime.millis(createdAt), StoreTime.millis(updatedAt),
        ]
    }

    static let insertSQL =
        "INSERT INTO jobs (\(Columns.selection)) VALUES (\(Columns.all.map { _ in "?" }.joined(separator: ", ")))"

    func insert(_ db: GRDB.Database) throws {
        try db.cachedStatement(sql: Self.insertSQL).execute(arguments: StatementArguments(databaseValues()))
    }

    /// Writes what changes after creation: status, sizes, update time.
    func updateState(_ db: GRDB.Database) throws {
        try db.cachedStatement(
            sql: "UPDATE jobs SET status = ?, desiredInstances = ?, nextInstanceIndex = ?, updatedAt = ? WHERE id = ?"
        )
        .execute(arguments: [
            status.rawValue, desiredInstances, nextInstanceIndex, StoreTime.millis(updatedAt), id.rawValue,
        ])
    }

    static func fetchOne(_ db: GRDB.Database, id: JobID) throws -> JobRecord? {
        let statement = try db.cachedStatement(sql: "SELECT \(Columns.selection) FROM jobs WHERE id = ?")
        return try GRDB.Row.fetchOne(statement, arguments: [id.rawValue]).map(JobRecord.init(row:))
    }
}

extension HostRecord {
    enum Columns {
        static let id = Column("id")
        static let address = Column("address")
        static let resources = Column("resources")
        static let attributes = Column("attributes")
        static let state = Column("state")
        static let disabledUntil = Column("disabledUntil")
        static let lastHeartbeatAt = Column("lastHeartbeatAt")
        static let registeredAt = Column("registeredAt")
        static let updatedAt = Column("updatedAt")

        static let all = [
            id, address, resources, attributes, state, disabledUntil, lastHeartbeatAt, registeredAt, updatedAt,
        ]
        static let selection = all.map(\.name).joined(separator: ", ")
    }

    init(row: GRDB.Row) throws {
        let stateText = try row.decode(String.self, atIndex: 4)
        guard let state = HostState(rawValue: stateText) else {
            throw StoreError(.corruptData, "unknown host state \(stateText)")
        }
        self.init(
            id: HostID(try row.decode(String.self, atIndex: 0)),
            address: try row.decode(String.self, atIndex: 1),
            resources: try StoreJSON.decode(HostResources.self, from: row.decode(String.self, atIndex: 2)),
            attributes: try StoreJSON.decode([String: String].self, from: row.decode(String.self, atIndex: 3)),
            state: state,
            disabledUntil: try row.decode(Int64?.self, atIndex: 5).map(StoreTime.date),
            lastHeartbeatAt: try row.decode(Int64?.self, atIndex: 6).map(StoreTime.date),
            registeredAt: StoreTime.date(try row.decode(Int64.self, atIndex: 7)),
            updatedAt: StoreTime.date(try row.decode(Int64.self, atIndex: 8))
        )
    }

    /// Inserts the host, or replaces every column of the one with its id.
    static let saveSQL =
        "INSERT INTO hosts (\(Columns.selection)) VALUES (\(Columns.all.map { _ in "?" }.joined(separator: ", "))) "
        + "ON CONFLICT(id) DO UPDATE SET "
        + Columns.all.dropFirst().map { "\($0.name) = excluded.\($0.name)" }.joined(separator: ", ")

    func save(_ db: GRDB.Database) throws {
        try db.cachedStatement(sql: Self.saveSQL)
            .execute(
                arguments: [
                    id.rawValue, address, try StoreJSON.encode(resources), try StoreJSON.encode(attributes),
                    state.rawValue,
                    disabledUntil.map(StoreTime.millis), lastHeartbeatAt.map(StoreTime.millis),
                    StoreTime.millis(registeredAt), StoreTime.millis(updatedAt),
                ]
            )
    }

    static func fetchOne(_ db: GRDB.Database, id: HostID) throws -> HostRecord? {
        let statement = try db.cachedStatement(sql: "SELECT \(Columns.selection) FROM hosts WHERE id = ?")
        return try GRDB.Row.fetchOne(statement, arguments: [id.rawValue]).map(HostRecord.init(row:))
    }
}

extension TaskHistoryEntry {
    /// Appends the entry for `task` (the entry's task id is always the task's).
    func insert(_ db: GRDB.Database, for task: TaskRecord) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO task_transitions (jobId, instanceIndex, attempt, fromState, toState, finishReason, at, message)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """
        )
        .execute(
            arguments: [
                task.jobID.rawValue, task.instanceIndex, attempt, from.rawValue, to.rawValue, finishReason?.rawValue,
                StoreTime.millis(at), message,
            ]
        )
    }

    init(row: GRDB.Row) throws {
        let fromText = try row.decode(String.self, atIndex: 2)
        let toText = try row.decode(String.self, atIndex: 3)
        guard let from = TaskState(rawValue: fromText), let to = TaskState(rawValue: toText) else {
            throw StoreError(.corruptData, "unknown task state in history: \(fromText) → \(toText)")
        }
        self.init(
            taskID: TaskInstanceID(
                job: JobID(try row.decode(String.self, atIndex: 0)),
                index: try row.decode(Int.self, atIndex: 7)
            ),
            attempt: try row.decode(Int.self, atIndex: 1),
            from: from,
            to: to,
            finishReason: try row.decode(String?.self, atIndex: 4).flatMap(FinishReason.init(rawValue:)),
            at: StoreTime.date(try row.decode(Int64.self, atIndex: 5)),
            message: try row.decode(String?.self, atIndex: 6)
        )
    }
}

extension PendingEvent {
    /// Appends the event and returns it with its id.
    @discardableResult
    func insert(_ db: GRDB.Database) throws -> EventRecord {
        try db.cachedStatement(sql: "INSERT INTO events (at, kind, jobId, taskId, message) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [StoreTime.millis(at), kind.rawValue, jobID?.rawValue, taskID?.rawValue, message])
        return EventRecord(id: db.lastInsertedRowID, at: at, kind: kind, jobID: jobID, taskID: taskID, message: message)
    }
}

extension EventRecord {
    init(row: GRDB.Row) throws {
        self.init(
            id: try row.decode(Int64.self, atIndex: 0),
            at: StoreTime.date(try row.decode(Int64.self, atIndex: 1)),
            kind: EventKind(try row.decode(String.self, atIndex: 2)),
            jobID: try row.decode(String?.self, atIndex: 3).map(JobID.init(rawValue:)),
            taskID: try row.decode(String?.self, atIndex: 4).map(TaskInstanceID.init(rawValue:)),
            message: try row.decode(String.self, atIndex: 5)
        )
    }
}

/// JSON columns. Ports and resource sets are read for every task listed, so their common
/// shapes (`[]`, `[31000,31001]`) take a fast path instead of a JSONDecoder.
enum StoreJSON {
    static func encodePorts(_ ports: [Int]) -> String {
        "[" + ports.map(String.init).joined(separator: ",") + "]"
    }

    static func decodePorts(_ text: String) throws -> [Int] {
        if text == "[]" { return [] }
        let utf8 = text.utf8
        if utf8.first == UInt8(ascii: "["), utf8.last == UInt8(ascii: "]") {
            let inner = text.dropFirst().dropLast()
            let parts = inner.split(separator: ",", omittingEmptySubsequences: false)
            let ports = parts.compactMap { Int($0) }
            if ports.count == parts.count { return ports }
        }
        return try decode([Int].self, from: text)
    }

    static func encodeResourceSets(_ sets: [ResourceSetAssignment]) throws -> String {
        sets.isEmpty ? "[]" : try encode(sets)
    }

    static func decodeResourceSets(_ text: String) throws -> [ResourceSetAssignment] {
        text == "[]" ? [] : try decode([ResourceSetAssignment].self, from: text)
    }

    static func encodeSpec(_ spec: JobSpec) throws -> String { try encode(spec) }

    static func decodeSpec(_ text: String) throws -> JobSpec {
        do {
            return try JobSpec.parse(Data(text.utf8))
        } catch {
            throw StoreError(.corruptData, "a stored job spec no longer validates: \(error)")
        }
    }

    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<Value: Decodable>(_ type: Value.Type, from text: String) throws -> Value {
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw StoreError(.corruptData, "a stored \(Value.self) could not be read: \(error)")
        }
    }
}
