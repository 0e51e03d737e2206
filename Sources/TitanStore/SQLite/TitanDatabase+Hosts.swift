import Foundation
import GRDB
import TitanModel

extension TitanDatabase {
    public func upsertHost(_ registration: HostRegistration, now: Date) async throws -> HostRecord {
        let now = StoreTime.normalize(now)
        return try await writer.write { db in
            let existing = try HostRecord.fetchOne(db, id: registration.id)
            var host =
                existing
                ?? HostRecord(
                    id: registration.id,
                    address: registration.address,
                    resources: registration.resources,
                    attributes: registration.attributes,
                    state: .up,
                    disabledUntil: nil,
                    lastHeartbeatAt: now,
                    registeredAt: now,
                    updatedAt: now
                )
            if existing == nil {
                try PendingEvent(
                    kind: .hostRegistered,
                    jobID: nil,
                    taskID: nil,
                    message: "host \(registration.id) registered at \(registration.address)",
                    at: now
                )
                .insert(db)
            }
            host.address = registration.address
            host.resources = registration.resources
            host.attributes = registration.attributes
            host.state = .up
            host.lastHeartbeatAt = now
            host.updatedAt = now
            try host.save(db)
            return host
        }
    }

    public func recordHeartbeat(hostID: HostID, at: Date) async throws -> HostRecord {
        let at = StoreTime.normalize(at)
        return try await writer.write { db in
            guard var host = try HostRecord.fetchOne(db, id: hostID) else { throw StoreError.hostNotFound(hostID) }
            if host.state != .up { try HostEvents.stateChanged(hostID, to: .up, at: at).insert(db) }
            host.state = .up
            host.lastHeartbeatAt = at
            host.updatedAt = at
            try host.save(db)
            return host
        }
    }

    public func setHostState(hostID: HostID, state: HostState, now: Date) async throws -> HostRecord {
        let now = StoreTime.normalize(now)
        return try await writer.write { db in
            guard var host = try HostRecord.fetchOne(db, id: hostID) else { throw StoreError.hostNotFound(hostID) }
            if host.state != state {
                try HostEvents.stateChanged(hostID, to: state, at: now).insert(db)
                host.state = state
                host.updatedAt = now
                try host.save(db)
            }
            return host
        }
    }

    public func disableHost(hostID: HostID, until: Date, now: Date) async throws -> HostRecord {
        let (until, now) = (StoreTime.normalize(until), StoreTime.normalize(now))
        return try await writer.write { db in
            guard var host = try HostRecord.fetchOne(db, id: hostID) else { throw StoreError.hostNotFound(hostID) }
            host.disabledUntil = until
            host.updatedAt = now
            try host.save(db)
            try HostEvents.disabled(hostID, until: until, at: now).insert(db)
            return host
        }
    }

    public func enableHost(hostID: HostID, now: Date) async throws -> HostRecord {
        let now = StoreTime.normalize(now)
        return try await writer.write { db in
            guard var host = try HostRecord.fetchOne(db, id: hostID) else { throw StoreError.hostNotFound(hostID) }
            host.disabledUntil = nil
            host.updatedAt = now
            try host.save(db)
            try HostEvents.enabled(hostID, at: now).insert(db)
            return host
        }
    }

    public func removeHost(hostID: HostID, reason: String, now: Date) async throws {
        let now = StoreTime.normalize(now)
        try await writer.write { db in
            guard try HostRecord.fetchOne(db, id: hostID) != nil else { throw StoreError.hostNotFound(hostID) }
            try db.execute(sql: "DELETE FROM agent_orders WHERE hostId = ?", arguments: [hostID.rawValue])
            try db.execute(sql: "DELETE FROM hosts WHERE id = ?", arguments: [hostID.rawValue])
            try HostEvents.removed(hostID, reason: reason, at: now).insert(db)
        }
    }

    public func host(id: HostID) async throws -> HostRecord? {
        try await writer.read { db in try HostRecord.fetchOne(db, id: id) }
    }

    public func hosts() async throws -> [HostRecord] {
        try await writer.read { db in
            try GRDB.Row.fetchAll(db, sql: "SELECT \(HostRecord.Columns.selection) FROM hosts ORDER BY id")
                .map(HostRecord.init(row:))
        }
    }

    // MARK: Agent orders

    public func queueOrders(_ orders: [NewAgentOrder], at: Date) async throws -> [QueuedAgentOrder] {
        guard !orders.isEmpty else { return [] }
        let at = StoreTime.normalize(at)
        return try await writer.write { db in try orders.map { try Self.insertOrder(db, $0, at: at) } }
    }

    public func pendingOrders(hostID: HostID, acknowledgingThrough: Int64, limit: Int) async throws
        -> [QueuedAgentOrder]
    {
        try StoreRules.checkLimit(limit)
        let select = """
            SELECT seq, hostId, kind, taskId, attempt, gracePeriodMs, reason, createdAt FROM agent_orders
            WHERE hostId = ? AND seq > ? ORDER BY seq LIMIT ?
            """
        let arguments: StatementArguments = [hostID.rawValue, acknowledgingThrough, limit]
        let hasAcknowledged = try await writer.read { db in
            try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM agent_orders WHERE hostId = ? AND seq <= ?)"),
                arguments: [hostID.rawValue, acknowledgingThrough]
            ) ?? false
        }
        // A poll that acknowledges nothing new is only a read, so idle agents cost no writes.
        if !hasAcknowledged {
            return try await writer.read { db in
                try GRDB.Row.fetchAll(db.cachedStatement(sql: select), arguments: arguments).map(Self.order(row:))
            }
        }
        return try await writer.write { db in
            try db.cachedStatement(sql: "DELETE FROM agent_orders WHERE hostId = ? AND seq <= ?")
                .execute(arguments: [hostID.rawValue, acknowledgingThrough])
            return try GRDB.Row.fetchAll(db.cachedStatement(sql: select), arguments: arguments).map(Self.order(row:))
        }
    }

    public func cancelOrders(_ seqs: [Int64]) async throws {
        guard !seqs.isEmpty else { return }
        try await writer.write { db in
            let statement = try db.cachedStatement(sql: "DELETE FROM agent_orders WHERE seq = ?")
            for seq in seqs { try statement.execute(arguments: [seq]) }
        }
    }

    static func insertOrder(_ db: GRDB.Database, _ order: NewAgentOrder, at: Date) throws -> QueuedAgentOrder {
        try db.cachedStatement(
            sql: """
                INSERT INTO agent_orders (hostId, kind, taskId, attempt, gracePeriodMs, reason, createdAt)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """
        )
        .execute(arguments: [
            order.hostID.rawValue, order.kind.rawValue, order.taskID.rawValue, order.attempt,
            order.gracePeriodSeconds.map { Int64(($0 * 1000).rounded()) }, order.reason, StoreTime.millis(at),
        ])
        return QueuedAgentOrder(seq: db.lastInsertedRowID, order: order, createdAt: at)
    }

    private static func order(row: GRDB.Row) throws -> QueuedAgentOrder {
        let kindText = try row.decode(String.self, atIndex: 2)
        guard let kind = AgentOrder.Kind(rawValue: kindText) else {
            throw StoreError(.corruptData, "unknown agent order kind \(kindText)")
        }
        return QueuedAgentOrder(
            seq: try row.decode(Int64.self, atIndex: 0),
            order: NewAgentOrder(
                hostID: HostID(try row.decode(String.self, atIndex: 1)),
                kind: kind,
                taskID: TaskInstanceID(try row.decode(String.self, atIndex: 3)),
                attempt: try row.decode(Int.self, atIndex: 4),
                gracePeriodSeconds: try row.decode(Int64?.self, atIndex: 5).map { Double($0) / 1000 },
                reason: try row.decode(String?.self, atIndex: 6)
            ),
            createdAt: StoreTime.date(try row.decode(Int64.self, atIndex: 7))
        )
    }

    // MARK: Events

    public func appendEvent(kind: EventKind, jobID: JobID?, taskID: TaskInstanceID?, message: String, at: Date)
        async throws -> EventRecord
    {
        let event = PendingEvent(
            kind: kind,
            jobID: jobID,
            taskID: taskID,
            message: message,
            at: StoreTime.normalize(at)
        )
        return try await writer.write { db in try event.insert(db) }
    }

    public func events(after: Int64, limit: Int) async throws -> [EventRecord] {
        try StoreRules.checkLimit(limit)
        return try await writer.read { db in
            try GRDB.Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT id, at, kind, jobId, taskId, message FROM events WHERE id > ? ORDER BY id LIMIT ?"
                ),
                arguments: [after, limit]
            )
            .map(EventRecord.init(row:))
        }
    }

    // MARK: Leader lease

    public func acquireLeaderLease(holder: String, until: Date, now: Date) async throws -> LeaseOutcome {
        let (until, now) = (StoreTime.normalize(until), StoreTime.normalize(now))
        return try await writer.write { db in
            let decision = try LeaseRules.acquire(current: try Self.lease(db), holder: holder, until: until, now: now)
            if case .acquired(let lease) = decision.outcome {
                try Self.save(lease, db)
                try decision.event?.insert(db)
            }
            return decision.outcome
        }
    }

    public func renewLeaderLease(holder: String, until: Date, now: Date) async throws -> LeaderLease {
        let (until, now) = (StoreTime.normalize(until), StoreTime.normalize(now))
        return try await writer.write { db in
            let lease = try LeaseRules.renew(current: try Self.lease(db), holder: holder, until: until, now: now)
            try Self.save(lease, db)
            return lease
        }
    }

    public func releaseLeaderLease(holder: String, now: Date) async throws {
        let now = StoreTime.normalize(now)
        try await writer.write { db in
            if let released = LeaseRules.release(current: try Self.lease(db), holder: holder, now: now) {
                try Self.save(released, db)
            }
        }
    }

    public func leaderLease() async throws -> LeaderLease? {
        try await writer.read { db in try Self.lease(db) }
    }

    private static func lease(_ db: GRDB.Database) throws -> LeaderLease? {
        guard
            let row = try GRDB.Row.fetchOne(
                db,
                sql: "SELECT holder, term, acquiredAt, expiresAt FROM leader_lease WHERE id = 1"
            )
        else { return nil }
        return LeaderLease(
            holder: try row.decode(String.self, atIndex: 0),
            term: try row.decode(Int64.self, atIndex: 1),
            acquiredAt: StoreTime.date(try row.decode(Int64.self, atIndex: 2)),
            expiresAt: StoreTime.date(try row.decode(Int64.self, atIndex: 3))
        )
    }

    private static func save(_ lease: LeaderLease, _ db: GRDB.Database) throws {
        try db.execute(
            sql: """
                INSERT INTO leader_lease (id, holder, term, acquiredAt, expiresAt) VALUES (1, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET holder = excluded.holder, term = excluded.term,
                    acquiredAt = excluded.acquiredAt, expiresAt = excluded.expiresAt
                """,
            arguments: [
                lease.holder, lease.term, StoreTime.millis(lease.acquiredAt), StoreTime.millis(lease.expiresAt),
            ]
        )
    }
}
