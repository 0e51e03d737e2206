import FenzoCore
import TitanModel

/// One run of a task: the instance and its attempt. FenzoCore knows a run as the `TaskID`
/// `"<task instance id>#<attempt>"`, so a new attempt of an instance is a new task to the
/// scheduler and can never be mistaken for the old one.
public struct RunKey: Hashable, Sendable, CustomStringConvertible {
    public var taskID: TaskInstanceID
    public var attempt: Int

    public init(taskID: TaskInstanceID, attempt: Int) {
        self.taskID = taskID
        self.attempt = attempt
    }

    /// The run a FenzoCore task id names, or nil if it is not `<instance>#<attempt>`.
    public init?(_ id: TaskID) {
        guard let hash = id.rawValue.lastIndex(of: "#"),
            let attempt = Int(id.rawValue[id.rawValue.index(after: hash)...]), attempt >= 0
        else { return nil }
        self.init(taskID: TaskInstanceID(String(id.rawValue[..<hash])), attempt: attempt)
    }

    /// The id FenzoCore knows this run by.
    public var schedulerID: TaskID { TaskID("\(taskID.rawValue)#\(attempt)") }

    public var description: String { "\(taskID) attempt \(attempt)" }
}

extension HostID {
    /// The same host as FenzoCore names it.
    var hostName: HostName { HostName(rawValue) }
}

/// Turns job specs into what FenzoCore places.
enum PlacementRequests {
    /// The request for one run of a task of `spec`.
    ///
    /// The task's cell becomes a soft constraint on the host attribute `cell` (not for the
    /// `default` cell): hosts that declare the task's cell are preferred, and when no host
    /// declares cells every host scores the same, so placement is unchanged.
    static func request(for run: RunKey, jobID: JobID, cell: CellName, spec: JobSpec) -> TaskRequest {
        var soft = spec.softConstraints.map(placementConstraint)
        if cell != .defaultCell {
            soft.append(.hostAttributeValue(attribute: "cell", values: [cell.rawValue]))
        }
        var hard = spec.hardConstraints.map(placementConstraint)
        if case .image = spec.workload { hard.append(.custom(RunsContainers())) }
        return TaskRequest(
            id: run.schedulerID,
            group: TaskGroup(jobID.rawValue),
            resources: Resources(
                cpus: spec.cpus,
                memoryMB: Double(spec.memoryMB),
                diskMB: Double(spec.diskGB) * 1024,
                networkMbps: Double(spec.networkMbps ?? 0)
            ),
            ports: spec.ports,
            hardConstraints: hard,
            softConstraints: soft
        )
    }

    static func queued(_ run: RunKey, jobID: JobID, cell: CellName, spec: JobSpec) -> PlacementTask {
        PlacementTask(
            request: request(for: run, jobID: jobID, cell: cell, spec: spec),
            tier: spec.tier.number,
            capacityGroup: spec.capacityGroup
        )
    }

    /// A job spec's constraint as FenzoCore's.
    static func placementConstraint(_ constraint: JobConstraint) -> PlacementConstraint {
        switch constraint {
        case .uniqueHostAttribute(let attribute): .uniqueHostAttribute(attribute)
        case .balancedHostAttribute(let attribute, let expected):
            .balancedHostAttribute(attribute, expectedValues: expected)
        case .hostAttributeValue(let attribute, let values): .hostAttributeValue(attribute: attribute, values: values)
        case .exclusiveHost: .exclusiveHost
        case .hostname(let values): .hostname(values.map { HostName($0) })
        }
    }

    /// A host's capacity as FenzoCore counts it (disk in MB).
    static func capacity(of id: HostID, resources: HostResources, attributes: [String: String]) -> HostCapacity {
        HostCapacity(
            name: id.hostName,
            resources: Resources(
                cpus: resources.cpus,
                memoryMB: Double(resources.memoryMB),
                diskMB: Double(resources.diskGB) * 1024,
                networkMbps: Double(resources.networkMbps)
            ),
            ports: PortRanges(resources.portRanges.filter { $0.first <= $0.last }.map { $0.first...$0.last }),
            scalars: resources.scalars,
            attributes: attributes
        )
    }
}

/// Keeps image jobs off hosts whose agent reported no usable Docker engine (`docker=false`,
/// see Docs/agent.md); hosts that say nothing (simulated ones, agents driven by tests) may
/// take them.
struct RunsContainers: CustomConstraint {
    var name: String { "runsContainers" }

    func evaluate(_ task: TaskRequest, on host: HostView) -> ConstraintVerdict {
        guard host.attributes["docker"] == "false" else { return ConstraintVerdict(score: 1) }
        return ConstraintVerdict(
            score: 0,
            reason: "the host has no Docker engine (its agent reports docker=false) and the job runs an image"
        )
    }
}
