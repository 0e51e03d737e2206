import Foundation
import TitanModel

/// What `--wait` concludes from one look at a job.
public enum WaitVerdict: Hashable, Sendable {
    /// Not there yet; keep looking.
    case waiting
    /// Every wanted instance has started (or the batch job has succeeded): exit 0.
    case up
    /// The job ended or an instance failed for good: exit 1.
    case failed(String)
    /// Some instances can never be placed on the hosts there are: exit 1.
    case cannotFit(String)
}

/// One look at a job while waiting for it: the job, a sample of its waiting and finished
/// tasks, and the hosts.
public struct WaitObservation: Sendable {
    public var job: JobDetail
    /// Tasks in `accepted` or `finished` (a sample is enough: the rule needs one example).
    public var waitingOrFinished: [TaskSummary]
    public var hosts: [HostSummary]

    public init(job: JobDetail, waitingOrFinished: [TaskSummary], hosts: [HostSummary]) {
        self.job = job
        self.waitingOrFinished = waitingOrFinished
        self.hosts = hosts
    }

    /// Started instances, and instances wanted.
    public var progress: (started: Int, wanted: Int) {
        (job.job.taskCounts?.started ?? 0, job.job.desiredInstances)
    }

    /// The distinct pending reasons of the waiting tasks in the sample.
    public var pendingReasons: [String] {
        var seen: [String] = []
        for task in waitingOrFinished where task.state == .accepted {
            if let reason = task.pendingReason, !seen.contains(reason) { seen.append(reason) }
        }
        return seen
    }
}

/// The rule `titanctl job create --wait` follows, as a function of what the API shows.
///
/// 1. Up (exit 0): as many instances `started` as the job wants, or a batch job `succeeded`.
/// 2. Failed (exit 1): the job is `failed`, `killing` or `killed`, or an instance finished
///    for good (failed or out of memory, no restart left), so it can never be up.
/// 3. Cannot fit (exit 1): a task waits with a pending reason and no host that could take
///    tasks before the deadline is big enough for one task (cpus, memory, disk, network,
///    ports, each against the host's whole capacity), or matches the job's hard
///    `hostAttrValue`/`hostname` constraints, or there are fewer such hosts (or attribute
///    values) than instances under `exclusiveHost` (or `uniqueHostAttr`). Waiting cannot fix
///    these; only other hosts can.
/// 4. Otherwise it waits: hosts busy with other tasks free up, disabled hosts come back,
///    images start. `--timeout` bounds that wait (exit 1 when it passes).
public enum JobWaitRule {
    /// - Parameters:
    ///   - observation: the latest look at the job.
    ///   - deadline: when waiting stops; hosts disabled past it count as unavailable.
    public static func judge(_ observation: WaitObservation, deadline: Date) -> WaitVerdict {
        let job = observation.job.job
        switch job.status {
        case .succeeded: return .up
        case .failed, .killing, .killed:
            return .failed("job \(job.id) is \(job.status.rawValue)" + failureExample(observation.waitingOrFinished))
        case .active: break
        }
        let (started, wanted) = observation.progress
        if started >= wanted { return .up }
        let failedForGood = observation.waitingOrFinished.filter {
            $0.state == .finished && $0.nextRestartAt == nil && ($0.finishReason?.isFailure ?? false)
        }
        if !failedForGood.isEmpty {
            return .failed(
                "\(failedForGood.count == 1 ? "an instance" : "\(failedForGood.count) instances") failed for good "
                    + "(no restart left), so the job cannot be up" + failureExample(failedForGood)
            )
        }
        let waiting = observation.waitingOrFinished.filter { $0.state == .accepted && $0.pendingReason != nil }
        guard let example = waiting.first else { return .waiting }
        if let why = FitCheck.whyNoHostFits(
            spec: observation.job.spec,
            instances: wanted,
            hosts: observation.hosts,
            deadline: deadline
        ) {
            return .cannotFit("\(why)\n  the scheduler says (task \(example.id)): \(example.pendingReason ?? "")")
        }
        return .waiting
    }

    private static func failureExample(_ tasks: [TaskSummary]) -> String {
        guard
            let task = tasks.first(where: { $0.state == .finished && ($0.finishReason?.isFailure ?? false) })
                ?? tasks.first(where: { $0.state == .finished })
        else { return "" }
        var text = "\n  for example task \(task.id): \(task.finishReason?.rawValue ?? "finished")"
        if let code = task.exitCode { text += " (exit \(code))" }
        if let message = task.message, !message.isEmpty { text += ": \(message)" }
        return text
    }
}

/// Whether any host could ever hold a job's tasks, judged on whole host capacities.
public enum FitCheck {
    /// Why no host that can take tasks before `deadline` could ever hold `instances` tasks of
    /// `spec`, or nil when some could (given time).
    public static func whyNoHostFits(spec: JobSpec, instances: Int, hosts: [HostSummary], deadline: Date)
        -> String?
    {
        guard !hosts.isEmpty else {
            return "no host has registered with titan-api, so no task can be placed"
        }
        let available = hosts.filter { $0.state == .up && !($0.disabledUntil.map { $0 > deadline } ?? false) }
        guard !available.isEmpty else {
            let down = hosts.filter { $0.state == .down }.count
            return "none of the \(hosts.count) hosts can take tasks before the wait ends "
                + "(\(down) down, \(hosts.count - down) disabled)"
        }
        let bigEnough = available.filter { shortfalls(spec, $0).isEmpty }
        guard !bigEnough.isEmpty else {
            return "no host is big enough for one task: " + largestShortfalls(spec, available).joined(separator: "; ")
        }
        var matching = bigEnough
        for constraint in spec.hardConstraints {
            switch constraint {
            case .hostAttributeValue(let attribute, let values):
                matching = matching.filter { value(of: attribute, on: $0).map(values.contains) ?? false }
            case .hostname(let values):
                matching = matching.filter { values.contains($0.id.rawValue) }
            default: break
            }
        }
        guard !matching.isEmpty else {
            let filters = spec.hardConstraints.filter {
                if case .hostAttributeValue = $0 { return true }
                if case .hostname = $0 { return true }
                return false
            }
            return "no host big enough for a task matches the hard constraints "
                + filters.map(Formatting.constraint).joined(separator: "; ")
                + " (\(bigEnough.count) host\(bigEnough.count == 1 ? " is" : "s are") big enough)"
        }
        for constraint in spec.hardConstraints {
            switch constraint {
            case .exclusiveHost where matching.count < instances:
                return "exclusiveHost: \(instances) instances each need a host of their own, "
                    + "but only \(matching.count) host\(matching.count == 1 ? "" : "s") can hold one"
            case .uniqueHostAttribute(let attribute):
                let distinct = Set(matching.map { value(of: attribute, on: $0) ?? "" }).count
                if distinct < instances {
                    return "uniqueHostAttr \(attribute): \(instances) instances need as many values of \(attribute), "
                        + "but the hosts that can hold one have \(distinct)"
                }
            default: break
            }
        }
        return nil
    }

    /// A host attribute as constraints read it; `name` is the host's id.
    static func value(of attribute: String, on host: HostSummary) -> String? {
        attribute == "name" ? host.id.rawValue : host.attributes[attribute]
    }

    /// What one task asks that the host does not have in all.
    static func shortfalls(_ spec: JobSpec, _ host: HostSummary) -> [String] {
        var short: [String] = []
        let resources = host.resources
        if spec.cpus > resources.cpus { short.append("cpus") }
        if spec.memoryMB > resources.memoryMB { short.append("memory") }
        if spec.diskGB > resources.diskGB { short.append("disk") }
        if (spec.networkMbps ?? 0) > resources.networkMbps { short.append("network") }
        if spec.ports > portCount(resources) { short.append("ports") }
        return short
    }

    /// For each resource no host has enough of: what a task needs and the most any host has.
    static func largestShortfalls(_ spec: JobSpec, _ hosts: [HostSummary]) -> [String] {
        var lines: [String] = []
        let mostCPUs = hosts.map(\.resources.cpus).max() ?? 0
        if spec.cpus > mostCPUs {
            lines.append(
                "cpus: a task needs \(Formatting.number(spec.cpus)), the largest host has \(Formatting.number(mostCPUs))"
            )
        }
        let mostMemory = hosts.map(\.resources.memoryMB).max() ?? 0
        if spec.memoryMB > mostMemory {
            lines.append("memory: a task needs \(spec.memoryMB) MB, the largest host has \(mostMemory) MB")
        }
        let mostDisk = hosts.map(\.resources.diskGB).max() ?? 0
        if spec.diskGB > mostDisk {
            lines.append("disk: a task needs \(spec.diskGB) GB, the largest host has \(mostDisk) GB")
        }
        let mostNetwork = hosts.map(\.resources.networkMbps).max() ?? 0
        if let network = spec.networkMbps, network > mostNetwork {
            lines.append("network: a task needs \(network) Mbps, the largest host has \(mostNetwork) Mbps")
        }
        let mostPorts = hosts.map { portCount($0.resources) }.max() ?? 0
        if spec.ports > mostPorts {
            lines.append("ports: a task needs \(spec.ports), the most any host has is \(mostPorts)")
        }
        if lines.isEmpty {
            // Each resource is on some host, but no host has all of them.
            lines.append("no host has all of what one task needs at once")
        }
        return lines
    }

    static func portCount(_ resources: HostResources) -> Int {
        resources.portRanges.reduce(0) { $0 + max(0, $1.last - $1.first + 1) }
    }
}
