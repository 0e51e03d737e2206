import FenzoCore
import Foundation

/// A task of the replay: what it needs, when it arrives, how long it runs.
struct SimulatedTask: Sendable {
    var request: TaskRequest
    var submitAt: Double
    /// Nil: runs until the end of the replay (a service).
    var durationS: Double?
}

/// The tasks to replay and the shape of the hosts the autoscaler adds.
struct Workload: Sendable {
    var name: String
    var hostShape: HostShape
    var tasks: [SimulatedTask]
}

/// An error reading a workload, with what to do.
struct WorkloadError: Error, CustomStringConvertible {
    var description: String
}

/// gen.py's m5.4xlarge, the host every churn fleet is made of.
let m5Shape = HostShape(
    resources: Resources(cpus: 16, memoryMB: 65_536, diskMB: 512_000, networkMbps: 10_000),
    ports: PortRanges([31_000...31_999]),
    attributes: ["instanceType": "m5.4xlarge"]
)

extension Workload {
    /// Reads a workload in the v1 packing format (shared/workloads/FORMAT.md); the first
    /// host gives the shape of new hosts.
    static func read(path: String) throws -> Workload {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw WorkloadError(description: "cannot read \(path): check the path")
        }
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let hosts = root["hosts"] as? [[String: Any]], let first = hosts.first,
            let tasks = root["tasks"] as? [[String: Any]]
        else {
            throw WorkloadError(description: "\(path) is not a v1 workload: it needs \"hosts\" and \"tasks\"")
        }
        let number = { (object: [String: Any], key: String) in (object[key] as? NSNumber)?.doubleValue ?? 0 }
        var ports = PortRanges()
        for range in first["ports"] as? [[Int]] ?? [] where range.count == 2 { ports.insert(range[0]...range[1]) }
        var attributes = (first["attributes"] as? [String: String]) ?? [:]
        attributes["zone"] = nil
        attributes["group"] = nil
        let shape = HostShape(
            resources: Resources(
                cpus: number(first, "cpus"),
                memoryMB: number(first, "memoryMB"),
                diskMB: number(first, "diskMB"),
                networkMbps: number(first, "networkMbps")
            ),
            ports: ports,
            attributes: attributes
        )
        var replay: [SimulatedTask] = []
        for task in tasks {
            guard let id = task["id"] as? String else { throw WorkloadError(description: "a task has no id") }
            let request = TaskRequest(
                id: TaskID(id),
                group: TaskGroup(task["group"] as? String ?? "default"),
                resources: Resources(
                    cpus: number(task, "cpus"),
                    memoryMB: number(task, "memoryMB"),
                    diskMB: number(task, "diskMB"),
                    networkMbps: number(task, "networkMbps")
                ),
                ports: Int(number(task, "ports")),
                hardConstraints: try constraints(task["hardConstraints"]),
                softConstraints: try constraints(task["softConstraints"])
            )
            let duration = task["durationS"] as? NSNumber
            replay.append(
                SimulatedTask(request: request, submitAt: number(task, "submitAt"), durationS: duration?.doubleValue)
            )
        }
        return Workload(name: root["name"] as? String ?? path, hostShape: shape, tasks: replay)
    }

    private static func constraints(_ value: Any?) throws -> [PlacementConstraint] {
        guard let list = value as? [[String: Any]] else { return [] }
        return try list.map { entry in
            let attribute = entry["attribute"] as? String ?? ""
            switch entry["type"] as? String {
            case "hostAttrValue":
                return .hostAttributeValue(attribute: attribute, values: entry["values"] as? [String] ?? [])
            case "uniqueHostAttr": return .uniqueHostAttribute(attribute)
            case "balancedHostAttr":
                return .balancedHostAttribute(
                    attribute,
                    expectedValues: (entry["expectedValues"] as? NSNumber)?.intValue
                )
            case "exclusiveHost": return .exclusiveHost
            default: throw WorkloadError(description: "unknown constraint type \(entry["type"] as? String ?? "(none)")")
            }
        }
    }

    /// A churn workload of the same shapes as gen.py's: jobs of 1 to 50 tasks arriving
    /// over an hour, 40 % services that never end, batch tasks lasting 10 s plus an
    /// exponential of mean 600 s. (Its random numbers differ from Python's.)
    static func churn(tasks count: Int, seed: UInt64) -> Workload {
        var random = SplitMix64(seed: seed)
        var tasks: [SimulatedTask] = []
        var index = 0
        while index < count {
            let group = String(format: "job-%06d", index)
            let size = min(count - index, [1, 1, 2, 3, 5, 10, 20, 50].randomElement(using: &random) ?? 1)
            let shape = taskShape(using: &random)
            let start = Double.random(in: 0..<3600, using: &random)
            let service = Double.random(in: 0..<1, using: &random) < 0.4
            for k in 0..<size {
                let duration = service ? nil : exponential(mean: 600, using: &random) + 10
                tasks.append(
                    SimulatedTask(
                        request: TaskRequest(
                            id: TaskID("\(group)-\(k)"),
                            group: TaskGroup(group),
                            resources: shape.resources,
                            ports: shape.ports
                        ),
                        submitAt: start + Double(k) * 0.5,
                        durationS: duration
                    )
                )
            }
            index += size
        }
        return Workload(name: "churn-swift-\(count)-s\(seed)", hostShape: m5Shape, tasks: tasks)
    }

    /// Batch tasks (churn sizes and durations) arriving for `days` days at a rate that
    /// follows the day: `peakRate` tasks a second at 15:00, a fifth of it at 03:00.
    static func diurnal(days: Int, peakRate: Double, seed: UInt64) -> Workload {
        var random = SplitMix64(seed: seed)
        var tasks: [SimulatedTask] = []
        var now = 0.0
        let end = Double(days) * 86_400
        var job = 0
        while now < end {
            let hour = now.truncatingRemainder(dividingBy: 86_400) / 3600
            let rate = peakRate * (0.6 + 0.4 * cos(2 * Double.pi * (hour - 15) / 24))
            // Jobs arrive as a Poisson process whose rate gives `rate` tasks a second.
            let size = [1, 1, 2, 3, 5, 10].randomElement(using: &random) ?? 1
            now += exponential(mean: Double(size) / max(rate, 1e-6), using: &random)
            let shape = taskShape(using: &random)
            for k in 0..<size where now < end {
                tasks.append(
                    SimulatedTask(
                        request: TaskRequest(
                            id: TaskID("d-\(job)-\(k)"),
                            group: TaskGroup("d-\(job)"),
                            resources: shape.resources,
                            ports: shape.ports
                        ),
                        submitAt: now + Double(k) * 0.5,
                        durationS: exponential(mean: 600, using: &random) + 10
                    )
                )
            }
            job += 1
        }
        return Workload(name: "diurnal-\(days)d-s\(seed)", hostShape: m5Shape, tasks: tasks)
    }

    /// gen.py's task sizes: mostly small, a heavy tail, varied cpu:memory ratios.
    private static func taskShape(using random: inout SplitMix64) -> (resources: Resources, ports: Int) {
        let draw = Double.random(in: 0..<1, using: &random)
        let cpus: Double
        if draw < 0.55 {
            cpus = [0.25, 0.5, 1].randomElement(using: &random) ?? 1
        } else if draw < 0.85 {
            cpus = [1, 2, 2, 4].randomElement(using: &random) ?? 2
        } else if draw < 0.97 {
            cpus = [4, 6, 8].randomElement(using: &random) ?? 4
        } else {
            cpus = [8, 12, 16].randomElement(using: &random) ?? 8
        }
        let ratios: [Double] = [1, 2, 4, 4, 8, 16]
        let gbPerCpu: Double = ratios.randomElement(using: &random) ?? 4
        let gigabytes: Double = Swift.min(cpus * gbPerCpu, 120)
        let memory = (gigabytes * 1024).rounded(.down)
        return (
            Resources(
                cpus: cpus,
                memoryMB: memory,
                diskMB: [0.0, 1000, 10_000].randomElement(using: &random) ?? 0,
                networkMbps: [0.0, 50, 100, 500].randomElement(using: &random) ?? 0
            ),
            [0, 0, 1, 2].randomElement(using: &random) ?? 0
        )
    }

    private static func exponential(mean: Double, using random: inout SplitMix64) -> Double {
        -mean * log(1 - Double.random(in: 0..<1, using: &random))
    }
}

/// A small deterministic generator, so a seed rebuilds the same workload.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
