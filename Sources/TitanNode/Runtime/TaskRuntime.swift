import Foundation
import TitanModel

/// Everything a runtime needs to start one run.
public struct RunDescriptor: Sendable {
    public var key: RunKey
    public var launch: LaunchSpec
    /// The full environment: the job's variables and Titan's (`TITAN_TASK_ID`, …).
    public var environment: [String: String]
    /// The run's directory under the agent's work directory (the process runtime keeps the
    /// shim's files and the task's working directory there).
    public var runDirectory: String
    /// Where the run's `stdout` and `stderr` files go.
    public var logDirectory: String
    /// The host directory the task may write its own log files into.
    public var taskFilesDirectory: String
    /// The secret of the run's metadata address, kept in a container label for recovery.
    public var metadataToken: String

    public init(
        key: RunKey,
        launch: LaunchSpec,
        environment: [String: String],
        runDirectory: String,
        logDirectory: String,
        taskFilesDirectory: String,
        metadataToken: String
    ) {
        self.key = key
        self.launch = launch
        self.environment = environment
        self.runDirectory = runDirectory
        self.logDirectory = logDirectory
        self.taskFilesDirectory = taskFilesDirectory
        self.metadataToken = metadataToken
    }
}

/// What a runtime reports once a run is running; the supervisor copies it into the run record.
public struct StartedRun: Hashable, Sendable {
    public var containerID: String?
    public var process: ProcessIdentity?
    public var cgroup: TaskCgroup?
    public var startedAt: Date
    /// Things a person should know about the run, such as limits that could not be applied.
    public var notes: [String]

    public init(
        containerID: String? = nil,
        process: ProcessIdentity? = nil,
        cgroup: TaskCgroup? = nil,
        startedAt: Date,
        notes: [String] = []
    ) {
        self.containerID = containerID
        self.process = process
        self.cgroup = cgroup
        self.startedAt = startedAt
        self.notes = notes
    }
}

/// Why a run could not be started, in words for the task's status.
public struct RunStartFailure: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// What a runtime finds of a recorded run after an agent restart.
public enum RunPresence: Sendable {
    /// Still running; the start details as found.
    case running(StartedRun)
    /// It ended while the agent was away.
    case exited(RunExit)
    /// Nothing of it is left (or it never got started); the reason says what was looked for.
    case missing(reason: String)
}

/// Runs tasks: Docker containers or processes. One value per kind, shared by all runs.
///
/// A run is identified to the runtime by its ``RunRecord`` (which holds the container id or
/// process ids the runtime returned from ``start(_:)``), so a runtime needs no state of its own
/// to pick a run up again after an agent restart.
public protocol TaskRuntime: Sendable {
    var kind: RuntimeKind { get }

    /// Starts a run and returns once it is running.
    func start(_ run: RunDescriptor) async throws(RunStartFailure) -> StartedRun

    /// Waits until the run ends and says how. Cancelling the calling task stops the wait.
    func waitForExit(_ record: RunRecord) async -> RunExit

    /// Asks the run to stop: SIGTERM, then SIGKILL once the grace period has passed. Returns
    /// when it has stopped (or the runtime has done all it can).
    func stop(_ record: RunRecord, gracePeriod: Duration) async

    /// Whether the agent copies runs' output (``captureOutput(_:logDirectory:)``); the process
    /// runtime's shim writes the files itself.
    var capturesOutput: Bool { get }

    /// Copies the run's output into its log files; returns once the run has ended and its output
    /// is all written (or it cannot be captured at all, or the task is cancelled).
    func captureOutput(_ record: RunRecord, logDirectory: String) async

    /// Frees what the run held once it has ended and been reported: the container, the cgroup.
    func release(_ record: RunRecord) async

    /// The run's resource use so far, nil when it cannot be read.
    func usage(_ record: RunRecord) async -> CgroupUsage?

    /// Finds a recorded run again after an agent restart.
    func locate(_ record: RunRecord) async -> RunPresence

    /// Runs of this agent the runtime holds but the agent has no record of (a record lost with
    /// its directory); returned as reconstructed records to adopt.
    func unrecordedRuns(known: Set<RunKey>) async -> [RunRecord]

    /// Background work the runtime needs while the agent runs (the Docker event stream);
    /// returns when cancelled.
    func run() async
}
