import Foundation
import GRDB
import GRDBSQLite
import TitanModel

/// Inserts many task rows through one prepared statement, binding values with the SQLite C
/// API.
///
/// Creating a job writes one row per instance in its transaction (10,000 for a large job).
/// Going through `StatementArguments` boxes 22 values per row and looks the statement up by
/// its SQL each time; binding directly keeps the per-row cost close to SQLite's own.
/// Used only inside a GRDB write, on the writer's connection.
struct TaskRowWriter {
    private let db: GRDB.Database
    private let statement: GRDB.Statement

    init(_ db: GRDB.Database) throws {
        self.db = db
        self.statement = try db.cachedStatement(sql: TaskRecord.insertSQL)
    }

    func insert(_ task: TaskRecord) throws {
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        var index: Int32 = 0
        func text(_ value: String?) {
            index += 1
            if let value {
                sqlite3_bind_text(handle, index, value, -1, transient)
            } else {
                sqlite3_bind_null(handle, index)
            }
        }
        func integer(_ value: Int64?) {
            index += 1
            if let value {
                sqlite3_bind_int64(handle, index, value)
            } else {
                sqlite3_bind_null(handle, index)
            }
        }
        // The order of TaskRecord.Columns.all.
        text(task.id.rawValue)
        text(task.jobID.rawValue)
        integer(Int64(task.instanceIndex))
        text(task.cell.rawValue)
        integer(Int64(task.attempt))
        integer(Int64(task.retriesUsed))
        text(task.state.rawValue)
        text(task.finishReason?.rawValue)
        text(task.host?.rawValue)
        text(StoreJSON.encodePorts(task.ports))
        text(try StoreJSON.encodeResourceSets(task.resourceSets))
        integer(task.exitCode.map(Int64.init))
        text(task.pendingReason)
        text(task.message)
        integer(task.killRequested ? 1 : 0)
        integer(task.isDesired ? 1 : 0)
        integer(StoreTime.millis(task.createdAt))
        integer(StoreTime.millis(task.updatedAt))
        integer(task.launchedAt.map(StoreTime.millis))
        integer(task.startedAt.map(StoreTime.millis))
        integer(task.finishedAt.map(StoreTime.millis))
        integer(task.nextRestartAt.map(StoreTime.millis))
        let code = sqlite3_step(handle)
        sqlite3_reset(handle)
        guard code == SQLITE_DONE else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: code),
                message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
                sql: TaskRecord.insertSQL
            )
        }
    }
}

/// Tells SQLite to copy bound text before the call returns (Swift's C string is temporary).
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
