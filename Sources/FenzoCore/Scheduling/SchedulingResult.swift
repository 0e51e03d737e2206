/// What one scheduling iteration decided.
public struct SchedulingResult: Sendable {
    /// One entry per host given tasks, in the order hosts were first chosen.
    public var assignments: [HostAssignment]
    /// Every task that could not be placed, with the reasons, in the order tried.
    public var failures: [TaskFailure]
    /// Leases unused for longer than the expiry, handed back to their source.
    public var expiredLeases: [Lease]
    /// Leases passed in that could not be accepted, with why.
    public var rejectedLeases: [RejectedLease]
    /// Set when the iteration was abandoned (a custom constraint threw): nothing was
    /// assigned and every task tried is in `failures`.
    public var error: SchedulingError?
    /// How the iteration went, for metrics.
    public var statistics: IterationStatistics

    public init(
        assignments: [HostAssignment] = [],
        failures: [TaskFailure] = [],
        expiredLeases: [Lease] = [],
        rejectedLeases: [RejectedLease] = [],
        error: SchedulingError? = nil,
        statistics: IterationStatistics = IterationStatistics()
    ) {
        self.assignments = assignments
        self.failures = failures
        self.expiredLeases = expiredLeases
        self.rejectedLeases = rejectedLeases
        self.error = error
        self.statistics = statistics
    }

    /// Every task placed, host by host.
    public var placedTasks: [TaskAssignment] { assignments.flatMap(\.tasks) }
}

/// The tasks placed on one host in one iteration and the leases they used.
public struct HostAssignment: Sendable {
    public var hostname: HostName
    /// The leases consumed: accept these with the offer source and launch the tasks on
    /// them. What the tasks leave unused must be offered again.
    public var leases: [Lease]
    public var tasks: [TaskAssignment]
    /// What the consumed leases offered beyond what the tasks took, so a caller that
    /// plays offer source can offer it again.
    public var unused: Resources
    public var unusedPorts: PortRanges
    public var unusedScalars: [String: Double]
}

/// One task placed on a host.
public struct TaskAssignment: Sendable {
    public var request: TaskRequest
    public var hostname: HostName
    /// The concrete host ports given, as many as the task asked for.
    public var ports: [Int]
    /// The resource-set slots given, one per ask.
    public var resourceSets: [ResourceSetAllocation]
    /// The host's combined score (fitness and soft constraints) when it was chosen.
    public var score: Double

    public var taskID: TaskID { request.id }
}

/// A task that could not be placed, and why.
public struct TaskFailure: Sendable {
    public var request: TaskRequest
    public var reasons: [FailureReason]

    public init(request: TaskRequest, reasons: [FailureReason]) {
        self.request = request
        self.reasons = reasons
    }

    public var taskID: TaskID { request.id }

    /// Whether more hosts like the ones known would let the task be placed: some reason
    /// is a shortage of resources and none is a constraint or bad input. Disabled hosts
    /// (draining, say) do not change that: they are not coming back for this task.
    public var isResourceShortfall: Bool {
        reasons.contains(where: \.isResourceShortage)
            && reasons.allSatisfy {
                if case .hostsDisabled = $0 { return true }
                return $0.isResourceShortage
            }
    }
}

/// A lease that could not be accepted.
public struct RejectedLease: Sendable {
    public var lease: Lease
    public var error: SchedulingError
}

/// Counters from one iteration.
public struct IterationStatistics: Sendable, Hashable {
    public var tasksTried = 0
    public var tasksPlaced = 0
    public var tasksFailed = 0
    /// Hosts looked at, summed over tasks: how much searching the iteration did.
    public var hostsEvaluated = 0
    /// Hosts that could take tasks when the iteration started.
    public var hostsAvailable = 0

    public init() {}
}
