#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The four workload shapes, with the same fleets and task-size distributions as
/// `../shared/workloads/gen.py`, so a fresh clone can make its own workloads.
///
/// The random stream is our own (SplitMix64), not Python's Mersenne Twister: for the same
/// seed the two generators draw from the same distributions in the same order but give
/// different workloads.
public enum WorkloadShape: String, CaseIterable, Sendable, Codable {
    /// One uniform fleet, every task at time 0, sizes skewed like production clusters.
    case batch
    /// Three instance types over three zones, same task sizes.
    case mixed
    /// Long-lived services and short batch jobs arriving over an hour.
    case churn
    /// Services with constraints: one per host, balanced over zones, some pinned to an
    /// instance type, a few exclusive hosts.
    case zones

    /// Whether the fleet mixes instance types.
    var hasMixedFleet: Bool { self == .mixed || self == .zones }
}

/// Makes workloads of the four shapes, deterministically for a seed.
public struct WorkloadGenerator: Sendable {
    /// An instance type: name, cpus, memory, network.
    struct InstanceType: Sendable {
        var name: String
        var cpus: Double
        var memoryMB: Double
        var networkMbps: Double
    }

    static let instanceTypes = [
        InstanceType(name: "m5.4xlarge", cpus: 16, memoryMB: 65536, networkMbps: 10000),
        InstanceType(name: "r5.4xlarge", cpus: 16, memoryMB: 131072, networkMbps: 10000),
        InstanceType(name: "c5.9xlarge", cpus: 36, memoryMB: 73728, networkMbps: 10000),
    ]
    static let zones = ["zone-a", "zone-b", "zone-c"]

    public var shape: WorkloadShape
    public var hostCount: Int
    public var taskCount: Int
    public var seed: UInt64

    public init(shape: WorkloadShape, hosts: Int, tasks: Int, seed: UInt64 = 1) {
        self.shape = shape
        self.hostCount = hosts
        self.taskCount = tasks
        self.seed = seed
    }

    /// The workload's name, as gen.py names it: `SHAPE-HOSTSxTASKS-sSEED`.
    public var name: String { "\(shape.rawValue)-\(hostCount)x\(taskCount)-s\(seed)" }

    public func generate() -> Workload {
        var random = SplitMix64(seed: seed)
        let hosts = fleet(&random)
        var tasks: [WorkloadTask] = []
        tasks.reserveCapacity(taskCount)
        var next = 0
        while next < taskCount {
            let group = "job-\(padded(next, 6))"
            let count = min(taskCount - next, random.choice([1, 1, 2, 3, 5, 10, 20, 50]))
            let size = taskSize(&random)
            let start = shape == .churn ? random.uniform(0, 3600) : 0
            let service = random.next() < 0.4
            var hard: [WorkloadConstraint] = []
            var soft: [WorkloadConstraint] = []
            if shape == .zones, service {
                hard.append(.uniqueHostAttr("name"))
                soft.append(.balancedHostAttr("zone", expectedValues: 3))
                if random.next() < 0.2 {
                    hard.append(.hostAttrValue("instanceType", [random.choice(Self.instanceTypes).name]))
                }
            }
            if shape == .zones, !service, random.next() < 0.01 {
                hard.append(.exclusiveHost)
            }
            for member in 0..<count {
                var task = WorkloadTask(
                    id: "\(group)-\(member)",
                    group: group,
                    cpus: size.cpus,
                    memoryMB: size.memoryMB,
                    diskMB: size.diskMB,
                    networkMbps: size.networkMbps,
                    ports: size.ports,
                    hardConstraints: hard,
                    softConstraints: soft
                )
                if shape == .churn {
                    task.submitAt = roundedToMillis(start + Double(member) * 0.5)
                    if !service { task.durationS = roundedToMillis(random.exponential(mean: 600) + 10) }
                }
                tasks.append(task)
            }
            next += count
        }
        return Workload(name: name, hosts: hosts, tasks: tasks)
    }

    private func fleet(_ random: inout SplitMix64) -> [WorkloadHost] {
        (0..<hostCount).map { position in
            let type = shape.hasMixedFleet ? Self.instanceTypes[random.below(3)] : Self.instanceTypes[0]
            return WorkloadHost(
                name: "h-\(padded(position, 5))",
                cpus: type.cpus,
                memoryMB: type.memoryMB,
                diskMB: 512_000,
                networkMbps: type.networkMbps,
                ports: [[31000, 31999]],
                attributes: [
                    "zone": Self.zones[position % 3], "instanceType": type.name, "group": "main",
                ]
            )
        }
    }

    /// Mostly small tasks, a heavy tail, and a varied cpu:memory ratio.
    private func taskSize(_ random: inout SplitMix64)
        -> (cpus: Double, memoryMB: Double, diskMB: Double, networkMbps: Double, ports: Int)
    {
        let draw = random.next()
        let cpus: Double =
            if draw < 0.55 {
                random.choice([0.25, 0.5, 1])
            } else if draw < 0.85 {
                random.choice([1, 2, 2, 4])
            } else if draw < 0.97 {
                random.choice([4, 6, 8])
            } else {
                random.choice([8, 12, 16])
            }
        let gbPerCpu = random.choice([1.0, 2, 4, 4, 8, 16])
        let memoryMB = (min(cpus * gbPerCpu, 120) * 1024).rounded(.towardZero)
        return (
            cpus, memoryMB, random.choice([0.0, 1000, 10000]), random.choice([0.0, 50, 100, 500]),
            random.choice([0, 0, 1, 2])
        )
    }

    private func roundedToMillis(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }

    private func padded(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}

/// A small, fast, seeded random stream (SplitMix64): the same seed gives the same numbers
/// on every platform.
public struct SplitMix64: Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func nextBits() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// A number in [0, 1).
    public mutating func next() -> Double { Double(nextBits() >> 11) * 0x1.0p-53 }

    /// An integer in 0..<bound.
    public mutating func below(_ bound: Int) -> Int { Int(nextBits() % UInt64(bound)) }

    public mutating func choice<Element>(_ elements: [Element]) -> Element { elements[below(elements.count)] }

    public mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * next() }

    /// An exponentially distributed number with the given mean.
    public mutating func exponential(mean: Double) -> Double { -log(1 - next()) * mean }
}
