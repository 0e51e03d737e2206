/// Every knob of the scheduler, named, documented and defaulted.
public struct SchedulerConfiguration: Sendable {
    /// Scores candidate hosts. Fenzo's default, the cpu+memory bin packer, keeps hosts
    /// full so others empty out and can be given back.
    public var fitness: any FitnessCalculator

    /// A host whose combined score reaches this is taken at once, without looking for a
    /// better one. 1 looks for the best host; lower values trade placement quality for
    /// speed on exhaustive searches.
    public var fitnessGoodEnough: Double

    /// How much soft constraints weigh against fitness, in 0...1. A host's score is
    /// `(1 - w) × fitness + w × soft`, where `soft` is the mean score of the task's soft
    /// constraints. At the default 0.5 a host that satisfies every soft constraint beats
    /// any host that breaks one, and fitness decides among equals.
    public var softConstraintWeight: Double

    /// How long a lease may go unused before it is handed back; nil keeps leases until
    /// they are used or rescinded.
    public var leaseExpiry: Duration?

    /// At most this many hosts have their expired leases handed back per iteration, so
    /// an offer source is not flooded; `TaskScheduler.expireAllLeases()` hands back all.
    public var maxHostsToExpirePerIteration: Int

    /// The order in which an iteration tries the tasks it is given as an array.
    public var placementOrder: PlacementOrder

    /// Fleets with more hosts than this are scored on every core when the fitness
    /// calculator needs an exhaustive search.
    public var parallelScanThreshold: Int

    public init(
        fitness: any FitnessCalculator = BinPackingFitness.cpuMemory,
        fitnessGoodEnough: Double = 1.0,
        softConstraintWeight: Double = 0.5,
        leaseExpiry: Duration? = .seconds(120),
        maxHostsToExpirePerIteration: Int = 4,
        placementOrder: PlacementOrder = .asGiven,
        parallelScanThreshold: Int = 2048
    ) {
        self.fitness = fitness
        self.fitnessGoodEnough = fitnessGoodEnough
        self.softConstraintWeight = softConstraintWeight
        self.leaseExpiry = leaseExpiry
        self.maxHostsToExpirePerIteration = maxHostsToExpirePerIteration
        self.placementOrder = placementOrder
        self.parallelScanThreshold = parallelScanThreshold
    }
}

/// The order in which an iteration tries the tasks it is given.
public enum PlacementOrder: Sendable, Hashable {
    /// As given: queue order decides who gets scarce capacity.
    case asGiven
    /// Largest first, by the task's largest share of an average host's cpus or memory
    /// (first-fit decreasing): big tasks find room before small ones fragment it,
    /// which packs batches onto fewer hosts. Ties keep their given order.
    case largestFirst
    /// Fills one host at a time instead of placing one task at a time: partly used
    /// hosts first (fullest first), then empty ones, each given, again and again, the
    /// task that leaves its free cpu and memory smallest (weighing each by how much of
    /// it the tasks need in all), until no task fits it. Matching tasks to what a host
    /// has left packs batches far tighter than any per-task rule; tasks that fit no
    /// host this way are then tried one by one with the fitness calculator. Only for
    /// `schedule(_:newLeases:at:)`: a task source is always taken in its own order.
    case hostByHost
}
