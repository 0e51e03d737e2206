import FenzoCore

/// A task waiting for a host, with what a queue orders it by.
public struct PlacementTask: Sendable {
    public var request: TaskRequest
    /// The job's tier number: 0 (critical) is placed before 1 (flex).
    public var tier: Int
    /// The capacity group whose share the task uses (issue 5's fair-share queue reads it).
    public var capacityGroup: String

    public init(request: TaskRequest, tier: Int, capacityGroup: String) {
        self.request = request
        self.tier = tier
        self.capacityGroup = capacityGroup
    }
}

/// A run already on a host (found at startup), with what the queue orders it by.
public struct PlacementRun: Sendable {
    public var task: PlacementTask
    public var host: HostName
    public var ports: [Int]

    public init(task: PlacementTask, host: HostName, ports: [Int]) {
        self.task = task
        self.host = host
        self.ports = ports
    }
}

/// What a host can give tasks in all; the scheduling side offers what of it is free.
public struct HostCapacity: Sendable {
    public var name: HostName
    public var resources: Resources
    public var ports: PortRanges
    public var scalars: [String: Double]
    public var attributes: [String: String]

    public init(
        name: HostName,
        resources: Resources,
        ports: PortRanges,
        scalars: [String: Double] = [:],
        attributes: [String: String] = [:]
    ) {
        self.name = name
        self.resources = resources
        self.ports = ports
        self.scalars = scalars
        self.attributes = attributes
    }
}

/// What one scheduling iteration decided, for the control plane to record and act on.
public struct PlacementRound: Sendable {
    /// Tasks placed, with their host and ports; the scheduler already counts them as running.
    public var placements: [FenzoCore.TaskAssignment]
    /// Tasks tried and not placed, with why. An iteration that tried only new tasks (nothing
    /// was added to the fleet since the last) lists only those; the others keep their reasons.
    public var failures: [TaskFailure]
    /// Tasks still waiting to be placed after the iteration, tried or not.
    public var waitingTasks: Int
    /// How long the iteration took.
    public var duration: Duration
    public var statistics: IterationStatistics
    /// Whether the iteration tried every waiting task (false: only those new since the last).
    public var triedEveryTask: Bool

    public init(
        placements: [FenzoCore.TaskAssignment],
        failures: [TaskFailure],
        waitingTasks: Int,
        duration: Duration,
        statistics: IterationStatistics,
        triedEveryTask: Bool = true
    ) {
        self.placements = placements
        self.failures = failures
        self.waitingTasks = waitingTasks
        self.duration = duration
        self.statistics = statistics
        self.triedEveryTask = triedEveryTask
    }
}

/// The one seam between the control plane and the scheduling service.
///
/// Everything titan-api asks of scheduling goes through these operations; ``ServicePlacement``
/// implements them on FenzoCore's `SchedulingService` and plays the offer source for agent
/// hosts. Tests and other offer sources (Mesos) can conform too.
public protocol PlacementScheduling: Sendable {
    /// Queues tasks for placement. A task already queued under the same id is replaced.
    func submit(_ tasks: [PlacementTask]) async
    /// Removes queued (not yet placed) tasks; unknown ids are ignored.
    func withdraw(_ ids: [TaskID]) async
    /// Removes every queued task of a group (a killed job).
    func withdrawGroup(_ group: TaskGroup) async
    /// The ids of every queued task, for reconciliation.
    func queuedTaskIDs() async -> Set<TaskID>
    /// A host that takes tasks (registered, back up, enabled): offer its free resources.
    func setHost(_ host: HostCapacity) async
    /// A host that takes no new tasks (lost, disabled): withdraw its offer. Its running tasks
    /// stay counted until ``runsEnded(_:)``.
    func removeHost(_ name: HostName) async
    /// A host that left the fleet for good (the autoscaler removed it): withdraw its offer and
    /// forget it, so it no longer counts towards its group.
    func forgetHost(_ name: HostName) async
    /// Runs `body` on the scheduler between iterations (the autoscaler evaluates, drains and
    /// re-enables hosts there), with the current time on the scheduler's clock.
    func updateScheduler<Value: Sendable>(
        _ body: @Sendable (_ scheduler: inout TaskScheduler, _ now: Instant) -> Value
    ) async -> Value
    /// Runs known to be on hosts (found at startup): they count against their host.
    func addRunning(_ runs: [PlacementRun]) async
    /// Runs that ended or were never launched: their resources are free again.
    func runsEnded(_ ids: [TaskID]) async
    /// Iteration results, in order. One consumer.
    var rounds: AsyncStream<PlacementRound> { get }
    /// Stops and restarts iterations (tasks and hosts are still taken while paused).
    func pause() async
    func resume() async
    /// Iterates until the calling task is cancelled: as soon as something changed, and at
    /// least every scheduling interval.
    func run() async
}
