import Foundation
import GRDB
import TitanModel

/// The durable ``TitanStorage``: SQLite through GRDB, in WAL mode.
///
/// GRDB's recommended shape: one value over `any DatabaseWriter`, migrated when it is made,
/// with one intention-revealing method per operation, each one transaction. Open a file with
/// ``open(path:configuration:)``; tests may pass any GRDB writer to ``init(_:)``.
///
/// Crash safety: every method commits before it returns, so what a caller acts on is on
/// disk. In WAL mode a committed transaction survives the process being killed (kill -9)
/// with either durability setting; see ``StoreConfiguration/Durability`` for power loss.
public struct TitanDatabase: TitanStorage {
    /// The connection (pool) every method goes through; exposed for tests and tools that read
    /// the schema directly.
    public let writer: any DatabaseWriter
    /// Groups concurrent job creations into shared transactions.
    let creations: JobCreationQueue

    /// Wraps a GRDB writer and brings its schema up to date.
    public init(_ writer: any DatabaseWriter) throws {
        self.writer = writer
        self.creations = JobCreationQueue(writer: writer)
        try Self.migrator.migrate(writer)
    }

    /// Opens (creating if needed) the store at `path` with a WAL-mode connection pool.
    public static func open(path: String, configuration: StoreConfiguration = StoreConfiguration()) throws
        -> TitanDatabase
    {
        let pool = try DatabasePool(path: path, configuration: configuration.grdbConfiguration())
        return try TitanDatabase(pool)
    }
}

/// How ``TitanDatabase`` sets up its SQLite connections.
public struct StoreConfiguration: Sendable {
    /// How hard SQLite works to keep committed transactions through a power loss.
    public enum Durability: Sendable {
        /// `synchronous = FULL`: the WAL is synced to disk at every commit, so an acknowledged
        /// job survives power loss as well as a process crash. One fsync per write transaction.
        case full
        /// `synchronous = NORMAL`: syncs only at checkpoints. Still consistent and still safe
        /// against a process crash, but a power loss may roll back the last transactions,
        /// which a client may already have been told were accepted. Faster writes.
        case normal
    }

    /// Default `.full`: Titan must never lose a job it acknowledged.
    public var durability: Durability
    /// How long a connection waits for another process's lock before failing.
    public var busyTimeout: Duration
    /// Concurrent readers in the pool.
    public var maximumReaderCount: Int

    public init(durability: Durability = .full, busyTimeout: Duration = .seconds(5), maximumReaderCount: Int = 4) {
        self.durability = durability
        self.busyTimeout = busyTimeout
        self.maximumReaderCount = maximumReaderCount
    }

    /// The GRDB configuration: foreign keys on (GRDB's default), busy timeout, synchronous mode.
    public func grdbConfiguration() -> GRDB.Configuration {
        var config = GRDB.Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(StoreRules.seconds(busyTimeout))
        config.maximumReaderCount = max(1, maximumReaderCount)
        let synchronous = durability == .full ? "FULL" : "NORMAL"
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
        }
        return config
    }
}
