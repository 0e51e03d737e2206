/// When the scheduling service runs its iterations.
public struct SchedulingServiceConfiguration: Sendable, Hashable {
    /// Runs an iteration this often, whether or not anything changed, so lease expiry and
    /// ready-at times are acted on; nil: only on changes (and on `requestIteration()`).
    public var iterationInterval: Duration?
    /// Runs an iteration as soon as something changes (a task submitted or ended, a lease
    /// offered, a host enabled, ...), once the one in flight has finished. Changes that
    /// arrive during an iteration are taken together by the next.
    public var iterateOnChange: Bool
    /// Lets an iteration try only the tasks submitted (or re-timed, or moved) since the
    /// last one, when nothing was added to the fleet since (no lease offered, no task ended,
    /// no host enabled, no queue configuration set) and it is not a periodic or requested
    /// iteration: what did not fit then does not fit now. Keeps iterations short while tasks
    /// pour in and many wait; a task that could fit only beside a task placed since (a
    /// balanced constraint, say) waits for the next full iteration, at the latest the next
    /// periodic one.
    public var incrementalIterations: Bool

    public init(
        iterationInterval: Duration? = .seconds(1),
        iterateOnChange: Bool = true,
        incrementalIterations: Bool = false
    ) {
        self.iterationInterval = iterationInterval
        self.iterateOnChange = iterateOnChange
        self.incrementalIterations = incrementalIterations
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
    /// Whether it tried only tasks no iteration had tried (see
    /// `SchedulingServiceConfiguration.incrementalIterations`); its failures then list only
    /// those, and the other queued tasks keep the reasons they had.
    public var isIncremental: Bool = false
}

/// A submitted task the queue refused, with why.
public struct RejectedTask: Sendable {
    public var task: QueuedTask
    public var error: TaskQueueError
}
