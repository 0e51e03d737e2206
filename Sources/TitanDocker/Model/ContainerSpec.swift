/// What to run in a new container: the image, the process, its environment and its limits.
///
/// Our own shape, translated to the engine's create request by ``DockerClient/createContainer(_:name:)``.
public struct ContainerSpec: Hashable, Sendable, Codable {
    public var image: ImageReference
    /// The command and its arguments; nil runs the image's default command.
    public var command: [String]?
    /// Replaces the image's entrypoint when set.
    public var entrypoint: [String]?
    public var environment: [String: String]
    /// Labels to find the container by later (``DockerClient/listContainers(labels:includeStopped:)``).
    public var labels: [String: String]
    /// The directory the command starts in; nil for the image's.
    public var workingDirectory: String?
    /// The user to run as (`name`, `uid` or `uid:gid`); nil for the image's.
    public var user: String?
    public var limits: ResourceLimits
    /// The network to join; nil for the engine's default (a bridge, which the test engine lacks).
    public var networkMode: NetworkMode?
    public var mounts: [Mount]
    public var portBindings: [PortBinding]
    /// Runs the engine's small init (`docker-init`, tini) as PID 1, so the command gets signals
    /// (a plain PID 1 ignores SIGTERM it has no handler for) and its zombies are reaped.
    public var runsInit: Bool
    /// Where the engine keeps the container's output, and how much; nil for the engine's default.
    public var logDriver: ContainerLogDriver?

    public init(
        image: ImageReference,
        command: [String]? = nil,
        entrypoint: [String]? = nil,
        environment: [String: String] = [:],
        labels: [String: String] = [:],
        workingDirectory: String? = nil,
        user: String? = nil,
        limits: ResourceLimits = ResourceLimits(),
        networkMode: NetworkMode? = nil,
        mounts: [Mount] = [],
        portBindings: [PortBinding] = [],
        runsInit: Bool = false,
        logDriver: ContainerLogDriver? = nil
    ) {
        self.image = image
        self.command = command
        self.entrypoint = entrypoint
        self.environment = environment
        self.labels = labels
        self.workingDirectory = workingDirectory
        self.user = user
        self.limits = limits
        self.networkMode = networkMode
        self.mounts = mounts
        self.portBindings = portBindings
        self.runsInit = runsInit
        self.logDriver = logDriver
    }
}

/// The engine's log driver for a container and its options (`HostConfig.LogConfig`).
public struct ContainerLogDriver: Hashable, Sendable, Codable {
    /// The driver's name, such as `json-file` (the only one whose output the logs call reads
    /// back on every engine) or `local`.
    public var name: String
    /// Driver options, such as `["max-size": "10m", "max-file": "2"]` for `json-file`.
    public var options: [String: String]

    public init(name: String, options: [String: String] = [:]) {
        self.name = name
        self.options = options
    }

    /// `json-file`, keeping at most `maxFiles` files of `maxSizeBytes` each on the engine.
    public static func jsonFile(maxSizeBytes: Int, maxFiles: Int) -> ContainerLogDriver {
        ContainerLogDriver(
            name: "json-file",
            options: ["max-size": String(maxSizeBytes), "max-file": String(maxFiles)]
        )
    }
}

/// The CPU and memory a container may use; nil fields leave the engine's default (no limit).
public struct ResourceLimits: Hashable, Sendable, Codable {
    /// A hard cap on CPU time.
    public var cpu: CPULimit?
    /// The container's weight when CPUs are contended (1024 is the engine's default weight).
    public var cpuShares: Int?
    /// The memory cap; past it the kernel kills the container (exit 137, OOM-killed).
    public var memoryBytes: Int64?

    public init(cpu: CPULimit? = nil, cpuShares: Int? = nil, memoryBytes: Int64? = nil) {
        self.cpu = cpu
        self.cpuShares = cpuShares
        self.memoryBytes = memoryBytes
    }
}

/// A hard CPU cap, in one of the two forms the engine takes.
public enum CPULimit: Hashable, Sendable, Codable {
    /// A number of cores, fractions allowed (`NanoCpus`).
    case cores(Double)
    /// At most `quota` of CPU time in every `period` (`CpuQuota`/`CpuPeriod`, microseconds).
    case quota(Duration, period: Duration)

    /// The cap in billionths of a CPU, as `NanoCpus` takes it.
    var nanoCPUs: Int64? {
        guard case .cores(let cores) = self else { return nil }
        return Int64((cores * 1_000_000_000).rounded())
    }
}

/// A network a container joins.
public struct NetworkMode: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The host's own network stack: no isolation, no port mapping; bind to 127.0.0.1.
    public static let host = NetworkMode(rawValue: "host")
    /// Only a loopback interface.
    public static let none = NetworkMode(rawValue: "none")
    /// The engine's default bridge.
    public static let bridge = NetworkMode(rawValue: "bridge")

    public var description: String { rawValue }
}

/// A file system mounted into a container.
public struct Mount: Hashable, Sendable, Codable {
    /// What is mounted.
    public enum Kind: String, Hashable, Sendable, Codable {
        /// A host path.
        case bind
        /// A named volume the engine manages (created on first use).
        case volume
        /// Memory-backed scratch space.
        case tmpfs
    }

    public var kind: Kind
    /// The host path (bind) or volume name (volume); empty for tmpfs.
    public var source: String
    /// The path inside the container.
    public var target: String
    public var readOnly: Bool

    public init(kind: Kind, source: String, target: String, readOnly: Bool = false) {
        self.kind = kind
        self.source = source
        self.target = target
        self.readOnly = readOnly
    }

    /// A host directory or file at `target`.
    public static func bind(_ hostPath: String, at target: String, readOnly: Bool = false) -> Mount {
        Mount(kind: .bind, source: hostPath, target: target, readOnly: readOnly)
    }

    /// A named volume at `target`.
    public static func volume(_ name: String, at target: String, readOnly: Bool = false) -> Mount {
        Mount(kind: .volume, source: name, target: target, readOnly: readOnly)
    }
}

/// A container port published on a host address. Ignored by the engine in host network mode.
public struct PortBinding: Hashable, Sendable, Codable {
    /// The transport protocol of a port.
    public enum TransportProtocol: String, Hashable, Sendable, Codable {
        case tcp
        case udp
    }

    public var containerPort: Int
    public var transport: TransportProtocol
    /// The host address to listen on; 127.0.0.1 keeps it off other networks.
    public var hostIP: String
    /// The host port; nil lets the engine pick one.
    public var hostPort: Int?

    public init(
        containerPort: Int,
        transport: TransportProtocol = .tcp,
        hostIP: String = "127.0.0.1",
        hostPort: Int? = nil
    ) {
        self.containerPort = containerPort
        self.transport = transport
        self.hostIP = hostIP
        self.hostPort = hostPort
    }
}
