/// Scores how well a host suits a task, in 0...1 (higher is better).
///
/// The scheduler picks, among the hosts that fit a task and satisfy its hard
/// constraints, the one with the best score (soft constraints weighing in). Built-in
/// calculators pack (prefer fuller hosts), spread (prefer emptier ones) or align.
/// A custom calculator conforms to this protocol; by default every fitting host is
/// scored, so declare a `searchOrder` when the score follows free capacity.
public protocol FitnessCalculator: Sendable {
    /// The name used in results and benchmark reports.
    var name: String { get }
    /// How well `host` suits `task`, in 0...1. `host.free` is before placing the task.
    func fitness(of task: TaskRequest, on host: HostView) -> Double
    /// What the scheduler may assume about the score to find the best host quickly.
    var searchOrder: FitnessSearchOrder { get }
}

extension FitnessCalculator {
    public var searchOrder: FitnessSearchOrder { .exhaustive }
}

/// A promise about how a calculator's score follows a host's free capacity, which lets
/// the scheduler search its index of hosts instead of scoring every host.
public enum FitnessSearchOrder: Sendable, Hashable {
    /// The score never rises when a host has more free capacity in the weighted
    /// resources, and does not depend on anything but free and total capacity:
    /// fuller hosts are searched first.
    case fullestFirst(ResourceWeights)
    /// The score never falls when a host has more free capacity in the weighted
    /// resources, and depends on nothing else: emptier hosts are searched first.
    case emptiestFirst(ResourceWeights)
    /// No promise: every host that fits is scored (in parallel on large fleets),
    /// stopping early at `fitnessGoodEnough`.
    case exhaustive
}

/// How much each of cpu, memory and network counts in a combined score.
public struct ResourceWeights: Hashable, Sendable {
    public var cpus: Double
    public var memory: Double
    public var network: Double

    public init(cpus: Double = 0, memory: Double = 0, network: Double = 0) {
        self.cpus = cpus
        self.memory = memory
        self.network = network
    }

    public static let cpu = ResourceWeights(cpus: 1)
    public static let memory = ResourceWeights(memory: 1)
    public static let network = ResourceWeights(network: 1)
    public static let cpuMemory = ResourceWeights(cpus: 1, memory: 1)
    public static let cpuMemoryNetwork = ResourceWeights(cpus: 1, memory: 1, network: 1)

    var total: Double { cpus + memory + network }

    /// The weighted mean of `value(kind)` over the weighted kinds the host has; 1 when
    /// it has none of them.
    @inline(__always)
    func mean(total host: Resources, _ value: (ResourceKind) -> Double) -> Double {
        var sum = 0.0
        var weight = 0.0
        if cpus > 0, host.cpus > 0 {
            sum += cpus * value(.cpus)
            weight += cpus
        }
        if memory > 0, host.memoryMB > 0 {
            sum += memory * value(.memoryMB)
            weight += memory
        }
        if network > 0, host.networkMbps > 0 {
            sum += network * value(.networkMbps)
            weight += network
        }
        return weight > 0 ? sum / weight : 1
    }
}

/// Prefers the host that would be fullest after the placement, in the weighted
/// resources: best fit, which keeps other hosts empty so they can be given back.
public struct BinPackingFitness: FitnessCalculator {
    public var name: String
    public var weights: ResourceWeights

    public init(name: String, weights: ResourceWeights) {
        self.name = name
        self.weights = weights
    }

    /// Fenzo's cpu bin packer.
    public static let cpu = BinPackingFitness(name: "cpuBinPacker", weights: .cpu)
    public static let memory = BinPackingFitness(name: "memoryBinPacker", weights: .memory)
    public static let network = BinPackingFitness(name: "networkBinPacker", weights: .network)
    /// Fenzo's default: cpu and memory weighed equally.
    public static let cpuMemory = BinPackingFitness(name: "cpuMemBinPacker", weights: .cpuMemory)
    public static let cpuMemoryNetwork = BinPackingFitness(name: "cpuMemNetworkBinPacker", weights: .cpuMemoryNetwork)

    public func fitness(of task: TaskRequest, on host: HostView) -> Double {
        let demand = task.resources
        return weights.mean(total: host.total) { kind in
            min(1, max(0, (host.total[kind] - host.free[kind] + demand[kind]) / host.total[kind]))
        }
    }

    public var searchOrder: FitnessSearchOrder { .fullestFirst(weights) }
}

/// Prefers the host with the most left free after the placement (least allocated):
/// spreads load, the opposite of bin packing.
public struct SpreadingFitness: FitnessCalculator {
    public var name: String
    public var weights: ResourceWeights

    public init(name: String, weights: ResourceWeights) {
        self.name = name
        self.weights = weights
    }

    public static let cpu = SpreadingFitness(name: "cpuSpreader", weights: .cpu)
    public static let memory = SpreadingFitness(name: "memorySpreader", weights: .memory)
    public static let network = SpreadingFitness(name: "networkSpreader", weights: .network)
    public static let cpuMemory = SpreadingFitness(name: "cpuMemSpreader", weights: .cpuMemory)
    public static let cpuMemoryNetwork = SpreadingFitness(name: "cpuMemNetworkSpreader", weights: .cpuMemoryNetwork)

    public func fitness(of task: TaskRequest, on host: HostView) -> Double {
        let demand = task.resources
        return weights.mean(total: host.total) { kind in
            min(1, max(0, (host.free[kind] - demand[kind]) / host.total[kind]))
        }
    }

    public var searchOrder: FitnessSearchOrder { .emptiestFirst(weights) }
}

/// Prefers the host whose free capacity points the same way as the task's demand
/// (as in Tetris): the dot product of the two vectors, each normalised by the host's
/// capacity and to unit length, so a cpu-heavy task goes where cpu is free and
/// memory-heavy ones fill the rest, stranding less.
public struct AlignmentFitness: FitnessCalculator {
    public var name: String { "alignment" }

    public init() {}

    public func fitness(of task: TaskRequest, on host: HostView) -> Double {
        var dot = 0.0
        var demandNorm = 0.0
        var freeNorm = 0.0
        @inline(__always) func add(_ demandAmount: Double, _ freeAmount: Double, _ total: Double) {
            guard total > 0 else { return }
            let demand = demandAmount / total
            let free = max(0, freeAmount) / total
            dot += demand * free
            demandNorm += demand * demand
            freeNorm += free * free
        }
        add(task.resources.cpus, host.free.cpus, host.total.cpus)
        add(task.resources.memoryMB, host.free.memoryMB, host.total.memoryMB)
        add(task.resources.networkMbps, host.free.networkMbps, host.total.networkMbps)
        guard demandNorm > 0, freeNorm > 0 else { return demandNorm == 0 ? 1 : 0 }
        return min(1, max(0, dot / (demandNorm.squareRoot() * freeNorm.squareRoot())))
    }
}

/// Takes the first host that fits, in the scheduler's host order (first fit).
public struct FirstFitFitness: FitnessCalculator {
    public var name: String { "firstFit" }
    public init() {}
    public func fitness(of task: TaskRequest, on host: HostView) -> Double { 1 }
}
