/// A packing workload in the v1 format: a fleet of hosts and a stream of tasks.
///
/// The format is the one `../shared/workloads/FORMAT.md` describes and `Docs/benchmarks.md`
/// restates: cpus in cores, memory and disk in MB, network in Mbps, time in seconds;
/// fields left out are 0 or empty.
public struct Workload: Codable, Sendable {
    public var name: String
    public var hosts: [WorkloadHost]
    public var tasks: [WorkloadTask]

    public init(name: String, hosts: [WorkloadHost], tasks: [WorkloadTask]) {
        self.name = name
        self.hosts = hosts
        self.tasks = tasks
    }

    /// Whether tasks arrive over time or end: then the workload is replayed in time
    /// order; otherwise it is one batch at time 0.
    public var isTimed: Bool { tasks.contains { $0.submitAt != nil || $0.durationS != nil } }

    /// Whether any task has soft constraints, so strategies that ignore them differ.
    public var hasSoftConstraints: Bool { tasks.contains { !$0.softConstraints.isEmpty } }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decodeIfPresent(String.self, forKey: .name) ?? ""
        hosts = try container.decodeIfPresent([WorkloadHost].self, forKey: .hosts) ?? []
        tasks = try container.decodeIfPresent([WorkloadTask].self, forKey: .tasks) ?? []
    }

    /// Every reason the workload cannot be scheduled as written: bad amounts, duplicate
    /// names or ids, constraints missing their fields.
    public func problems() -> [String] {
        var found: [String] = []
        var hostNames = Set<String>()
        for (position, host) in hosts.enumerated() {
            let at = "hosts[\(position)] (\(host.name))"
            if host.name.isEmpty { found.append("hosts[\(position)]: name is empty") }
            if !hostNames.insert(host.name).inserted { found.append("\(at): a host of this name is listed twice") }
            found += amountProblems(at, host.cpus, host.memoryMB, host.diskMB, host.networkMbps)
            for range in host.ports {
                if range.count != 2 {
                    found.append("\(at): ports must be [low, high] pairs, got \(range)")
                } else if range[0] > range[1] || range[0] < 0 || range[1] > 65535 {
                    found.append("\(at): port range \(range[0])-\(range[1]) is not a range inside 0-65535")
                }
            }
            for (scalar, amount) in host.scalars.sorted(by: { $0.key < $1.key }) where !(amount >= 0) {
                found.append("\(at): scalar \(scalar) is \(amount); it must be at least 0")
            }
        }
        var taskIDs = Set<String>()
        for (position, task) in tasks.enumerated() {
            let at = "tasks[\(position)] (\(task.id))"
            if task.id.isEmpty { found.append("tasks[\(position)]: id is empty") }
            if !taskIDs.insert(task.id).inserted { found.append("\(at): a task with this id is listed twice") }
            found += amountProblems(at, task.cpus, task.memoryMB, task.diskMB, task.networkMbps)
            if task.ports < 0 { found.append("\(at): ports is \(task.ports); it must be at least 0") }
            if let submitAt = task.submitAt, !(submitAt >= 0 && submitAt.isFinite) {
                found.append("\(at): submitAt is \(submitAt); it must be a time of at least 0")
            }
            if let duration = task.durationS, !(duration >= 0 && duration.isFinite) {
                found.append("\(at): durationS is \(duration); it must be at least 0")
            }
            for (scalar, amount) in task.scalars.sorted(by: { $0.key < $1.key }) where !(amount >= 0) {
                found.append("\(at): scalar \(scalar) is \(amount); it must be at least 0")
            }
            for constraint in task.hardConstraints { found += constraint.problems(at: "\(at) hard constraint") }
            for constraint in task.softConstraints { found += constraint.problems(at: "\(at) soft constraint") }
        }
        return found
    }

    private func amountProblems(_ at: String, _ amounts: Double...) -> [String] {
        zip(["cpus", "memoryMB", "diskMB", "networkMbps"], amounts).compactMap { name, value in
            value >= 0 && value.isFinite ? nil : "\(at): \(name) is \(value); it must be a finite number of at least 0"
        }
    }
}

/// One host of the fleet.
public struct WorkloadHost: Codable, Sendable, Hashable {
    public var name: String
    public var cpus: Double
    public var memoryMB: Double
    public var diskMB: Double
    public var networkMbps: Double
    /// Inclusive `[low, high]` ranges of host ports tasks may be given.
    public var ports: [[Int]]
    /// Other named resources, such as `gpu`.
    public var scalars: [String: Double]
    /// Free-form attributes such as `zone`; `name` is always an attribute too.
    public var attributes: [String: String]

    public init(
        name: String,
        cpus: Double,
        memoryMB: Double,
        diskMB: Double = 0,
        networkMbps: Double = 0,
        ports: [[Int]] = [],
        scalars: [String: Double] = [:],
        attributes: [String: String] = [:]
    ) {
        self.name = name
        self.cpus = cpus
        self.memoryMB = memoryMB
        self.diskMB = diskMB
        self.networkMbps = networkMbps
        self.ports = ports
        self.scalars = scalars
        self.attributes = attributes
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        cpus = try container.decodeIfPresent(Double.self, forKey: .cpus) ?? 0
        memoryMB = try container.decodeIfPresent(Double.self, forKey: .memoryMB) ?? 0
        diskMB = try container.decodeIfPresent(Double.self, forKey: .diskMB) ?? 0
        networkMbps = try container.decodeIfPresent(Double.self, forKey: .networkMbps) ?? 0
        ports = try container.decodeIfPresent([[Int]].self, forKey: .ports) ?? []
        scalars = try container.decodeIfPresent([String: Double].self, forKey: .scalars) ?? [:]
        attributes = try container.decodeIfPresent([String: String].self, forKey: .attributes) ?? [:]
    }

    /// The host's value of an attribute; `name` is the host's name.
    public func attribute(_ attribute: String) -> String? {
        attribute == "name" ? name : attributes[attribute]
    }

    /// The amount of one of the four resources.
    public func amount(_ resource: WorkloadResource) -> Double {
        switch resource {
        case .cpus: cpus
        case .memoryMB: memoryMB
        case .diskMB: diskMB
        case .networkMbps: networkMbps
        }
    }
}

/// One task of the stream.
public struct WorkloadTask: Codable, Sendable, Hashable {
    public var id: String
    /// The job the task belongs to; a task without one is a group of its own (its id).
    public var group: String?
    public var cpus: Double
    public var memoryMB: Double
    public var diskMB: Double
    public var networkMbps: Double
    /// How many host ports the task needs.
    public var ports: Int
    public var scalars: [String: Double]
    /// When the task is submitted; nil means at time 0.
    public var submitAt: Double?
    /// How long the task runs once placed; nil means it never ends.
    public var durationS: Double?
    public var hardConstraints: [WorkloadConstraint]
    public var softConstraints: [WorkloadConstraint]

    public init(
        id: String,
        group: String? = nil,
        cpus: Double,
        memoryMB: Double,
        diskMB: Double = 0,
        networkMbps: Double = 0,
        ports: Int = 0,
        scalars: [String: Double] = [:],
        submitAt: Double? = nil,
        durationS: Double? = nil,
        hardConstraints: [WorkloadConstraint] = [],
        softConstraints: [WorkloadConstraint] = []
    ) {
        self.id = id
        self.group = group
        self.cpus = cpus
        self.memoryMB = memoryMB
        self.diskMB = diskMB
        self.networkMbps = networkMbps
        self.ports = ports
        self.scalars = scalars
        self.submitAt = submitAt
        self.durationS = durationS
        self.hardConstraints = hardConstraints
        self.softConstraints = softConstraints
    }

    private enum CodingKeys: String, CodingKey {
        case id, group, cpus, memoryMB, diskMB, networkMbps, ports, scalars, submitAt, durationS
        case hardConstraints, softConstraints
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        group = try container.decodeIfPresent(String.self, forKey: .group)
        cpus = try container.decodeIfPresent(Double.self, forKey: .cpus) ?? 0
        memoryMB = try container.decodeIfPresent(Double.self, forKey: .memoryMB) ?? 0
        diskMB = try container.decodeIfPresent(Double.self, forKey: .diskMB) ?? 0
        networkMbps = try container.decodeIfPresent(Double.self, forKey: .networkMbps) ?? 0
        ports = try container.decodeIfPresent(Int.self, forKey: .ports) ?? 0
        scalars = try container.decodeIfPresent([String: Double].self, forKey: .scalars) ?? [:]
        submitAt = try container.decodeIfPresent(Double.self, forKey: .submitAt)
        durationS = try container.decodeIfPresent(Double.self, forKey: .durationS)
        hardConstraints = try container.decodeIfPresent([WorkloadConstraint].self, forKey: .hardConstraints) ?? []
        softConstraints = try container.decodeIfPresent([WorkloadConstraint].self, forKey: .softConstraints) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encodeIfPresent(group, forKey: .group)
        try container.encode(cpus, forKey: .cpus)
        try container.encode(memoryMB, forKey: .memoryMB)
        try container.encode(diskMB, forKey: .diskMB)
        try container.encode(networkMbps, forKey: .networkMbps)
        try container.encode(ports, forKey: .ports)
        if !scalars.isEmpty { try container.encode(scalars, forKey: .scalars) }
        try container.encodeIfPresent(submitAt, forKey: .submitAt)
        try container.encodeIfPresent(durationS, forKey: .durationS)
        if !hardConstraints.isEmpty { try container.encode(hardConstraints, forKey: .hardConstraints) }
        if !softConstraints.isEmpty { try container.encode(softConstraints, forKey: .softConstraints) }
    }

    /// The group constraints count the task in: its `group`, or its id when it has none.
    public var groupKey: String { group ?? id }

    /// When the task is submitted, 0 when not given.
    public var submitTime: Double { submitAt ?? 0 }

    /// The amount of one of the four resources.
    public func amount(_ resource: WorkloadResource) -> Double {
        switch resource {
        case .cpus: cpus
        case .memoryMB: memoryMB
        case .diskMB: diskMB
        case .networkMbps: networkMbps
        }
    }

    /// Whether the task must be alone on its host.
    public var isExclusive: Bool { hardConstraints.contains { $0.type == .exclusiveHost } }
}

/// The four resources every host and task has, in the order the format lists them.
public enum WorkloadResource: String, CaseIterable, Sendable {
    case cpus
    case memoryMB
    case diskMB
    case networkMbps
}

/// A placement constraint as the format writes it.
public struct WorkloadConstraint: Codable, Sendable, Hashable {
    /// The constraint types of the v1 format.
    public enum Kind: String, Codable, Sendable, Hashable {
        case hostAttrValue
        case uniqueHostAttr
        case balancedHostAttr
        case exclusiveHost
    }

    public var type: Kind
    public var attribute: String?
    public var values: [String]?
    public var expectedValues: Int?

    public init(type: Kind, attribute: String? = nil, values: [String]? = nil, expectedValues: Int? = nil) {
        self.type = type
        self.attribute = attribute
        self.values = values
        self.expectedValues = expectedValues
    }

    public static func hostAttrValue(_ attribute: String, _ values: [String]) -> WorkloadConstraint {
        WorkloadConstraint(type: .hostAttrValue, attribute: attribute, values: values)
    }
    public static func uniqueHostAttr(_ attribute: String) -> WorkloadConstraint {
        WorkloadConstraint(type: .uniqueHostAttr, attribute: attribute)
    }
    public static func balancedHostAttr(_ attribute: String, expectedValues: Int? = nil) -> WorkloadConstraint {
        WorkloadConstraint(type: .balancedHostAttr, attribute: attribute, expectedValues: expectedValues)
    }
    public static let exclusiveHost = WorkloadConstraint(type: .exclusiveHost)

    func problems(at: String) -> [String] {
        var found: [String] = []
        switch type {
        case .hostAttrValue:
            if (attribute ?? "").isEmpty { found.append("\(at) hostAttrValue: attribute is missing") }
            if (values ?? []).isEmpty { found.append("\(at) hostAttrValue: values is missing or empty") }
        case .uniqueHostAttr, .balancedHostAttr:
            if (attribute ?? "").isEmpty { found.append("\(at) \(type.rawValue): attribute is missing") }
            if let expected = expectedValues, expected < 1 {
                found.append("\(at) \(type.rawValue): expectedValues is \(expected); it must be at least 1")
            }
        case .exclusiveHost:
            break
        }
        return found
    }
}
