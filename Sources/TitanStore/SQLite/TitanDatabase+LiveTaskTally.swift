import Foundation
import GRDB
import TitanModel

/// Live tasks counted rather than listed, for the fleet status (`GET /v1/status`): how many
/// of each job are in each state on each host, and the waiting ones by pending reason.
///
/// With 100,000 live tasks, listing them (`tasksInStates`) decodes every row; these counts
/// come from three aggregate queries over the live-task index instead.
public struct LiveTaskTally: Hashable, Sendable {
    /// Tasks of one job in one state on one host (no host while waiting).
    public struct Group: Hashable, Sendable {
        public var jobID: JobID
        public var host: HostID?
        public var state: TaskState
        public var count: Int

        public init(jobID: JobID, host: HostID?, state: TaskState, count: Int) {
            self.jobID = jobID
            self.host = host
            self.state = state
            self.count = count
        }
    }

    /// Waiting (`accepted`) tasks that share a pending reason (nil: not tried yet).
    public struct Waiting: Hashable, Sendable {
        public var reason: String?
        public var taskCount: Int
        public var jobCount: Int
        /// The first few, by job and instance index.
        public var examples: [TaskInstanceID]

        public init(reason: String?, taskCount: Int, jobCount: Int, examples: [TaskInstanceID]) {
            self.reason = reason
            self.taskCount = taskCount
            self.jobCount = jobCount
            self.examples = examples
        }
    }

    public var groups: [Group]
    /// Most tasks first.
    public var waiting: [Waiting]

    public init(groups: [Group], waiting: [Waiting]) {
        self.groups = groups
        self.waiting = waiting
    }

    /// The tally of listed tasks, for stores without aggregate queries.
    /// - Parameters:
    ///   - liveTasks: tasks not finished, by job and instance index.
    ///   - exampleLimit: how many example ids each waiting group keeps.
    public init(liveTasks: [TaskRecord], exampleLimit: Int) {
        var counts: [Group: Int] = [:]
        var waiting: [String?: (tasks: Int, jobs: Set<JobID>, examples: [TaskInstanceID])] = [:]
        for task in liveTasks where task.state.isActive {
            counts[Group(jobID: task.jobID, host: task.host, state: task.state, count: 0), default: 0] += 1
            guard task.state == .accepted else { continue }
            var entry = waiting[task.pendingReason] ?? (0, [], [])
            entry.tasks += 1
            entry.jobs.insert(task.jobID)
            if entry.examples.count < exampleLimit { entry.examples.append(task.id) }
            waiting[task.pendingReason] = entry
        }
        self.groups = counts.map { Group(jobID: $0.key.jobID, host: $0.key.host, state: $0.key.state, count: $0.value) }
        self.waiting = waiting.map {
            Waiting(
                reason: $0.key,
                taskCount: $0.value.tasks,
                jobCount: $0.value.jobs.count,
                examples: $0.value.examples
            )
        }
        .sorted { ($1.taskCount, $0.reason ?? "") < ($0.taskCount, $1.reason ?? "") }
    }
}

extension TitanDatabase {
    /// Counts the live tasks in one read (a consistent snapshot).
    /// - Parameters:
    ///   - exampleLimit: how many example ids each waiting group keeps.
    ///   - exampleGroupLimit: how many waiting groups (the largest) get examples.
    public func liveTaskTally(exampleLimit: Int, exampleGroupLimit: Int) async throws -> LiveTaskTally {
        // The live index holds exactly the tasks not finished for good; the first condition
        // lets SQLite use it (it must see that the query implies the index's WHERE).
        let live = "FROM tasks INDEXED BY tasks_live WHERE (state <> 'finished' OR nextRestartAt IS NOT NULL)"
        return try await writer.read { db in
            let groups = try Row.fetchAll(
                db,
                sql:
                    "SELECT jobId, hostId, state, COUNT(*) \(live) AND state <> 'finished' GROUP BY jobId, hostId, state"
            )
            .compactMap { row -> LiveTaskTally.Group? in
                guard let state = TaskState(rawValue: row[2]) else { return nil }
                let host: String? = row[1]
                return LiveTaskTally.Group(
                    jobID: JobID(row[0] as String),
                    host: host.map(HostID.init),
                    state: state,
                    count: row[3]
                )
            }
            var waiting: [LiveTaskTally.Waiting] = []
            let reasons = try Row.fetchAll(
                db,
                sql: """
                    SELECT pendingReason, COUNT(*), COUNT(DISTINCT jobId) \(live) AND state = 'accepted'
                    GROUP BY pendingReason ORDER BY COUNT(*) DESC, pendingReason
                    """
            )
            for (position, row) in reasons.enumerated() {
                let reason: String? = row[0]
                let examples =
                    position >= exampleGroupLimit
                    ? []
                    : try String.fetchAll(
                        db,
                        sql: """
                            SELECT id \(live) AND state = 'accepted' AND pendingReason IS ?
                            ORDER BY jobId, instanceIndex LIMIT ?
                            """,
                        arguments: [reason, exampleLimit]
                    )
                waiting.append(
                    LiveTaskTally.Waiting(
                        reason: reason,
                        taskCount: row[1],
                        jobCount: row[2],
                        examples: examples.map(TaskInstanceID.init)
                    )
                )
            }
            return LiveTaskTally(groups: groups, waiting: waiting)
        }
    }
}
