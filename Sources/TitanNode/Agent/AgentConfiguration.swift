import Foundation
import TitanLogFiles
import TitanModel

/// Everything `titan-agent` is told by its flags and config file; every field has a default a
/// single-host setup works with.
public struct AgentConfiguration: Sendable {
    /// The host's name in Titan. Default: the machine's hostname.
    public var agentID: HostID
    /// titan-api's base URL.
    public var apiURL: String
    /// Run records, logs, the status journal and the order cursor live here.
    public var workDirectory: String
    /// Where the agent serves logs, `/metrics` and `/v1/agent`.
    public var listenHost: String
    public var listenPort: Int
    /// The address the API is given to reach the agent; default `http://<listen host>:<port>`
    /// (the hostname when listening on all interfaces).
    public var advertiseURL: String?
    /// Where the metadata endpoint listens: loopback, so only tasks on this host reach it.
    public var metadataHost: String
    public var metadataPort: Int
    /// The metadata address tasks are given; default `http://<metadata host>:<metadata port>`.
    public var metadataURL: String?
    /// The Docker engine's socket; nil runs no containers.
    public var dockerSocket: String?
    /// The network containers join: `host` (default; the task binds its assigned ports itself)
    /// or `bridge` (the engine maps each assigned port to the same port inside).
    public var dockerNetwork: String
    /// Whether command-only launches run as processes.
    public var runsProcesses: Bool
    /// The `titan-task-shim` executable; default beside `titan-agent`.
    public var shimPath: String?
    /// Whether process-runtime tasks get a cgroup with their limits.
    public var usesCgroups: Bool
    /// The cgroup the runs' cgroups are made under, relative to each hierarchy's root.
    public var cgroupParent: String
    /// Detected figures replaced by the operator's.
    public var resourceOverrides: ResourceOverrides
    /// Host ports tasks may be given.
    public var portRanges: [PortRange]
    /// Other resources, such as `gpu`.
    public var scalars: [String: Double]
    /// `zone`, `instanceType`, `group` and any others constraints match on.
    public var attributes: [String: String]
    public var logRotation: LogRotationPolicy
    /// Where finished runs' logs are archived; nil keeps them in the work directory.
    public var logArchiveDirectory: String?
    public var usageInterval: Duration
    public var defaultKillGracePeriod: Duration
    public var orderWait: Duration
    public var finishedRunRetention: Duration
    /// Whether SIGTERM/SIGINT stop every task before the agent exits (reported killed); by
    /// default tasks keep running and the next agent on the host recovers them.
    public var stopsTasksOnExit: Bool

    public init(
        agentID: HostID = HostID(ProcessInfo.processInfo.hostName),
        apiURL: String = "http://127.0.0.1:8080",
        workDirectory: String = "/var/lib/titan-agent",
        listenHost: String = "127.0.0.1",
        listenPort: Int = 7070,
        advertiseURL: String? = nil,
        metadataHost: String = "127.0.0.1",
        metadataPort: Int = 7071,
        metadataURL: String? = nil,
        dockerSocket: String? = "/var/run/docker.sock",
        dockerNetwork: String = "host",
        runsProcesses: Bool = true,
        shimPath: String? = nil,
        usesCgroups: Bool = true,
        cgroupParent: String = "titan",
        resourceOverrides: ResourceOverrides = ResourceOverrides(),
        portRanges: [PortRange] = [PortRange(first: 31000, last: 31999)],
        scalars: [String: Double] = [:],
        attributes: [String: String] = [:],
        logRotation: LogRotationPolicy = LogRotationPolicy(),
        logArchiveDirectory: String? = nil,
        usageInterval: Duration = .seconds(5),
        defaultKillGracePeriod: Duration = .seconds(10),
        orderWait: Duration = .seconds(20),
        finishedRunRetention: Duration = .seconds(3600),
        stopsTasksOnExit: Bool = false
    ) {
        self.agentID = agentID
        self.apiURL = apiURL
        self.workDirectory = workDirectory
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.advertiseURL = advertiseURL
        self.metadataHost = metadataHost
        self.metadataPort = metadataPort
        self.metadataURL = metadataURL
        self.dockerSocket = dockerSocket
        self.dockerNetwork = dockerNetwork
        self.runsProcesses = runsProcesses
        self.shimPath = shimPath
        self.usesCgroups = usesCgroups
        self.cgroupParent = cgroupParent
        self.resourceOverrides = resourceOverrides
        self.portRanges = portRanges
        self.scalars = scalars
        self.attributes = attributes
        self.logRotation = logRotation
        self.logArchiveDirectory = logArchiveDirectory
        self.usageInterval = usageInterval
        self.defaultKillGracePeriod = defaultKillGracePeriod
        self.orderWait = orderWait
        self.finishedRunRetention = finishedRunRetention
        self.stopsTasksOnExit = stopsTasksOnExit
    }

    /// The address the API reaches the agent at.
    public var effectiveAdvertiseURL: String {
        if let advertiseURL { return advertiseURL }
        let host = listenHost == "0.0.0.0" || listenHost == "::" ? ProcessInfo.processInfo.hostName : listenHost
        return "http://\(host):\(listenPort)"
    }

    /// The metadata address tasks are given.
    public var effectiveMetadataURL: String {
        metadataURL ?? "http://\(metadataHost):\(metadataPort)"
    }
}

/// The agent's config file (`--config`): JSON whose fields mirror the flags; flags win.
///
/// ```json
/// {"agentID": "host-17", "api": "http://10.0.0.2:8080", "workDir": "/var/lib/titan-agent",
///  "zone": "zone-a", "instanceType": "m5.4xlarge", "group": "main",
///  "attributes": {"rack": "r12"}, "ports": "31000-31999", "scalars": {"gpu": 1},
///  "cpus": 14, "memoryMB": 60000, "logArchiveDir": "/srv/titan-logs"}
/// ```
public struct AgentConfigFile: Hashable, Sendable, Codable {
    public var agentID: String?
    public var api: String?
    public var workDir: String?
    public var listen: String?
    public var advertiseURL: String?
    public var metadataListen: String?
    public var metadataURL: String?
    public var dockerSocket: String?
    public var dockerNetwork: String?
    public var noDocker: Bool?
    public var noProcesses: Bool?
    public var shimPath: String?
    public var noCgroups: Bool?
    public var cgroupParent: String?
    public var cpus: Double?
    public var memoryMB: Int?
    public var diskGB: Int?
    public var networkMbps: Int?
    public var ports: String?
    public var scalars: [String: Double]?
    public var zone: String?
    public var instanceType: String?
    public var group: String?
    public var attributes: [String: String]?
    public var logMaxBytes: Int?
    public var logKeep: Int?
    public var logArchiveDir: String?
    public var usageIntervalSeconds: Double?
    public var killGraceSeconds: Double?
    public var stopTasksOnExit: Bool?

    /// Reads a config file, saying what is wrong with it.
    public static func load(path: String) throws(AgentFileError) -> AgentConfigFile {
        guard let bytes = try FileIO.read(path) else {
            throw AgentFileError(path: path, message: "the config file \(path) does not exist")
        }
        do {
            let decoder = JSONDecoder()
            return try decoder.decode(AgentConfigFile.self, from: Data(bytes))
        } catch let DecodingError.dataCorrupted(context) {
            throw AgentFileError(
                path: path,
                message: "the config file \(path) is not valid JSON: \(context.debugDescription)"
            )
        } catch let DecodingError.typeMismatch(_, context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw AgentFileError(path: path, message: "in \(path), \(field): \(context.debugDescription)")
        } catch {
            throw AgentFileError(path: path, message: "the config file \(path) cannot be read: \(error)")
        }
    }
}

/// Reads `31000-31999,32100-32199` into port ranges.
public func parsePortRanges(_ text: String) -> [PortRange]? {
    var ranges: [PortRange] = []
    for part in text.split(separator: ",") {
        let bounds = part.split(separator: "-").map { $0.trimmingCharacters(in: .whitespaces) }
        if bounds.count == 2, let first = Int(bounds[0]), let last = Int(bounds[1]), 1...65535 ~= first,
            first...65535 ~= last
        {
            ranges.append(PortRange(first: first, last: last))
        } else if bounds.count == 1, let port = Int(bounds[0]), 1...65535 ~= port {
            ranges.append(PortRange(first: port, last: port))
        } else {
            return nil
        }
    }
    return ranges
}

/// Reads `host:port` (or `[v6]:port`).
public func parseHostPort(_ text: String) -> (host: String, port: Int)? {
    guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), 0...65535 ~= port
    else { return nil }
    var host = String(text[..<colon])
    if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    return host.isEmpty ? nil : (host, port)
}
