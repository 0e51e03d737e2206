import FenzoCore

/// A small deterministic generator (SplitMix64), so every run sees the same workload.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Fleets and task mixes for the measurements.
enum Workload {
    /// `count` hosts of three sizes (8, 16 and 32 cpus with 4 GB per cpu).
    static func hosts(_ count: Int, random: inout SeededRandom, offeredAt: Instant = .zero) -> [Lease] {
        (0..<count).map { index in
            let cpus = [8.0, 16, 32][Int(random.next() % 3)]
            return Lease(
                id: LeaseID("host\(index)-0"),
                hostname: HostName("host\(index)"),
                resources: Resources(cpus: cpus, memoryMB: cpus * 4096, diskMB: 500_000, networkMbps: 10_000),
                attributes: ["zone": "zone\(index % 3)"],
                offeredAt: offeredAt
            )
        }
    }

    /// A task of a mixed size: 0.5 to 4 cpus, 512 MB to 8 GB.
    static func request(_ id: String, group: String, random: inout SeededRandom) -> TaskRequest {
        let cpus = [0.5, 1, 1, 2, 2, 4][Int(random.next() % 6)]
        let memoryMB = [512.0, 1024, 2048, 4096, 8192][Int(random.next() % 5)]
        return TaskRequest(
            id: TaskID(id),
            group: TaskGroup(group),
            resources: Resources(cpus: cpus, memoryMB: memoryMB, diskMB: 1024, networkMbps: 10)
        )
    }

    /// `count` tasks: a fifth critical services in 10 capacity groups, the rest flex batch
    /// in 10 more, interleaved as they might be submitted.
    static func queuedTasks(_ count: Int, random: inout SeededRandom) -> [QueuedTask] {
        (0..<count).map { index in
            let critical = index % 5 == 0
            let group = critical ? "service\(index % 10)" : "batch\(index % 10)"
            return QueuedTask(
                request(
                    "t\(index)",
                    group: "job\(index % 500)",
                    random: &random
                ),
                tier: critical ? 0 : 1,
                capacityGroup: CapacityGroupName(group)
            )
        }
    }
}

/// Percentiles of a sample, nearest rank.
func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
}

extension Duration {
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) * 1e-15
    }
}

func format(_ value: Double, _ digits: Int = 1) -> String {
    let scale = pow10(digits)
    return String((value * scale).rounded() / scale)
}

private func pow10(_ digits: Int) -> Double { (0..<digits).reduce(1.0) { value, _ in value * 10 } }
