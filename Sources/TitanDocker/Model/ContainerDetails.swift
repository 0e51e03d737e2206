import Foundation

/// A container as the engine reports it on inspection: what it runs, its limits, its state.
public struct ContainerDetails: Hashable, Sendable, Codable {
    public var id: ContainerID
    /// The name without the engine's leading slash.
    public var name: String
    /// The image as named at creation.
    public var image: ImageReference
    public var imageID: ImageID
    public var command: [String]
    public var environment: [String: String]
    public var labels: [String: String]
    public var workingDirectory: String
    public var createdAt: Date?
    public var state: ContainerState
    /// The limits read back from the engine (`HostConfig`).
    public var limits: ResourceLimits
    public var networkMode: NetworkMode?
    public var mounts: [Mount]
    public var portBindings: [PortBinding]
    /// Whether the engine's init runs as PID 1.
    public var runsInit: Bool
    /// The log driver in force.
    public var logDriver: ContainerLogDriver?
}

/// Where a container is in its life, and how it ended.
public struct ContainerState: Hashable, Sendable, Codable {
    public var status: ContainerStatus
    public var isRunning: Bool
    /// The main process's exit code once it has exited (137 after SIGKILL or an OOM kill).
    public var exitCode: Int
    /// Whether the kernel killed it for going over its memory limit.
    public var wasOOMKilled: Bool
    /// The main process's id on the host while running, else 0.
    public var pid: Int
    /// Why the engine could not start or run it, if it says.
    public var error: String?
    public var startedAt: Date?
    public var finishedAt: Date?
}

/// The engine's word for a container's state.
public struct ContainerStatus: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let created = ContainerStatus(rawValue: "created")
    public static let running = ContainerStatus(rawValue: "running")
    public static let paused = ContainerStatus(rawValue: "paused")
    public static let restarting = ContainerStatus(rawValue: "restarting")
    public static let removing = ContainerStatus(rawValue: "removing")
    public static let exited = ContainerStatus(rawValue: "exited")
    public static let dead = ContainerStatus(rawValue: "dead")

    public var description: String { rawValue }
}

/// One line of a container listing.
public struct ContainerSummary: Hashable, Sendable, Codable {
    public var id: ContainerID
    /// Names without the engine's leading slash.
    public var names: [String]
    public var image: ImageReference
    public var labels: [String: String]
    public var status: ContainerStatus
    /// The engine's human summary ("Exited (0) 3 seconds ago").
    public var statusText: String
    public var createdAt: Date
}

/// How a container's main process ended.
public struct ContainerExit: Hashable, Sendable, Codable {
    public var exitCode: Int
    /// The engine's error while waiting, if any.
    public var errorMessage: String?
}
