import Foundation
import TitanModel

/// Which runtime runs a task.
public enum RuntimeKind: String, Hashable, Sendable, Codable, CustomStringConvertible {
    /// A Docker container (the launch names an image).
    case docker
    /// A process under a task shim (the launch names only a command).
    case process

    public var description: String { rawValue }
}

/// Everything the agent keeps on disk about one run, in `runs/<taskID>.<attempt>/run.json`.
///
/// Written before the run's first status update, so a launch order carried out once is never
/// carried out again, even after an agent restart; updated when the run starts and when its end
/// has been recorded in the status journal. A run's record outlives the run for the retention
/// period, so a re-sent order for it is recognised.
public struct RunRecord: Hashable, Sendable, Codable {
    public var key: RunKey
    public var launch: LaunchSpec
    public var runtime: RuntimeKind
    /// The run's directory (`<work dir>/runs/<taskID>.<attempt>`).
    public var runDirectory: String
    /// The directory of the run's log files.
    public var logDirectory: String
    /// The secret part of the run's metadata address (`TITAN_METADATA_URL`).
    public var metadataToken: String
    public var acceptedAt: Date
    public var startedAt: Date?
    /// The container, for the Docker runtime.
    public var containerID: String?
    /// The shim and task processes, for the process runtime.
    public var process: ProcessIdentity?
    /// The run's cgroup, when the agent made one (process runtime) or found one (container).
    public var cgroup: TaskCgroup?
    /// Set when a kill was asked for, so an agent restarted mid-kill still reports `killed`.
    public var killReason: String?
    /// The kill's grace period, to carry the kill on after a restart.
    public var killGracePeriodSeconds: Double?
    /// Set once the run's `finished` update is in the status journal.
    public var finish: RecordedFinish?
    /// Whether the run's logs have been handed to the log archive.
    public var logsArchived: Bool
    /// Notes about the run a person should see, such as limits that could not be applied.
    public var notes: [String]

    public init(
        key: RunKey,
        launch: LaunchSpec,
        runtime: RuntimeKind,
        runDirectory: String,
        logDirectory: String,
        metadataToken: String,
        acceptedAt: Date
    ) {
        self.key = key
        self.launch = launch
        self.runtime = runtime
        self.runDirectory = runDirectory
        self.logDirectory = logDirectory
        self.metadataToken = metadataToken
        self.acceptedAt = acceptedAt
        self.startedAt = nil
        self.containerID = nil
        self.process = nil
        self.cgroup = nil
        self.killReason = nil
        self.killGracePeriodSeconds = nil
        self.finish = nil
        self.logsArchived = false
        self.notes = []
    }
}

/// The processes of a run under the process runtime.
public struct ProcessIdentity: Hashable, Sendable, Codable {
    /// The task shim, the task's parent.
    public var shimPID: Int32
    /// The shim's start time in clock ticks since boot (`/proc/<pid>/stat` field 22), so a
    /// recycled pid is not mistaken for the shim after a restart.
    public var shimStartTicks: UInt64
    /// The task's main process, also its process group id.
    public var taskPID: Int32

    public init(shimPID: Int32, shimStartTicks: UInt64, taskPID: Int32) {
        self.shimPID = shimPID
        self.shimStartTicks = shimStartTicks
        self.taskPID = taskPID
    }
}

/// How a run ended, as reported.
public struct RecordedFinish: Hashable, Sendable, Codable {
    public var reason: FinishReason
    public var exitCode: Int?
    public var message: String?
    public var at: Date

    public init(reason: FinishReason, exitCode: Int?, message: String?, at: Date) {
        self.reason = reason
        self.exitCode = exitCode
        self.message = message
        self.at = at
    }
}
