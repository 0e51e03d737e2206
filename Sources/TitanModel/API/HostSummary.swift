import Foundation

/// A host (agent) as the API shows it.
public struct HostSummary: Hashable, Codable, Sendable {
    public var id: HostID
    /// Where the agent listens, such as `10.0.0.5:7102`.
    public var address: String
    public var resources: HostResources
    /// Attributes constraints match on (`zone`, `instanceType`, …).
    public var attributes: [String: String]
    public var state: HostState
    /// Until when the host takes no new tasks; nil when enabled.
    public var disabledUntil: Date?
    public var lastHeartbeatAt: Date?
    public var registeredAt: Date
    /// Tasks placed on the host and not finished, when the server counted them.
    public var taskCount: Int?

    public init(
        id: HostID,
        address: String,
        resources: HostResources,
        attributes: [String: String],
        state: HostState,
        disabledUntil: Date?,
        lastHeartbeatAt: Date?,
        registeredAt: Date,
        taskCount: Int? = nil
    ) {
        self.id = id
        self.address = address
        self.resources = resources
        self.attributes = attributes
        self.state = state
        self.disabledUntil = disabledUntil
        self.lastHeartbeatAt = lastHeartbeatAt
        self.registeredAt = registeredAt
        self.taskCount = taskCount
    }
}

/// What a host offers in all.
public struct HostResources: Hashable, Codable, Sendable {
    public var cpus: Double
    public var memoryMB: Int
    public var diskGB: Int
    public var networkMbps: Int
    /// Host ports tasks may be given.
    public var portRanges: [PortRange]
    /// Other named resources, such as `["gpu": 4]`.
    public var scalars: [String: Double]

    public init(
        cpus: Double,
        memoryMB: Int,
        diskGB: Int,
        networkMbps: Int = 0,
        portRanges: [PortRange] = [],
        scalars: [String: Double] = [:]
    ) {
        self.cpus = cpus
        self.memoryMB = memoryMB
        self.diskGB = diskGB
        self.networkMbps = networkMbps
        self.portRanges = portRanges
        self.scalars = scalars
    }

    private enum CodingKeys: String, CodingKey {
        case cpus, memoryMB, diskGB, networkMbps, portRanges, scalars
    }

    /// Reads `networkMbps`, `portRanges` and `scalars` as optional, so bodies written
    /// before they existed still decode.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        cpus = try container.decode(Double.self, forKey: .cpus)
        memoryMB = try container.decode(Int.self, forKey: .memoryMB)
        diskGB = try container.decode(Int.self, forKey: .diskGB)
        networkMbps = try container.decodeIfPresent(Int.self, forKey: .networkMbps) ?? 0
        portRanges = try container.decodeIfPresent([PortRange].self, forKey: .portRanges) ?? []
        scalars = try container.decodeIfPresent([String: Double].self, forKey: .scalars) ?? [:]
    }
}

/// An inclusive range of port numbers, `{"first": 31000, "last": 32000}`.
public struct PortRange: Hashable, Codable, Sendable {
    public var first: Int
    public var last: Int

    public init(first: Int, last: Int) {
        self.first = first
        self.last = last
    }
}

/// Whether a host is answering.
public enum HostState: String, Hashable, Codable, CaseIterable, Sendable {
    /// Heartbeating.
    case up
    /// Stopped heartbeating; its tasks are presumed lost.
    case down
}
