import FenzoCore

/// A named way to pack: a FenzoCore configuration (fitness calculator, placement order,
/// good-enough threshold) and whether tasks keep their soft constraints.
public struct PackingStrategy: Sendable {
    /// The name `--strategy` takes.
    public var name: String
    /// What it does, for `--list-strategies` and the report.
    public var summary: String
    public var configuration: SchedulerConfiguration
    /// False: soft constraints are dropped from the tasks (hard ones always hold).
    public var usesSoftConstraints: Bool
    /// The tasks of a round go to FenzoCore in these phases, one iteration each, in order;
    /// a task goes in the first phase it matches. One `.rest` phase: one iteration.
    public var phases: [TaskPhase]

    public init(
        name: String,
        summary: String,
        configuration: SchedulerConfiguration,
        usesSoftConstraints: Bool = true,
        phases: [TaskPhase] = [.rest]
    ) {
        self.name = name
        self.summary = summary
        self.configuration = configuration
        self.usesSoftConstraints = usesSoftConstraints
        self.phases = phases
    }

    /// The phase of each task of the workload (indices into `phases`).
    func phases(of tasks: [WorkloadTask]) -> [Int] {
        guard phases.count > 1 else { return Array(repeating: 0, count: tasks.count) }
        return tasks.map { task in phases.firstIndex { $0.matches(task) } ?? phases.count - 1 }
    }

    /// The strategy with soft constraints dropped, named `NAME-noSoft`.
    public var withoutSoftConstraints: PackingStrategy {
        var copy = self
        copy.name = name + PackingStrategy.noSoftSuffix
        copy.summary = summary + " Soft constraints ignored."
        copy.usesSoftConstraints = false
        return copy
    }

    static let noSoftSuffix = "-noSoft"

    private static func configured(
        _ fitness: any FitnessCalculator,
        order: PlacementOrder = .asGiven,
        goodEnough: Double = 1
    ) -> SchedulerConfiguration {
        SchedulerConfiguration(fitness: fitness, fitnessGoodEnough: goodEnough, leaseExpiry: nil, placementOrder: order)
    }

    /// The strategy we recommend (see Docs/benchmarks.md for the measurements behind it).
    public static let recommendedName = "hostByHost"

    /// Every strategy with soft constraints, in report order; `NAME-noSoft` variants and
    /// `default` are found by `named(_:)`.
    public static let all: [PackingStrategy] = [
        PackingStrategy(
            name: "firstFit",
            summary: "First fit: each task, in queue order, goes to the first host (in fleet order) that fits.",
            configuration: configured(FirstFitFitness())
        ),
        PackingStrategy(
            name: "bestFitCpu",
            summary: "Best fit on cpu: the host left with the least free cpu (Fenzo's cpu bin packer).",
            configuration: configured(BinPackingFitness.cpu)
        ),
        PackingStrategy(
            name: "bestFitMemory",
            summary: "Best fit on memory: the host left with the least free memory.",
            configuration: configured(BinPackingFitness.memory)
        ),
        PackingStrategy(
            name: "bestFitCpuMemory",
            summary: "Best fit on cpu and memory weighed equally: Fenzo's default bin packer, task by task.",
            configuration: configured(BinPackingFitness.cpuMemory)
        ),
        PackingStrategy(
            name: "bestFitCpuMemoryNetwork",
            summary: "Best fit on cpu, memory and network weighed equally.",
            configuration: configured(BinPackingFitness.cpuMemoryNetwork)
        ),
        PackingStrategy(
            name: "spread",
            summary: "Spread (least allocated): the host left with the most free cpu and memory.",
            configuration: configured(SpreadingFitness.cpuMemory)
        ),
        PackingStrategy(
            name: "alignment",
            summary: "Alignment (Tetris): the host whose free cpu/memory/network vector points most "
                + "the way the task's demand does; every fitting host is scored.",
            configuration: configured(AlignmentFitness())
        ),
        PackingStrategy(
            name: "random",
            summary: "Random: a seeded hash of task and host scores each host; the first scoring 0.99 or "
                + "more is taken (deterministic).",
            configuration: configured(RandomFitness(seed: 1), goodEnough: 0.99)
        ),
        PackingStrategy(
            name: "largestFirstCpuMemory",
            summary: "Best fit decreasing: tasks largest first (by share of a host), each to the cpu+memory best fit.",
            configuration: configured(BinPackingFitness.cpuMemory, order: .largestFirst)
        ),
        PackingStrategy(
            name: "hostByHost",
            summary: "FenzoCore's host-by-host filler (PlacementOrder.hostByHost): fills one host at a time with "
                + "the task whose demand best matches what the host has free, opening new hosts in the mix of "
                + "instance types the remaining demand calls for; constrained tasks first, leftovers task by task "
                + "to the cpu+memory best fit.",
            configuration: configured(BinPackingFitness.cpuMemory, order: .hostByHost)
        ),
        PackingStrategy(
            name: "constrainedFirst",
            summary: "Host by host in two FenzoCore iterations per round: first the tasks with hard constraints "
                + "(pinned to an instance type, one per host, exclusive), then the rest. hostByHost now does the "
                + "same inside one iteration; kept to show that.",
            configuration: configured(BinPackingFitness.cpuMemory, order: .hostByHost),
            phases: [.constrained, .rest]
        ),
    ]

    /// Every name `named(_:)` knows: the strategies, their `-noSoft` variants and `default`.
    public static var names: [String] {
        ["default"] + all.map(\.name) + all.map { $0.name + noSoftSuffix }
    }

    /// The strategy of this name: one of `all`, `NAME-noSoft`, or `default` (the
    /// recommended one).
    public static func named(_ name: String) throws(BenchError) -> PackingStrategy {
        if name == "default" || name == "default" + noSoftSuffix {
            guard var recommended = all.first(where: { $0.name == recommendedName }) else {
                throw .unknownStrategy(name, known: names)
            }
            if name.hasSuffix(noSoftSuffix) { recommended = recommended.withoutSoftConstraints }
            recommended.name = name
            return recommended
        }
        if let strategy = all.first(where: { $0.name == name }) { return strategy }
        if name.hasSuffix(noSoftSuffix), let strategy = all.first(where: { $0.name + noSoftSuffix == name }) {
            return strategy.withoutSoftConstraints
        }
        throw .unknownStrategy(name, known: names)
    }
}

/// Which tasks a phase of a round places.
public enum TaskPhase: Sendable, Hashable {
    /// Tasks with a hard constraint that narrows where they may go (an attribute value,
    /// uniqueness, an exclusive host): placed while the fleet still has room for them.
    case constrained
    /// Every task.
    case rest

    func matches(_ task: WorkloadTask) -> Bool {
        switch self {
        case .constrained:
            return !task.hardConstraints.isEmpty
        case .rest:
            return true
        }
    }
}

/// Scores each host by a seeded hash of the task's and the host's names: a deterministic
/// random choice among the hosts that fit.
public struct RandomFitness: FitnessCalculator {
    public var seed: UInt64
    public var name: String { "random" }

    public init(seed: UInt64) { self.seed = seed }

    public func fitness(of task: TaskRequest, on host: HostView) -> Double {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325 ^ seed
        for byte in task.id.rawValue.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        hash = (hash ^ 0xFF) &* 0x0000_0100_0000_01B3
        for byte in host.name.rawValue.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        var mix = SplitMix64(seed: hash)
        return mix.next()
    }
}
