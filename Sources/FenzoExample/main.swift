// Schedules a generated workload with FenzoCore and prints what went where and why the
// rest did not fit. Usage: fenzo-example [--hosts N] [--tasks N] [--seed N] [--order given|largest|host-by-host]
import FenzoCore

#if canImport(Glibc)
    import Glibc
#endif

struct Options {
    var hosts = 24
    var tasks = 90
    var seed: UInt64 = 7
    var order = PlacementOrder.hostByHost

    static let usage = "usage: fenzo-example [--hosts N] [--tasks N] [--seed N] [--order given|largest|host-by-host]"

    init(arguments: [String]) throws(UsageError) {
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            guard let value = rest.popFirst() else { throw UsageError("\(flag) needs a value") }
            switch flag {
            case "--hosts": hosts = try Options.positive(value, flag)
            case "--tasks": tasks = try Options.positive(value, flag)
            case "--seed": seed = UInt64(try Options.positive(value, flag))
            case "--order":
                switch value {
                case "given": order = .asGiven
                case "largest": order = .largestFirst
                case "host-by-host": order = .hostByHost
                default: throw UsageError("--order must be given, largest or host-by-host, not \(value)")
                }
            default: throw UsageError("unknown option \(flag)")
            }
        }
    }

    static func positive(_ value: String, _ flag: String) throws(UsageError) -> Int {
        guard let number = Int(value), number > 0 else {
            throw UsageError("\(flag) needs a positive number, not \(value)")
        }
        return number
    }
}

struct UsageError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// SplitMix64: a seeded generator, so a seed always gives the same workload.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A small fleet over three zones and a mix of jobs: services spread one per host and
/// balanced over zones, batch jobs of varied sizes, a job needing GPUs, one that must
/// be alone on its host, and one too large for any host.
func makeWorkload(_ options: Options) -> (leases: [Lease], tasks: [TaskRequest]) {
    var random = SeededRandom(state: options.seed)
    let shapes: [(type: String, cpus: Double, memoryMB: Double, gpus: Double)] = [
        ("m5.2xlarge", 8, 32768, 0), ("r5.2xlarge", 8, 65536, 0), ("p3.8xlarge", 32, 249856, 4),
    ]
    let leases = (0..<options.hosts).map { index in
        let shape = shapes[index % 7 == 6 ? 2 : Int.random(in: 0...1, using: &random)]
        return Lease(
            id: LeaseID("offer-\(index)"),
            hostname: HostName("host-\(String(index).leftPadded(to: 2))"),
            resources: Resources(cpus: shape.cpus, memoryMB: shape.memoryMB, diskMB: 200_000, networkMbps: 10_000),
            ports: PortRanges([31000...31099]),
            scalars: shape.gpus > 0 ? ["gpu": shape.gpus] : [:],
            attributes: ["zone": ["us-east-1a", "us-east-1b", "us-east-1c"][index % 3], "instanceType": shape.type]
        )
    }
    var tasks: [TaskRequest] = []
    var job = 0
    while tasks.count < options.tasks {
        let kind = Int.random(in: 0..<12, using: &random)
        let count = min(options.tasks - tasks.count, [1, 2, 3, 4, 6, 8].randomElement(using: &random) ?? 1)
        let cpus: Double = [0.5, 1, 2, 4].randomElement(using: &random) ?? 1
        let memoryPerCpuMB: Double = [2048, 4096, 8192].randomElement(using: &random) ?? 4096
        var request = TaskRequest(id: "", resources: Resources(cpus: cpus, memoryMB: cpus * memoryPerCpuMB))
        let name: String
        switch kind {
        case 0...2:
            name = "web-\(job)"
            request.ports = 1
            request.hardConstraints = [.uniqueHostAttribute("name")]
            request.softConstraints = [.balancedHostAttribute("zone")]
        case 3 where job % 2 == 0:
            name = "train-\(job)"
            request.scalars = ["gpu": 1]
        case 4 where job % 3 == 0:
            name = "db-\(job)"
            request.resources = Resources(cpus: 6, memoryMB: 24576)
            request.hardConstraints = [.exclusiveHost]
        default:
            name = "batch-\(job)"
        }
        request.group = TaskGroup(name)
        for index in 0..<count {
            request.id = TaskID("\(name).\(index)")
            tasks.append(request)
        }
        job += 1
    }
    // Two jobs that cannot all fit, to show the reasons: one instance per zone for four
    // instances over three zones, and a task larger than any host.
    for index in 0..<4 {
        tasks.append(
            TaskRequest(
                id: TaskID("quorum.\(index)"),
                group: "quorum",
                resources: Resources(cpus: 1, memoryMB: 2048),
                hardConstraints: [.uniqueHostAttribute("zone")]
            )
        )
    }
    tasks.append(TaskRequest(id: "analytics.0", group: "analytics", resources: Resources(cpus: 16, memoryMB: 524_288)))
    return (leases, tasks)
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
    func padded(to width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}

func percent(_ part: Double, of whole: Double) -> String {
    whole > 0 ? "\(Int((part / whole * 100).rounded()))%" : "-"
}

let options: Options
do {
    options = try Options(arguments: Array(CommandLine.arguments.dropFirst()))
} catch {
    print("fenzo-example: \(error.message)\n\(Options.usage)")
    exit(2)
}

let workload = makeWorkload(options)
var scheduler = TaskScheduler(configuration: SchedulerConfiguration(leaseExpiry: nil, placementOrder: options.order))
let clock = ContinuousClock()
var result = SchedulingResult()
let elapsed = clock.measure { result = scheduler.schedule(workload.tasks, newLeases: workload.leases, at: .zero) }

let fleetCpus = workload.leases.reduce(0) { $0 + $1.resources.cpus }
print("Fleet: \(workload.leases.count) hosts over 3 zones, \(fleetCpus.formatted) cpus")
print("Queue: \(workload.tasks.count) tasks from \(Set(workload.tasks.map(\.group)).count) jobs")
print(
    "Placed \(result.statistics.tasksPlaced) tasks on \(result.assignments.count) hosts in \(elapsed) "
        + "(order: \(options.order)); \(result.failures.count) not placed.\n"
)
print("host     zone        type         tasks  cpus used  memory used  jobs")
let offers = Dictionary(uniqueKeysWithValues: workload.leases.map { ($0.hostname, $0) })
for assignment in result.assignments.sorted(by: { $0.hostname < $1.hostname }) {
    guard let offer = offers[assignment.hostname] else { continue }
    let used = assignment.tasks.reduce(Resources.zero) { $0 + $1.request.resources }
    let jobs = Set(assignment.tasks.map(\.request.group.rawValue)).sorted().joined(separator: " ")
    print(
        assignment.hostname.rawValue.padded(to: 9) + (offer.attributes["zone"] ?? "").padded(to: 12)
            + (offer.attributes["instanceType"] ?? "").padded(to: 13) + String(assignment.tasks.count).padded(to: 7)
            + percent(used.cpus, of: offer.resources.cpus).padded(to: 11)
            + percent(used.memoryMB, of: offer.resources.memoryMB).padded(to: 13) + jobs
    )
}
if !result.failures.isEmpty {
    print("\nNot placed, and why (tasks of one job share their reasons):")
    var byJob: [(job: String, tasks: [String], reasons: String)] = []
    for failure in result.failures {
        let reasons = failure.reasons.map(\.description).joined(separator: "; ")
        let job = failure.request.group.rawValue
        if let last = byJob.indices.last, byJob[last].job == job, byJob[last].reasons == reasons {
            byJob[last].tasks.append(failure.taskID.rawValue)
        } else {
            byJob.append((job, [failure.taskID.rawValue], reasons))
        }
    }
    for entry in byJob {
        let who = entry.tasks.count == 1 ? entry.tasks[0] : "\(entry.job) (\(entry.tasks.count) tasks)"
        print("  \(who.padded(to: 22)) \(entry.reasons)")
    }
}

extension Double {
    var formatted: String { self == rounded() ? String(Int(self)) : String(self) }
}
