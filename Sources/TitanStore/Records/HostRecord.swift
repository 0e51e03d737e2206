import Foundation
import TitanModel

/// A host (agent) as stored.
public struct HostRecord: Hashable, Sendable {
    public var id: HostID
    public var address: String
    public var resources: HostResources
    public var attributes: [String: String]
    public var state: HostState
    /// Until when it takes no new tasks; nil when enabled. `Date.distantFuture` for "until enabled".
    public var disabledUntil: Date?
    public var lastHeartbeatAt: Date?
    public var registeredAt: Date
    public var updatedAt: Date

    public init(
        id: HostID,
        address: String,
        resources: HostResources,
        attributes: [String: String],
        state: HostState,
        disabledUntil: Date?,
        lastHeartbeatAt: Date?,
        registeredAt: Date,
        updatedAt: Date
    ) {
        self.id = id
        self.address = address
        self.resources = resources
        self.attributes = attributes
        self.state = state
        self.disabledUntil = disabledUntil
        self.lastHeartbeatAt = lastHeartbeatAt
        self.registeredAt = registeredAt
        self.updatedAt = updatedAt
    }

    /// Whether the host takes no new tasks at `now`.
    public func isDisabled(at now: Date) -> Bool { disabledUntil.map { $0 > now } ?? false }

    /// The API's view of the host.
    public func summary(taskCount: Int? = nil) -> HostSummary {
        HostSummary(
            id: id,
            address: address,
            resources: resources,
            attributes: attributes,
            state: state,
            disabledUntil: disabledUntil,
            lastHeartbeatAt: lastHeartbeatAt,
            registeredAt: registeredAt,
            taskCount: taskCount
        )
    }
}

/// What an agent reports when it registers (or re-registers).
public struct HostRegistration: Hashable, Sendable {
    public var id: HostID
    public var address: String
    public var resources: HostResources
    public var attributes: [String: String]

    public init(id: HostID, address: String, resources: HostResources, attributes: [String: String] = [:]) {
        self.id = id
        self.address = address
        self.resources = resources
        self.attributes = attributes
    }
}
