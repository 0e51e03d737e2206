/// Checks a result against its workload by the rules of `../shared/workloads/validate.py`
/// and computes the same figures, plus stranded capacity.
///
/// Rules: every task accounted for once; no host over capacity in any resource (named
/// scalars included) at any instant; ports inside the host's ranges and not shared; every
/// hard constraint held (attribute values, uniqueness over time, exclusive hosts); no
/// task placed before it was submitted. Figures: hosts used against the lower bound at
/// every instant (peak and time-weighted), utilisation of the hosts in use, and stranded
/// capacity. Soft constraints and `balancedHostAttr` are preferences, not checked.
public struct ResultValidator: Sendable {
    static let epsilon = 1e-6
    static let maxErrors = 50

    public var workload: Workload
    /// Whether to keep hosts used and the lower bound at every instant, for plots.
    public var recordsTimeline: Bool

    public init(workload: Workload, recordsTimeline: Bool = false) {
        self.workload = workload
        self.recordsTimeline = recordsTimeline
    }

    private struct Placement {
        var task: Int
        var host: Int
        var start: Double
        var end: Double
        var ports: [Int]
    }

    private struct Errors {
        var messages: [String] = []
        mutating func add(_ message: @autoclosure () -> String) {
            if messages.count < ResultValidator.maxErrors {
                messages.append(message())
            } else if messages.count == ResultValidator.maxErrors {
                messages.append("... more errors left out")
            }
        }
    }

    public func validate(_ result: PackingResult) -> ValidationReport {
        let hosts = workload.hosts
        let tasks = workload.tasks
        var hostIndex: [String: Int] = [:]
        for (position, host) in hosts.enumerated() { hostIndex[host.name] = position }
        var taskIndex: [String: Int] = [:]
        for (position, task) in tasks.enumerated() { taskIndex[task.id] = position }
        var errors = Errors()

        var seen = [Bool](repeating: false, count: tasks.count)
        var placements: [Placement] = []
        var placementOfTask: [Int: Int] = [:]
        for assignment in result.assignments {
            guard let task = taskIndex[assignment.task] else {
                errors.add("assignment of unknown task \(quoted(assignment.task))")
                continue
            }
            if seen[task] { errors.add("task \(assignment.task) accounted for more than once") }
            seen[task] = true
            guard let host = hostIndex[assignment.host] else {
                errors.add("task \(assignment.task) assigned to unknown host \(quoted(assignment.host))")
                continue
            }
            let submitted = tasks[task].submitTime
            let start = assignment.at ?? submitted
            if start + Self.epsilon < submitted {
                errors.add("task \(assignment.task) placed at \(start) before it was submitted at \(submitted)")
            }
            let end = tasks[task].durationS.map { start + $0 } ?? .infinity
            let placement = Placement(task: task, host: host, start: start, end: end, ports: assignment.ports)
            if let existing = placementOfTask[task] {
                placements[existing] = placement
            } else {
                placementOfTask[task] = placements.count
                placements.append(placement)
            }
        }
        var failed = 0
        for failure in result.failures {
            guard let task = taskIndex[failure.task] else {
                errors.add("failure of unknown task \(quoted(failure.task))")
                continue
            }
            if seen[task] { errors.add("task \(failure.task) accounted for more than once") }
            seen[task] = true
            failed += 1
            if failure.reasons.isEmpty { errors.add("failure of task \(failure.task) gives no reason") }
        }
        let missing = tasks.indices.filter { !seen[$0] }
        if !missing.isEmpty {
            errors.add(
                "\(missing.count) tasks missing from the result, e.g. "
                    + missing.prefix(3).map { tasks[$0].id }.joined(separator: ", ")
            )
        }

        checkHosts(placements, &errors)
        checkAttributeConstraints(placements, &errors)
        var report = figures(placements)
        report.errors = errors.messages
        report.placed = placements.count
        report.failed = failed
        report.schedulingSeconds = result.stats.schedulingSeconds
        return report
    }

    private func quoted(_ text: String) -> String { "'\(text)'" }

    // MARK: Capacity, ports and exclusive hosts, host by host over time

    private func checkHosts(_ placements: [Placement], _ errors: inout Errors) {
        let hosts = workload.hosts
        let tasks = workload.tasks
        var hostOrder: [Int] = []
        var byHost: [Int: [Int]] = [:]
        for (position, placement) in placements.enumerated() {
            if byHost[placement.host] == nil { hostOrder.append(placement.host) }
            byHost[placement.host, default: []].append(position)
        }
        let resources = WorkloadResource.allCases
        for hostPosition in hostOrder {
            let host = hosts[hostPosition]
            let items = byHost[hostPosition] ?? []
            // (time, kind, task id, placement): ends (0) before starts (1) at one instant.
            var events: [(time: Double, kind: Int, id: String, placement: Int)] = []
            for position in items {
                let placement = placements[position]
                let task = tasks[placement.task]
                if placement.ports.count != task.ports {
                    errors.add("task \(task.id) asked for \(task.ports) ports, got \(placement.ports.count)")
                }
                for port in placement.ports
                where !host.ports.contains(where: { $0.count == 2 && $0[0] <= port && port <= $0[1] }) {
                    errors.add("task \(task.id) got port \(port) outside host \(host.name)'s ranges")
                }
                events.append((placement.start, 1, task.id, position))
                if placement.end.isFinite { events.append((placement.end, 0, task.id, position)) }
            }
            events.sort {
                if $0.time != $1.time { return $0.time < $1.time }
                if $0.kind != $1.kind { return $0.kind < $1.kind }
                return $0.id < $1.id
            }
            var use = [Double](repeating: 0, count: resources.count)
            var scalarUse: [String: Double] = [:]
            var activePorts: [Int: String] = [:]
            var active = Set<Int>()
            for event in events {
                let placement = placements[event.placement]
                let task = tasks[placement.task]
                if event.kind == 0 {
                    active.remove(event.placement)
                    for (index, resource) in resources.enumerated() { use[index] -= task.amount(resource) }
                    for (name, amount) in task.scalars { scalarUse[name, default: 0] -= amount }
                    for port in placement.ports { activePorts[port] = nil }
                    continue
                }
                for (index, resource) in resources.enumerated() {
                    use[index] += task.amount(resource)
                    if use[index] > host.amount(resource) + Self.epsilon {
                        errors.add(
                            "host \(host.name) over capacity in \(resource.rawValue) at t=\(event.time): "
                                + "\(use[index]) > \(host.amount(resource))"
                        )
                    }
                }
                for (name, amount) in task.scalars.sorted(by: { $0.key < $1.key }) {
                    scalarUse[name, default: 0] += amount
                    let capacity = host.scalars[name] ?? 0
                    if let used = scalarUse[name], used > capacity + Self.epsilon {
                        errors.add(
                            "host \(host.name) over capacity in \(name) at t=\(event.time): \(used) > \(capacity)"
                        )
                    }
                }
                for port in placement.ports {
                    if let holder = activePorts[port] {
                        errors.add("port \(port) on host \(host.name) given to both \(holder) and \(task.id)")
                    }
                    activePorts[port] = task.id
                }
                if task.isExclusive, !active.isEmpty {
                    let others = active.map { tasks[placements[$0].task].id }.sorted().prefix(3)
                    errors.add("task \(task.id) must be alone on \(host.name) but shares it with \(Array(others))")
                }
                for other in active where tasks[placements[other].task].isExclusive {
                    errors.add(
                        "task \(tasks[placements[other].task].id) must be alone on \(host.name) but \(task.id) joined it"
                    )
                }
                active.insert(event.placement)
            }
        }
    }

    // MARK: Attribute values and uniqueness

    private func checkAttributeConstraints(_ placements: [Placement], _ errors: inout Errors) {
        let hosts = workload.hosts
        let tasks = workload.tasks
        var groupOrder: [String] = []
        var groups: [String: [Int]] = [:]
        for (position, placement) in placements.enumerated() {
            let task = tasks[placement.task]
            let group = task.groupKey
            if groups[group] == nil { groupOrder.append(group) }
            groups[group, default: []].append(position)
            for constraint in task.hardConstraints where constraint.type == .hostAttrValue {
                let attribute = constraint.attribute ?? ""
                let value = hosts[placement.host].attribute(attribute)
                if value.map({ !(constraint.values ?? []).contains($0) }) ?? true {
                    errors.add(
                        "task \(task.id) on \(hosts[placement.host].name) whose \(attribute)=\(value ?? "None") "
                            + "is not in \(constraint.values ?? [])"
                    )
                }
            }
        }
        for group in groupOrder {
            let members = groups[group] ?? []
            var unique: [String] = []
            for position in members {
                for constraint in tasks[placements[position].task].hardConstraints
                where constraint.type == .uniqueHostAttr {
                    let attribute = constraint.attribute ?? ""
                    if !unique.contains(attribute) { unique.append(attribute) }
                }
            }
            for attribute in unique {
                var byValue: [String: [(start: Double, end: Double, id: String)]] = [:]
                for position in members {
                    let placement = placements[position]
                    let value = hosts[placement.host].attribute(attribute) ?? "\u{0}none"
                    byValue[value, default: []].append((placement.start, placement.end, tasks[placement.task].id))
                }
                for (value, intervals) in byValue.sorted(by: { $0.key < $1.key }) {
                    let sorted = intervals.sorted {
                        $0.start != $1.start
                            ? $0.start < $1.start : ($0.end != $1.end ? $0.end < $1.end : $0.id < $1.id)
                    }
                    for (first, second) in zip(sorted, sorted.dropFirst()) where second.start < first.end - Self.epsilon
                    {
                        errors.add("group \(group): \(first.id) and \(second.id) share \(attribute)='\(value)' at once")
                    }
                }
            }
        }
    }

    // MARK: Figures

    private func figures(_ placements: [Placement]) -> ValidationReport {
        let hosts = workload.hosts
        let tasks = workload.tasks
        let resources = WorkloadResource.allCases
        var startsAt: [Double: [Int]] = [:]
        var endsAt: [Double: [Int]] = [:]
        for (position, placement) in placements.enumerated() {
            startsAt[placement.start, default: []].append(position)
            if placement.end.isFinite { endsAt[placement.end, default: []].append(position) }
        }
        let times = Set(startsAt.keys).union(endsAt.keys).sorted()
        let bound = HostLowerBound(hosts: hosts)
        let strandedThreshold = medianAsks()

        var count = [Int](repeating: 0, count: hosts.count)
        var present = [Bool](repeating: false, count: hosts.count)
        var presentCount = 0
        var hostUse = [(cpus: Double, memoryMB: Double)](repeating: (0, 0), count: hosts.count)
        var demand = [Double](repeating: 0, count: resources.count)
        var capacityInUse = [Double](repeating: 0, count: resources.count)
        var strandedCpus = 0.0
        var strandedMemoryMB = 0.0

        /// Free cpu on a host whose free memory cannot take a median task, and the reverse.
        func stranded(_ host: Int) -> (cpus: Double, memoryMB: Double) {
            guard present[host], count[host] > 0 else { return (0, 0) }
            let freeCpus = max(0, hosts[host].cpus - hostUse[host].cpus)
            let freeMemory = max(0, hosts[host].memoryMB - hostUse[host].memoryMB)
            return (
                freeMemory < strandedThreshold.memoryMB ? freeCpus : 0,
                freeCpus < strandedThreshold.cpus ? freeMemory : 0
            )
        }
        func change(_ host: Int, by update: () -> Void) {
            let before = stranded(host)
            update()
            let after = stranded(host)
            strandedCpus += after.cpus - before.cpus
            strandedMemoryMB += after.memoryMB - before.memoryMB
        }

        var report = ValidationReport()
        var weightedUsed = 0.0
        var weightedBound = 0.0
        var weightTotal = 0.0
        var weightedCpuUtil = 0.0
        var weightedMemoryUtil = 0.0
        var weightedStrandedCpu = 0.0
        var weightedStrandedMemory = 0.0
        for (position, time) in times.enumerated() {
            for placement in endsAt[time] ?? [] {
                let host = placements[placement].host
                let task = tasks[placements[placement].task]
                change(host) {
                    if !present[host] {
                        present[host] = true
                        presentCount += 1
                    }
                    count[host] -= 1
                    hostUse[host].cpus -= task.cpus
                    hostUse[host].memoryMB -= task.memoryMB
                    if count[host] == 0 {
                        present[host] = false
                        presentCount -= 1
                        for (index, resource) in resources.enumerated() {
                            capacityInUse[index] -= hosts[host].amount(resource)
                        }
                    }
                }
                for (index, resource) in resources.enumerated() { demand[index] -= task.amount(resource) }
            }
            for placement in startsAt[time] ?? [] {
                let host = placements[placement].host
                let task = tasks[placements[placement].task]
                change(host) {
                    if !present[host] {
                        present[host] = true
                        presentCount += 1
                    }
                    if count[host] == 0 {
                        for (index, resource) in resources.enumerated() {
                            capacityInUse[index] += hosts[host].amount(resource)
                        }
                    }
                    count[host] += 1
                    hostUse[host].cpus += task.cpus
                    hostUse[host].memoryMB += task.memoryMB
                }
                for (index, resource) in resources.enumerated() { demand[index] += task.amount(resource) }
            }
            let used = presentCount
            let lowerBound = bound.perResource(demand)
            report.hostsUsedPeak = max(report.hostsUsedPeak, used)
            report.lowerBoundPeak = max(report.lowerBoundPeak, lowerBound)
            if recordsTimeline {
                report.timeline.append(TimelinePoint(time: time, hostsUsed: used, lowerBound: lowerBound))
            }
            let weight = position + 1 < times.count ? times[position + 1] - time : (times.count == 1 ? 1.0 : 0.0)
            if used == 0 { continue }
            weightTotal += weight
            weightedUsed += weight * Double(used)
            weightedBound += weight * Double(lowerBound)
            let cpuCapacity = capacityInUse[0]
            let memoryCapacity = capacityInUse[1]
            weightedCpuUtil += weight * (cpuCapacity > Self.epsilon ? demand[0] / cpuCapacity : 0)
            weightedMemoryUtil += weight * (memoryCapacity > Self.epsilon ? demand[1] / memoryCapacity : 0)
            weightedStrandedCpu += weight * (cpuCapacity > Self.epsilon ? strandedCpus / cpuCapacity : 0)
            weightedStrandedMemory += weight * (memoryCapacity > Self.epsilon ? strandedMemoryMB / memoryCapacity : 0)
        }
        if weightTotal <= 0 { weightTotal = 1 }
        if times.count == 1, let linear = bound.fractional(demand), linear > report.lowerBoundPeak {
            weightedBound =
                report.lowerBoundPeak > 0
                ? weightedBound * Double(linear) / Double(report.lowerBoundPeak) : Double(linear)
            report.lowerBoundPeak = linear
            report.usedFractionalBound = true
        }
        report.ratio =
            report.lowerBoundPeak > 0
            ? Double(report.hostsUsedPeak) / Double(report.lowerBoundPeak)
            : (report.hostsUsedPeak == 0 ? 1 : .infinity)
        report.meanHostsUsed = weightedUsed / weightTotal
        report.meanLowerBound = weightedBound / weightTotal
        report.cpuUtilOfUsedHosts = weightedCpuUtil / weightTotal
        report.memUtilOfUsedHosts = weightedMemoryUtil / weightTotal
        report.strandedCpuShare = weightedStrandedCpu / weightTotal
        report.strandedMemoryShare = weightedStrandedMemory / weightTotal
        return report
    }

    /// The median cpu and memory asks of the workload's tasks: a host whose free memory is
    /// below the median memory ask cannot take a typical task, so its free cpu is stranded.
    private func medianAsks() -> (cpus: Double, memoryMB: Double) {
        let tasks = workload.tasks
        guard !tasks.isEmpty else { return (0, 0) }
        let cpus = tasks.map(\.cpus).sorted()
        let memory = tasks.map(\.memoryMB).sorted()
        return (cpus[cpus.count / 2], memory[memory.count / 2])
    }
}

/// Hosts used and the lower bound at one instant.
public struct TimelinePoint: Sendable, Hashable {
    public var time: Double
    public var hostsUsed: Int
    public var lowerBound: Int
}

/// What the validator found: the broken rules and the figures.
public struct ValidationReport: Sendable {
    /// Each broken rule, in words; empty when the result is valid.
    public var errors: [String] = []
    public var placed = 0
    public var failed = 0
    public var hostsUsedPeak = 0
    public var lowerBoundPeak = 0
    /// Whether the linear-programming bound (mixed fleet, one batch) set the peak bound.
    public var usedFractionalBound = false
    public var ratio = 1.0
    public var meanHostsUsed = 0.0
    public var meanLowerBound = 0.0
    public var cpuUtilOfUsedHosts = 0.0
    public var memUtilOfUsedHosts = 0.0
    /// Free cpu on used hosts whose free memory is below the median task's ask, as a share
    /// of the used hosts' cpus, time-weighted; and the same for memory.
    public var strandedCpuShare = 0.0
    public var strandedMemoryShare = 0.0
    public var schedulingSeconds: Double?
    public var timeline: [TimelinePoint] = []

    public var isValid: Bool { errors.isEmpty }

    /// The figures in validate.py's order and rounding, then ours.
    public var figures: [(key: String, value: String)] {
        [
            ("placed", "\(placed)"),
            ("failed", "\(failed)"),
            ("hostsUsedPeak", "\(hostsUsedPeak)"),
            ("lowerBoundPeak", "\(lowerBoundPeak)"),
            ("ratio", Self.number(ratio, places: 4)),
            ("meanHostsUsed", Self.number(meanHostsUsed, places: 2)),
            ("meanLowerBound", Self.number(meanLowerBound, places: 2)),
            ("cpuUtilOfUsedHosts", Self.number(cpuUtilOfUsedHosts, places: 4)),
            ("memUtilOfUsedHosts", Self.number(memUtilOfUsedHosts, places: 4)),
            ("schedulingSeconds", schedulingSeconds.map { "\($0)" } ?? "None"),
            ("strandedCpuShare", Self.number(strandedCpuShare, places: 4)),
            ("strandedMemoryShare", Self.number(strandedMemoryShare, places: 4)),
        ]
    }

    /// The one-line summary validate.py prints: `valid: placed=…, failed=…, …`.
    public var summaryLine: String {
        (isValid ? "valid" : "invalid") + ": " + figures.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
    }

    /// The summary as one JSON object, with validate.py's keys.
    public var json: String {
        let fields =
            [("valid", isValid ? "true" : "false")]
            + figures.map { ($0.key, $0.key == "schedulingSeconds" && schedulingSeconds == nil ? "null" : $0.value) }
        return "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }

    static func number(_ value: Double, places: Int) -> String {
        guard value.isFinite else { return value > 0 ? "Infinity" : "NaN" }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        return "\((value * scale).rounded() / scale)"
    }
}
