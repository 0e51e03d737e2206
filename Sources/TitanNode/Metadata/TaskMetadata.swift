import Foundation
import TitanModel

/// What a run sees at its metadata address (`TITAN_METADATA_URL`): like a cloud's instance
/// metadata, but for the task. `GET <address>` returns it as JSON; `GET <address>/<field>`
/// returns one field as plain text (`taskID`, `jobName`, `ports`, `host`, `zone`, …).
public struct TaskMetadata: Hashable, Sendable, Codable {
    public var taskID: TaskInstanceID
    public var attempt: Int
    public var jobID: JobID
    public var jobName: String
    public var image: String?
    public var command: [String]?
    public var ports: [Int]
    /// The agent's id: the host's name in Titan.
    public var host: HostID
    public var zone: String?
    /// Every attribute of the host (`zone`, `instanceType`, `group`, …).
    public var attributes: [String: String]
    public var cpus: Double
    public var memoryMB: Int
    public var startedAt: Date?
    /// `docker` or `process`.
    public var runtime: String

    public init(
        taskID: TaskInstanceID,
        attempt: Int,
        jobID: JobID,
        jobName: String,
        image: String?,
        command: [String]?,
        ports: [Int],
        host: HostID,
        zone: String?,
        attributes: [String: String],
        cpus: Double,
        memoryMB: Int,
        startedAt: Date?,
        runtime: String
    ) {
        self.taskID = taskID
        self.attempt = attempt
        self.jobID = jobID
        self.jobName = jobName
        self.image = image
        self.command = command
        self.ports = ports
        self.host = host
        self.zone = zone
        self.attributes = attributes
        self.cpus = cpus
        self.memoryMB = memoryMB
        self.startedAt = startedAt
        self.runtime = runtime
    }

    /// One field as plain text, or nil for an unknown field name. Lists are comma separated;
    /// an absent value is empty.
    public func field(_ name: String) -> String? {
        switch name {
        case "taskID": taskID.rawValue
        case "attempt": String(attempt)
        case "jobID": jobID.rawValue
        case "jobName": jobName
        case "image": image ?? ""
        case "command": (command ?? []).joined(separator: " ")
        case "ports": ports.map(String.init).joined(separator: ",")
        case "host": host.rawValue
        case "zone": zone ?? ""
        case "cpus": String(cpus)
        case "memoryMB": String(memoryMB)
        case "startedAt": startedAt.map(TitanJSON.format) ?? ""
        case "runtime": runtime
        default: attributes[name]
        }
    }

    /// The names ``field(_:)`` answers, listed at `<address>/`.
    public var fieldNames: [String] {
        [
            "taskID", "attempt", "jobID", "jobName", "image", "command", "ports", "host", "zone", "cpus", "memoryMB",
            "startedAt", "runtime",
        ] + attributes.keys.filter { $0 != "zone" }.sorted()
    }
}
