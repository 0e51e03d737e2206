import Foundation

// The bodies of the agent protocol (Docs/agent-protocol.md), shared by titan-api and
// titan-agent so the two sides cannot drift apart. Encode and decode them with
// `TitanJSON.encoder()` / `decoder()` (RFC 3339 dates with milliseconds).

/// `POST /v1/agents/register`: who the agent is, what its host has, what it still runs.
public struct AgentRegistration: Hashable, Codable, Sendable {
    /// The hostname the scheduler knows the host by.
    public var agentID: HostID
    /// Where the agent serves task logs and its metrics, such as `http://10.0.3.17:7070`.
    public var address: String
    public var agentVersion: String
    /// The host's whole capacity for tasks, not what is free.
    public var resources: HostResources
    public var attributes: [String: String]
    /// Every run the agent still has, found again after a restart.
    public var runningTasks: [AgentTaskReport]

    public init(
        agentID: HostID,
        address: String,
        agentVersion: String,
        resources: HostResources,
        attributes: [String: String],
        runningTasks: [AgentTaskReport]
    ) {
        self.agentID = agentID
        self.address = address
        self.agentVersion = agentVersion
        self.resources = resources
        self.attributes = attributes
        self.runningTasks = runningTasks
    }
}

/// One run an agent has, as it reports it in registration and heartbeats.
public struct AgentTaskReport: Hashable, Codable, Sendable {
    public var taskID: TaskInstanceID
    public var attempt: Int
    /// `startInitiated` or `started`.
    public var state: TaskState
    public var ports: [Int]
    public var startedAt: Date?

    public init(taskID: TaskInstanceID, attempt: Int, state: TaskState, ports: [Int] = [], startedAt: Date? = nil) {
        self.taskID = taskID
        self.attempt = attempt
        self.state = state
        self.ports = ports
        self.startedAt = startedAt
    }
}

/// The API's answer to a registration or heartbeat.
public struct AgentDirectives: Hashable, Codable, Sendable {
    public var heartbeatIntervalSeconds: Double
    /// Heartbeats missing this long mark the host lost.
    public var lostAfterSeconds: Double
    /// Runs the API does not want: kill them and report them finished.
    public var kill: [AgentKillDirective]

    public init(heartbeatIntervalSeconds: Double, lostAfterSeconds: Double, kill: [AgentKillDirective] = []) {
        self.heartbeatIntervalSeconds = heartbeatIntervalSeconds
        self.lostAfterSeconds = lostAfterSeconds
        self.kill = kill
    }
}

/// A run to kill, with why.
public struct AgentKillDirective: Hashable, Codable, Sendable {
    public var taskID: TaskInstanceID
    public var attempt: Int
    public var reason: String

    public init(taskID: TaskInstanceID, attempt: Int, reason: String) {
        self.taskID = taskID
        self.attempt = attempt
        self.reason = reason
    }
}

/// `POST /v1/agents/{id}/heartbeat`.
public struct AgentHeartbeat: Hashable, Codable, Sendable {
    public var runningTasks: [AgentTaskReport]

    public init(runningTasks: [AgentTaskReport]) { self.runningTasks = runningTasks }
}

/// `GET /v1/agents/{id}/orders`: what to do, in sequence order.
public struct AgentOrders: Hashable, Codable, Sendable {
    public var orders: [AgentOrder]

    public init(orders: [AgentOrder]) { self.orders = orders }
}

/// One order to an agent. Acknowledged by asking for orders after its `seq`.
public struct AgentOrder: Hashable, Codable, Sendable {
    public enum Kind: String, Hashable, Codable, Sendable {
        case launch
        case kill
    }

    public var seq: Int64
    public var kind: Kind
    public var taskID: TaskInstanceID
    public var attempt: Int
    /// Set when `kind` is `launch`.
    public var launch: LaunchSpec?
    /// Set when `kind` is `kill`.
    public var kill: KillSpec?

    public init(seq: Int64, taskID: TaskInstanceID, attempt: Int, launch: LaunchSpec) {
        self.seq = seq
        self.kind = .launch
        self.taskID = taskID
        self.attempt = attempt
        self.launch = launch
        self.kill = nil
    }

    public init(seq: Int64, taskID: TaskInstanceID, attempt: Int, kill: KillSpec) {
        self.seq = seq
        self.kind = .kill
        self.taskID = taskID
        self.attempt = attempt
        self.launch = nil
        self.kill = kill
    }
}

/// Everything an agent needs to start a run.
public struct LaunchSpec: Hashable, Codable, Sendable {
    public var jobID: JobID
    public var jobName: String
    /// A Docker image to run; nil runs `command` as a process on the host.
    public var image: String?
    /// An argv list run directly by the process runtime; with `image`, the container's
    /// command instead of the image's default.
    public var command: [String]?
    public var environment: [String: String]
    public var cpus: Double
    public var memoryMB: Int
    public var diskGB: Int
    public var networkMbps: Int
    /// The host ports assigned to the run.
    public var ports: [Int]
    /// For simulated or demo work: how long the run lasts; nil runs until it exits.
    public var durationSeconds: Double?
    public var labels: [String: String]

    public init(
        jobID: JobID,
        jobName: String,
        image: String?,
        command: [String]?,
        environment: [String: String],
        cpus: Double,
        memoryMB: Int,
        diskGB: Int,
        networkMbps: Int,
        ports: [Int],
        durationSeconds: Double?,
        labels: [String: String]
    ) {
        self.jobID = jobID
        self.jobName = jobName
        self.image = image
        self.command = command
        self.environment = environment
        self.cpus = cpus
        self.memoryMB = memoryMB
        self.diskGB = diskGB
        self.networkMbps = networkMbps
        self.ports = ports
        self.durationSeconds = durationSeconds
        self.labels = labels
    }
}

/// How to stop a run.
public struct KillSpec: Hashable, Codable, Sendable {
    /// SIGTERM first, SIGKILL after this long.
    public var gracePeriodSeconds: Double
    public var reason: String

    public init(gracePeriodSeconds: Double, reason: String) {
        self.gracePeriodSeconds = gracePeriodSeconds
        self.reason = reason
    }
}

/// `POST /v1/agents/{id}/status`: what happened to runs, in the order it happened.
public struct AgentStatusBatch: Hashable, Codable, Sendable {
    public var updates: [AgentStatusUpdate]

    public init(updates: [AgentStatusUpdate]) { self.updates = updates }
}

/// One thing that happened to a run.
public struct AgentStatusUpdate: Hashable, Codable, Sendable {
    public var taskID: TaskInstanceID
    public var attempt: Int
    /// `startInitiated`, `started` or `finished`.
    public var state: TaskState
    /// Set when `state` is `finished`.
    public var reason: FinishReason?
    public var exitCode: Int?
    public var message: String?
    public var at: Date

    public init(
        taskID: TaskInstanceID,
        attempt: Int,
        state: TaskState,
        reason: FinishReason? = nil,
        exitCode: Int? = nil,
        message: String? = nil,
        at: Date
    ) {
        self.taskID = taskID
        self.attempt = attempt
        self.state = state
        self.reason = reason
        self.exitCode = exitCode
        self.message = message
        self.at = at
    }
}

/// The answer to a status batch.
public struct AgentStatusAck: Hashable, Codable, Sendable {
    public var accepted: Int

    public init(accepted: Int) { self.accepted = accepted }
}

/// `POST /v1/agents/{id}/usage`: resource use of running tasks.
public struct AgentUsageReport: Hashable, Codable, Sendable {
    public var at: Date
    public var tasks: [TaskUsage]

    public init(at: Date, tasks: [TaskUsage]) {
        self.at = at
        self.tasks = tasks
    }
}

/// One run's resource use at a moment.
public struct TaskUsage: Hashable, Codable, Sendable {
    public var taskID: TaskInstanceID
    public var attempt: Int
    /// Cpu time used since the run started.
    public var cpuSeconds: Double
    /// Cpu use over the last interval, in percent of one cpu.
    public var cpuPercent: Double
    public var memoryBytes: Int64

    public init(taskID: TaskInstanceID, attempt: Int, cpuSeconds: Double, cpuPercent: Double, memoryBytes: Int64) {
        self.taskID = taskID
        self.attempt = attempt
        self.cpuSeconds = cpuSeconds
        self.cpuPercent = cpuPercent
        self.memoryBytes = memoryBytes
    }
}
