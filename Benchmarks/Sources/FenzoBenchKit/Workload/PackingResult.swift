/// What a strategy made of a workload, in the v1 result format: where each task went and
/// when, or why it could not be placed.
public struct PackingResult: Codable, Sendable {
    public var workload: String
    public var strategy: String
    public var assignments: [ResultAssignment]
    public var failures: [ResultFailure]
    public var stats: RunStatistics

    public init(
        workload: String,
        strategy: String,
        assignments: [ResultAssignment],
        failures: [ResultFailure],
        stats: RunStatistics
    ) {
        self.workload = workload
        self.strategy = strategy
        self.assignments = assignments
        self.failures = failures
        self.stats = stats
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        workload = try container.decodeIfPresent(String.self, forKey: .workload) ?? ""
        strategy = try container.decodeIfPresent(String.self, forKey: .strategy) ?? ""
        assignments = try container.decodeIfPresent([ResultAssignment].self, forKey: .assignments) ?? []
        failures = try container.decodeIfPresent([ResultFailure].self, forKey: .failures) ?? []
        stats = try container.decodeIfPresent(RunStatistics.self, forKey: .stats) ?? RunStatistics()
    }
}

/// One task placed: on which host, with which ports, at what workload time.
public struct ResultAssignment: Codable, Sendable, Hashable {
    public var task: String
    public var host: String
    public var ports: [Int]
    /// Workload time of the placement; nil means the task's submit time.
    public var at: Double?

    public init(task: String, host: String, ports: [Int] = [], at: Double? = nil) {
        self.task = task
        self.host = host
        self.ports = ports
        self.at = at
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        task = try container.decode(String.self, forKey: .task)
        host = try container.decode(String.self, forKey: .host)
        ports = try container.decodeIfPresent([Int].self, forKey: .ports) ?? []
        at = try container.decodeIfPresent(Double.self, forKey: .at)
    }
}

/// One task that could not be placed, with the reasons in words.
public struct ResultFailure: Codable, Sendable, Hashable {
    public var task: String
    public var reasons: [String]

    public init(task: String, reasons: [String]) {
        self.task = task
        self.reasons = reasons
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        task = try container.decode(String.self, forKey: .task)
        reasons = try container.decodeIfPresent([String].self, forKey: .reasons) ?? []
    }
}

/// How the run went: the scheduler's time, not the validator's figures.
public struct RunStatistics: Codable, Sendable, Hashable {
    /// Scheduling rounds run (iterations; phased strategies run several FenzoCore
    /// iterations in a round).
    public var iterations: Int
    /// FenzoCore `schedule` calls made.
    public var schedulerCalls: Int?
    /// Time spent inside FenzoCore's scheduling iterations, summed.
    public var schedulingSeconds: Double
    /// Tasks placed per second of scheduling time.
    public var placementsPerSecond: Double?
    /// Round wall time percentiles, over the rounds that had tasks to place.
    public var iterationSecondsP50: Double?
    public var iterationSecondsP99: Double?
    public var iterationSecondsMax: Double?
    /// The process's peak resident memory (VmHWM), after the run.
    public var peakRSSMB: Double?
    /// Seconds of workload time between iterations, for timed workloads.
    public var intervalS: Double?

    public init(
        iterations: Int = 0,
        schedulerCalls: Int? = nil,
        schedulingSeconds: Double = 0,
        placementsPerSecond: Double? = nil,
        iterationSecondsP50: Double? = nil,
        iterationSecondsP99: Double? = nil,
        iterationSecondsMax: Double? = nil,
        peakRSSMB: Double? = nil,
        intervalS: Double? = nil
    ) {
        self.iterations = iterations
        self.schedulerCalls = schedulerCalls
        self.schedulingSeconds = schedulingSeconds
        self.placementsPerSecond = placementsPerSecond
        self.iterationSecondsP50 = iterationSecondsP50
        self.iterationSecondsP99 = iterationSecondsP99
        self.iterationSecondsMax = iterationSecondsMax
        self.peakRSSMB = peakRSSMB
        self.intervalS = intervalS
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        iterations = try container.decodeIfPresent(Int.self, forKey: .iterations) ?? 0
        schedulerCalls = try container.decodeIfPresent(Int.self, forKey: .schedulerCalls)
        schedulingSeconds = try container.decodeIfPresent(Double.self, forKey: .schedulingSeconds) ?? 0
        placementsPerSecond = try container.decodeIfPresent(Double.self, forKey: .placementsPerSecond)
        iterationSecondsP50 = try container.decodeIfPresent(Double.self, forKey: .iterationSecondsP50)
        iterationSecondsP99 = try container.decodeIfPresent(Double.self, forKey: .iterationSecondsP99)
        iterationSecondsMax = try container.decodeIfPresent(Double.self, forKey: .iterationSecondsMax)
        peakRSSMB = try container.decodeIfPresent(Double.self, forKey: .peakRSSMB)
        intervalS = try container.decodeIfPresent(Double.self, forKey: .intervalS)
    }
}
