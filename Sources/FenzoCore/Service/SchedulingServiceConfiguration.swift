/// When the scheduling service runs its iterations.
public struct SchedulingServiceConfiguration: Sendable, Hashable {
    /// Runs an iteration this often, whether or not anything changed, so lease expiry and
    /// ready-at times are acted on; nil: only on changes (and on `requestIteration()`).
    public var iterationInterval: Duration?
    /// Runs an iteration as soon as something changes (a task submitted or ended, a lease
    /// offered, a host enabled, ...), once the one in flight has finished. Changes that
    /// arrive during an iteration are taken together by the next.
    public var iterateOnChange: Bool

    public init(iterationInterval: Duration? = .seconds(1), iterateOnChange: Bool = true) {
        self.iterationInterval = iterationInterval
        self.iterateOnChange = iterateOnChange
    }

    /// Every reason this configuration cannot be used as it is.
    public func problems() -> [String] {
        guard let interval = iterationInterval, interval <= .zero else { return [] }
        return ["iteration interval must be above zero (got \(interval)); use nil for no periodic iterations"]
    }
}

/// What one iteration of the scheduling service did.
public struct SchedulingIteration: Sendable {
    /// 1 for the service's first iteration, then counting up.
    public var number: Int
    /// When it started, on the service's clock (see `SchedulingService.now`).
    public var startedAt: Instant
    /// How long it took, changes applied included, on the service's clock.
    public var duration: Duration
    /// The scheduler's result: placements by host (launch them on these leases), tasks
    /// not placed and why (the queue's held tasks included), leases expired or rejected.
    public var scheduling: SchedulingResult
    /// Every task placed, with its tier, capacity group and wait.
    public var placements: [QueuedPlacement]
    /// Submitted tasks the queue refused when the change was applied (normally none:
    /// `submit` checks what it can at once).
    public var rejectedTasks: [RejectedTask]
    /// Tasks still queued after the iteration.
    public var queuedTasks: Int
    /// Tasks counted as running after the iteration.
    public var runningTasks: Int
}

/// A submitted task the queue refused, with why.
public struct RejectedTask: Sendable {
    public var task: QueuedTask
    public var error: TaskQueueError
}
