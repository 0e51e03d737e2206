import ArgumentParser
import Foundation
import Logging
import TitanLogFiles
import TitanModel
import TitanNode

/// `titan-agent`: runs on every host; registers with titan-api, runs what it is told in Docker
/// containers or as processes, reports status, usage and logs. See Docs/agent.md.
@main
struct TitanAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "titan-agent",
        abstract: "Runs Titan tasks on this host as Docker containers or processes.",
        discussion: """
            Settings come from flags, then environment variables (TITAN_API, TITAN_AGENT_ID, \
            TITAN_AGENT_WORK_DIR, TITAN_AGENT_CONFIG, TITAN_AGENT_LOG_LEVEL, DOCKER_HOST as \
            unix://PATH), then the config file (--config, JSON with the flags' names), then defaults. \
            Resources not given are detected from /proc, the agent's cgroup and the work directory's \
            file system; --print-resources shows what was found. SIGTERM or SIGINT stop the agent; its \
            tasks keep running for the next agent to recover unless --stop-tasks-on-exit is given.
            """
    )

    @Option(help: "JSON config file whose fields mirror these flags (flags win). [env: TITAN_AGENT_CONFIG]")
    var config: String?

    @Option(
        name: .customLong("agent-id"),
        help: "The host's name in Titan (default: the hostname). [env: TITAN_AGENT_ID]"
    )
    var agentID: String?

    @Option(help: "titan-api's base URL (default http://127.0.0.1:8080). [env: TITAN_API]")
    var api: String?

    @Option(
        name: .customLong("work-dir"),
        help: "Run records, logs and the status journal (default /var/lib/titan-agent). [env: TITAN_AGENT_WORK_DIR]"
    )
    var workDirectory: String?

    @Option(help: "host:port to serve logs, /metrics and /v1/agent on (default 127.0.0.1:7070).")
    var listen: String?

    @Option(name: .customLong("advertise-url"), help: "The address titan-api reaches this agent at.")
    var advertiseURL: String?

    @Option(
        name: .customLong("metadata-listen"),
        help: "host:port of the task metadata endpoint (default 127.0.0.1:7071)."
    )
    var metadataListen: String?

    @Option(
        name: .customLong("metadata-url"),
        help: "The metadata address given to tasks (default http://<metadata-listen>)."
    )
    var metadataURL: String?

    @Option(
        name: .customLong("docker-socket"),
        help: "The Docker engine's socket (default /var/run/docker.sock). [env: DOCKER_HOST=unix://PATH]"
    )
    var dockerSocket: String?

    @Flag(name: .customLong("no-docker"), help: "Run no containers, even if an engine answers.")
    var noDocker = false

    @Option(name: .customLong("docker-network"), help: "host (default) or bridge.")
    var dockerNetwork: String?

    @Flag(name: .customLong("no-processes"), help: "Refuse command-only launches instead of running them as processes.")
    var noProcesses = false

    @Option(name: .customLong("shim-path"), help: "The titan-task-shim executable (default: beside titan-agent).")
    var shimPath: String?

    @Flag(name: .customLong("no-cgroups"), help: "Run processes without cgroup limits.")
    var noCgroups = false

    @Option(name: .customLong("cgroup-parent"), help: "The cgroup process tasks are put under (default titan).")
    var cgroupParent: String?

    @Option(help: "CPUs offered to tasks (default: detected).")
    var cpus: Double?

    @Option(name: .customLong("memory-mb"), help: "Memory offered to tasks, in MB (default: detected).")
    var memoryMB: Int?

    @Option(name: .customLong("disk-gb"), help: "Disk offered to tasks, in GB (default: free space of the work dir).")
    var diskGB: Int?

    @Option(name: .customLong("network-mbps"), help: "Network offered to tasks, in Mbps (default: link speed).")
    var networkMbps: Int?

    @Option(help: "Host ports tasks may be given, such as 31000-31999 (the default).")
    var ports: String?

    @Option(name: .customLong("scalar"), help: "A named resource, NAME=AMOUNT, such as gpu=1; repeatable.")
    var scalars: [String] = []

    @Option(help: "The zone attribute.")
    var zone: String?

    @Option(name: .customLong("instance-type"), help: "The instanceType attribute.")
    var instanceType: String?

    @Option(help: "The group attribute (the autoscaling group).")
    var group: String?

    @Option(name: .customLong("attribute"), help: "Another attribute, KEY=VALUE; repeatable.")
    var extraAttributes: [String] = []

    @Option(
        name: .customLong("log-max-bytes"),
        help: "Rotate a task's stdout or stderr file past this size (default 10485760)."
    )
    var logMaxBytes: Int?

    @Option(name: .customLong("log-keep"), help: "Rotated files kept per output (default 3).")
    var logKeep: Int?

    @Option(name: .customLong("log-archive-dir"), help: "Archive finished tasks' logs here.")
    var logArchiveDirectory: String?

    @Option(name: .customLong("usage-interval"), help: "Seconds between usage reports (default 5).")
    var usageIntervalSeconds: Double?

    @Option(
        name: .customLong("kill-grace"),
        help: "Seconds between SIGTERM and SIGKILL when none is given (default 10)."
    )
    var killGraceSeconds: Double?

    @Option(
        name: .customLong("log-level"),
        help: "trace, debug, info (default), notice, warning, error. [env: TITAN_AGENT_LOG_LEVEL]"
    )
    var logLevel: String?

    @Flag(
        name: .customLong("stop-tasks-on-exit"),
        help: "On SIGTERM or SIGINT, stop every task (reported killed) before exiting."
    )
    var stopTasksOnExit = false

    @Flag(name: .customLong("print-resources"), help: "Print the resources and attributes to offer, then exit.")
    var printResources = false

    func validate() throws {
        if let listen, parseHostPort(listen) == nil {
            throw ValidationError("--listen must be host:port, such as 127.0.0.1:7070, not \(listen)")
        }
        if let metadataListen, parseHostPort(metadataListen) == nil {
            throw ValidationError("--metadata-listen must be host:port, such as 127.0.0.1:7071, not \(metadataListen)")
        }
        if let ports, parsePortRanges(ports) == nil {
            throw ValidationError("--ports must be ranges such as 31000-31999,32100-32199, not \(ports)")
        }
        if let level = effectiveLogLevel, Logger.Level(rawValue: level) == nil {
            throw ValidationError(
                "log level \(level) (\(logLevel == nil ? "TITAN_AGENT_LOG_LEVEL" : "--log-level")) must be trace, "
                    + "debug, info, notice, warning, error or critical"
            )
        }
        for scalar in scalars where parseAssignment(scalar).flatMap({ Double($0.value) }) == nil {
            throw ValidationError("--scalar must be NAME=AMOUNT, such as gpu=1, not \(scalar)")
        }
        for attribute in extraAttributes where parseAssignment(attribute) == nil {
            throw ValidationError("--attribute must be KEY=VALUE, such as rack=r12, not \(attribute)")
        }
        if let dockerNetwork, !["host", "bridge"].contains(dockerNetwork) {
            throw ValidationError("--docker-network must be host or bridge, not \(dockerNetwork)")
        }
    }

    /// An environment variable, nil when unset or empty.
    static func environment(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    var effectiveLogLevel: String? { logLevel ?? Self.environment("TITAN_AGENT_LOG_LEVEL") }

    func run() async throws {
        let level = effectiveLogLevel.flatMap { Logger.Level(rawValue: $0) } ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "titan-agent")
        let configuration: AgentConfiguration
        do {
            configuration = try makeConfiguration()
        } catch let error as AgentFileError {
            throw ValidationError(error.message)
        }

        if printResources {
            try FileManager.default.createDirectory(
                atPath: configuration.workDirectory,
                withIntermediateDirectories: true
            )
            let detected = HostResourceDetection.detect(workDirectory: configuration.workDirectory)
            let resources = configuration.resourceOverrides.resources(
                detected: detected,
                portRanges: configuration.portRanges,
                scalars: configuration.scalars
            )
            let encoder = TitanJSON.encoder()
            encoder.outputFormatting.insert(.prettyPrinted)
            let body = PrintedResources(
                agentID: configuration.agentID,
                resources: resources,
                attributes: configuration.attributes,
                detectedFrom: detected.notes
            )
            print(String(decoding: try encoder.encode(body), as: UTF8.self))
            return
        }

        let agent = try await NodeAgent(configuration: configuration, logger: logger)
        logger.info(
            "titan-agent starting",
            metadata: [
                "agent.id": "\(configuration.agentID)", "api": "\(configuration.apiURL)",
                "listen": "\(configuration.listenHost):\(configuration.listenPort)",
                "metadata": "\(configuration.effectiveMetadataURL)",
                "cpus": "\(agent.identity.resources.cpus)", "memoryMB": "\(agent.identity.resources.memoryMB)",
                "diskGB": "\(agent.identity.resources.diskGB)",
                "runtimes": "\(agent.supervisor.runtimeKinds.map(\.rawValue).sorted().joined(separator: ","))",
            ]
        )
        if let reason = agent.dockerUnavailableReason { logger.warning("No Docker runtime: \(reason)") }
        if let reason = agent.cgroupUnavailableReason {
            logger.warning("Process tasks run without cpu and memory limits: \(reason)")
        }
        try await agent.run()
    }

    /// Flags, then environment variables, then the config file, then defaults.
    func makeConfiguration() throws -> AgentConfiguration {
        let environment = Self.environment
        let file = try (config ?? environment("TITAN_AGENT_CONFIG")).map { path throws(AgentFileError) in
            try AgentConfigFile.load(path: path)
        }
        var configuration = AgentConfiguration()
        if let id = agentID ?? environment("TITAN_AGENT_ID") ?? file?.agentID { configuration.agentID = HostID(id) }
        if let api = api ?? environment("TITAN_API") ?? file?.api { configuration.apiURL = api }
        if let directory = workDirectory ?? environment("TITAN_AGENT_WORK_DIR") ?? file?.workDir {
            configuration.workDirectory = directory
        }
        if let listen = listen ?? file?.listen {
            guard let parsed = parseHostPort(listen) else {
                throw ValidationError("listen must be host:port, not \(listen)")
            }
            (configuration.listenHost, configuration.listenPort) = parsed
        }
        configuration.advertiseURL = advertiseURL ?? file?.advertiseURL
        if let metadata = metadataListen ?? file?.metadataListen {
            guard let parsed = parseHostPort(metadata) else {
                throw ValidationError("metadataListen must be host:port, not \(metadata)")
            }
            (configuration.metadataHost, configuration.metadataPort) = parsed
        }
        configuration.metadataURL = metadataURL ?? file?.metadataURL
        let dockerHost = environment("DOCKER_HOST")
        if let dockerHost, !dockerHost.hasPrefix("unix://"), dockerSocket == nil, !noDocker, file?.noDocker != true {
            throw ValidationError(
                "DOCKER_HOST=\(dockerHost): titan-agent reaches the Docker engine only on a unix socket "
                    + "(unix:///path/to/docker.sock); unset it or give --docker-socket"
            )
        }
        if let socket = dockerSocket ?? dockerHost.map({ String($0.dropFirst("unix://".count)) }) ?? file?.dockerSocket
        {
            configuration.dockerSocket = socket
        }
        if noDocker || file?.noDocker == true { configuration.dockerSocket = nil }
        if let network = dockerNetwork ?? file?.dockerNetwork { configuration.dockerNetwork = network }
        configuration.runsProcesses = !(noProcesses || file?.noProcesses == true)
        configuration.shimPath = shimPath ?? file?.shimPath
        configuration.usesCgroups = !(noCgroups || file?.noCgroups == true)
        if let parent = cgroupParent ?? file?.cgroupParent { configuration.cgroupParent = parent }
        configuration.resourceOverrides = ResourceOverrides(
            cpus: cpus ?? file?.cpus,
            memoryMB: memoryMB ?? file?.memoryMB,
            diskGB: diskGB ?? file?.diskGB,
            networkMbps: networkMbps ?? file?.networkMbps
        )
        if let text = ports ?? file?.ports {
            guard let ranges = parsePortRanges(text) else { throw ValidationError("ports must be ranges, not \(text)") }
            configuration.portRanges = ranges
        }
        var scalarValues = file?.scalars ?? [:]
        for scalar in scalars {
            if let (name, value) = parseAssignment(scalar), let amount = Double(value) { scalarValues[name] = amount }
        }
        configuration.scalars = scalarValues
        var attributes = file?.attributes ?? [:]
        if let zone = zone ?? file?.zone { attributes["zone"] = zone }
        if let type = instanceType ?? file?.instanceType { attributes["instanceType"] = type }
        if let group = group ?? file?.group { attributes["group"] = group }
        for attribute in extraAttributes {
            if let (key, value) = parseAssignment(attribute) { attributes[key] = value }
        }
        configuration.attributes = attributes
        configuration.logRotation = LogRotationPolicy(
            maxBytes: logMaxBytes ?? file?.logMaxBytes ?? LogRotationPolicy().maxBytes,
            keptFiles: logKeep ?? file?.logKeep ?? LogRotationPolicy().keptFiles
        )
        configuration.logArchiveDirectory = logArchiveDirectory ?? file?.logArchiveDir
        if let seconds = usageIntervalSeconds ?? file?.usageIntervalSeconds, seconds > 0 {
            configuration.usageInterval = .milliseconds(Int64(seconds * 1000))
        }
        if let seconds = killGraceSeconds ?? file?.killGraceSeconds, seconds >= 0 {
            configuration.defaultKillGracePeriod = .milliseconds(Int64(seconds * 1000))
        }
        configuration.stopsTasksOnExit = stopTasksOnExit || file?.stopTasksOnExit == true
        return configuration
    }
}

/// `--print-resources` output.
struct PrintedResources: Encodable {
    var agentID: HostID
    var resources: HostResources
    var attributes: [String: String]
    var detectedFrom: [String]
}

/// `KEY=VALUE` split at the first `=`.
func parseAssignment(_ text: String) -> (key: String, value: String)? {
    guard let equals = text.firstIndex(of: "="), equals != text.startIndex else { return nil }
    return (String(text[..<equals]), String(text[text.index(after: equals)...]))
}
