import Foundation

/// Something that happened on the engine: a container started, died, was removed…
public struct DockerEvent: Hashable, Sendable, Codable {
    /// What kind of object it happened to (`container`, `image`, `network`, `volume`).
    public var kind: String
    /// What happened (`create`, `start`, `die`, `oom`, `kill`, `destroy`…).
    public var action: String
    /// The id of the object it happened to.
    public var actorID: String
    /// The object's attributes at the time: for containers, its labels, `image`, `name`, and for
    /// `die`, `exitCode`.
    public var attributes: [String: String]
    public var time: Date

    /// The container, for container events.
    public var containerID: ContainerID? { kind == "container" ? ContainerID(actorID) : nil }
    /// The exit code, for a container's `die` event.
    public var exitCode: Int? { attributes["exitCode"].flatMap { Int($0) } }
}

/// Which events to receive; empty fields don't filter.
public struct EventFilter: Hashable, Sendable {
    /// Only objects carrying all these labels.
    public var labels: [String: String]
    /// Only these kinds of object (`container`, `image`).
    public var kinds: [String]
    /// Only these actions (`start`, `die`).
    public var actions: [String]
    /// Only these containers.
    public var containers: [ContainerID]

    public init(
        labels: [String: String] = [:],
        kinds: [String] = [],
        actions: [String] = [],
        containers: [ContainerID] = []
    ) {
        self.labels = labels
        self.kinds = kinds
        self.actions = actions
        self.containers = containers
    }

    /// The engine's `filters` query value.
    var engineFilters: [String: [String]] {
        var filters: [String: [String]] = [:]
        if !labels.isEmpty { filters["label"] = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } }
        if !kinds.isEmpty { filters["type"] = kinds }
        if !actions.isEmpty { filters["event"] = actions }
        if !containers.isEmpty { filters["container"] = containers.map(\.rawValue) }
        return filters
    }
}
