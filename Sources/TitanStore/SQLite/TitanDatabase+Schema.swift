import GRDB

extension TitanDatabase {
    /// The schema, one named migration per change; never edit a migration once released,
    /// add a new one.
    ///
    /// Times are INTEGER milliseconds since 1970; JSON columns hold what a query never filters
    /// on. Tables are STRICT, so a wrong type is an error, not a silent conversion.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: jobs") { db in
            try db.execute(
                sql: """
                    CREATE TABLE jobs (
                        id TEXT NOT NULL PRIMARY KEY,
                        name TEXT NOT NULL,
                        applicationName TEXT NOT NULL,
                        version TEXT NOT NULL,
                        kind TEXT NOT NULL CHECK (kind IN ('service', 'batch')),
                        tier INTEGER NOT NULL,
                        capacityGroup TEXT NOT NULL,
                        status TEXT NOT NULL CHECK (status IN ('active', 'killing', 'succeeded', 'failed', 'killed')),
                        desiredInstances INTEGER NOT NULL CHECK (desiredInstances >= 0),
                        nextInstanceIndex INTEGER NOT NULL CHECK (nextInstanceIndex >= 0),
                        spec TEXT NOT NULL,
                        clientToken TEXT UNIQUE,
                        createdAt INTEGER NOT NULL,
                        updatedAt INTEGER NOT NULL
                    ) STRICT;
                    -- Keyset paging, alone or after an equality filter.
                    CREATE INDEX jobs_by_creation ON jobs(createdAt, id);
                    CREATE INDEX jobs_by_status ON jobs(status, createdAt, id);
                    CREATE INDEX jobs_by_name ON jobs(name, createdAt, id);
                    """
            )
        }
        migrator.registerMigration("v1: tasks") { db in
            // Clustered by (jobId, instanceIndex): a job's tasks are one range of the table, so
            // listing 10,000 of them reads consecutive pages.
            try db.execute(
                sql: """
                    CREATE TABLE tasks (
                        jobId TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                        instanceIndex INTEGER NOT NULL CHECK (instanceIndex >= 0),
                        id TEXT NOT NULL,
                        cell TEXT NOT NULL,
                        attempt INTEGER NOT NULL CHECK (attempt >= 0),
                        retriesUsed INTEGER NOT NULL CHECK (retriesUsed >= 0),
                        state TEXT NOT NULL CHECK (state IN
                            ('accepted', 'launched', 'startInitiated', 'started', 'killInitiated', 'finished')),
                        finishReason TEXT CHECK (finishReason IN ('succeeded', 'failed', 'oomKilled', 'killed', 'lost')),
                        hostId TEXT,
                        ports TEXT NOT NULL,
                        resourceSets TEXT NOT NULL,
                        exitCode INTEGER,
                        pendingReason TEXT,
                        message TEXT,
                        killRequested INTEGER NOT NULL,
                        isDesired INTEGER NOT NULL,
                        createdAt INTEGER NOT NULL,
                        updatedAt INTEGER NOT NULL,
                        launchedAt INTEGER,
                        startedAt INTEGER,
                        finishedAt INTEGER,
                        nextRestartAt INTEGER,
                        PRIMARY KEY (jobId, instanceIndex),
                        CHECK ((state = 'finished') = (finishReason IS NOT NULL)),
                        CHECK (nextRestartAt IS NULL OR state = 'finished')
                    ) STRICT, WITHOUT ROWID;
                    -- Tasks not finished for good, by job: "is anything of this job still live?", and
                    -- every task that may still run, for startup and reconciliation. A task is found
                    -- by id through the primary key: the id is "<jobId>-<instanceIndex>".
                    CREATE INDEX tasks_live ON tasks(jobId) WHERE state <> 'finished' OR nextRestartAt IS NOT NULL;
                    CREATE INDEX tasks_restart_due ON tasks(nextRestartAt) WHERE nextRestartAt IS NOT NULL;
                    CREATE INDEX tasks_by_host ON tasks(hostId) WHERE hostId IS NOT NULL;
                    """
            )
        }
        migrator.registerMigration("v1: task transitions") { db in
            try db.execute(
                sql: """
                    CREATE TABLE task_transitions (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        jobId TEXT NOT NULL,
                        instanceIndex INTEGER NOT NULL,
                        attempt INTEGER NOT NULL,
                        fromState TEXT NOT NULL,
                        toState TEXT NOT NULL,
                        finishReason TEXT,
                        at INTEGER NOT NULL,
                        message TEXT,
                        FOREIGN KEY (jobId, instanceIndex) REFERENCES tasks(jobId, instanceIndex) ON DELETE CASCADE
                    ) STRICT;
                    CREATE INDEX task_transitions_by_task ON task_transitions(jobId, instanceIndex, id);
                    """
            )
        }
        migrator.registerMigration("v1: hosts") { db in
            try db.execute(
                sql: """
                    CREATE TABLE hosts (
                        id TEXT NOT NULL PRIMARY KEY,
                        address TEXT NOT NULL,
                        resources TEXT NOT NULL,
                        attributes TEXT NOT NULL,
                        state TEXT NOT NULL CHECK (state IN ('up', 'down')),
                        disabledUntil INTEGER,
                        lastHeartbeatAt INTEGER,
                        registeredAt INTEGER NOT NULL,
                        updatedAt INTEGER NOT NULL
                    ) STRICT;
                    """
            )
        }
        migrator.registerMigration("v1: events") { db in
            // AUTOINCREMENT: ids only grow, even after old events are deleted, so a stream
            // resumed "after id N" never misses or repeats one.
            try db.execute(
                sql: """
                    CREATE TABLE events (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        at INTEGER NOT NULL,
                        kind TEXT NOT NULL,
                        jobId TEXT,
                        taskId TEXT,
                        message TEXT NOT NULL
                    ) STRICT;
                    CREATE INDEX events_by_job ON events(jobId, id) WHERE jobId IS NOT NULL;
                    """
            )
        }
        migrator.registerMigration("v1: leader lease") { db in
            try db.execute(
                sql: """
                    CREATE TABLE leader_lease (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        holder TEXT NOT NULL,
                        term INTEGER NOT NULL CHECK (term >= 1),
                        acquiredAt INTEGER NOT NULL,
                        expiresAt INTEGER NOT NULL
                    ) STRICT;
                    """
            )
        }
        migrator.registerMigration("v2: agent orders") { db in
            // Orders wait here until their agent acknowledges them, so a launch decided before a
            // crash is still delivered after it, exactly once per (task, attempt). AUTOINCREMENT:
            // sequence numbers never go back, also after the acknowledged rows are deleted.
            try db.execute(
                sql: """
                    CREATE TABLE agent_orders (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        hostId TEXT NOT NULL,
                        kind TEXT NOT NULL CHECK (kind IN ('launch', 'kill')),
                        taskId TEXT NOT NULL,
                        attempt INTEGER NOT NULL CHECK (attempt >= 0),
                        gracePeriodMs INTEGER,
                        reason TEXT,
                        createdAt INTEGER NOT NULL
                    ) STRICT;
                    CREATE INDEX agent_orders_by_host ON agent_orders(hostId, seq);
                    """
            )
        }
        return migrator
    }
}
