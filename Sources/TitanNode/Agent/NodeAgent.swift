import CurlHTTP
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import TitanDocker
import TitanModel
import UnixSignals

/// A whole agent, wired from an ``AgentConfiguration``: runtimes, the supervisor with its runs
/// recovered, the API connection, order poller, status sender, usage reporter, and the two HTTP
/// servers, as services of one `ServiceGroup`.
public struct NodeAgent: Sendable {
    /// The version reported at registration.
    public static let version = "0.1.0"

    public let configuration: AgentConfiguration
    public let identity: AgentIdentity
    public let supervisor: TaskSupervisor
    public let registration: RegistrationGate
    /// What was found on the host, for the start-up log.
    public let detected: DetectedResources
    /// Why there is no Docker runtime, when there is none.
    public let dockerUnavailableReason: String?
    /// Why process-runtime tasks run without limits, when they do.
    public let cgroupUnavailableReason: String?
    private let services: [any Service]
    private let logger: Logger

    /// Builds the agent and recovers the runs its work directory records (the Docker engine is
    /// asked about their containers). Nothing talks to the API yet.
    /// - Throws: ``AgentFileError`` when the work directory or status journal cannot be used.
    public init(configuration given: AgentConfiguration, logger: Logger) async throws {
        var configuration = given
        configuration.workDirectory = FileIO.absolutePath(given.workDirectory)
        configuration.logArchiveDirectory = given.logArchiveDirectory.map(FileIO.absolutePath)
        configuration.shimPath = given.shimPath.map(FileIO.absolutePath)
        self.configuration = configuration
        self.logger = logger
        try FileIO.makeDirectory(configuration.workDirectory)

        let layout = CgroupLayout.detect()
        detected = HostResourceDetection.detect(workDirectory: configuration.workDirectory, cgroups: layout)

        var runtimes: [any TaskRuntime] = []
        var attributes = configuration.attributes
        var dockerReason: String?
        if let socket = configuration.dockerSocket {
            let docker = DockerClient(socketPath: socket, requestTimeout: .seconds(30))
            do {
                try await docker.ping()
                runtimes.append(
                    DockerTaskRuntime(
                        docker: docker,
                        agentID: configuration.agentID,
                        networkMode: NetworkMode(rawValue: configuration.dockerNetwork),
                        logPolicy: configuration.logRotation,
                        cgroupLayout: layout,
                        logger: logger
                    )
                )
            } catch {
                dockerReason = "no Docker engine answers at \(socket) (\(error)); launches with an image will fail"
            }
        } else {
            dockerReason = "Docker was turned off (--no-docker); launches with an image will fail"
        }
        dockerUnavailableReason = dockerReason
        attributes["docker"] = dockerReason == nil ? "true" : "false"

        var cgroupReason: String?
        if configuration.runsProcesses {
            let tree = configuration.usesCgroups ? CgroupTree(layout: layout, parent: configuration.cgroupParent) : nil
            cgroupReason =
                configuration.usesCgroups ? tree?.unavailableReason : "cgroups were turned off (--no-cgroups)"
            runtimes.append(
                ProcessTaskRuntime(
                    shimPath: configuration.shimPath ?? ProcessTaskRuntime.defaultShimPath(),
                    cgroups: tree,
                    logPolicy: configuration.logRotation,
                    logger: logger
                )
            )
        }
        cgroupUnavailableReason = cgroupReason

        let journal = try StatusJournal(path: configuration.workDirectory + "/status.journal")
        let archive = configuration.logArchiveDirectory.map { DirectoryLogArchive(directory: $0) }
        supervisor = TaskSupervisor(
            configuration: SupervisorConfiguration(
                agentID: configuration.agentID,
                attributes: attributes,
                workDirectory: configuration.workDirectory,
                metadataBaseURL: configuration.effectiveMetadataURL,
                defaultKillGracePeriod: configuration.defaultKillGracePeriod,
                finishedRunRetention: configuration.finishedRunRetention,
                stopsRunsOnShutdown: configuration.stopsTasksOnExit
            ),
            runtimes: runtimes,
            journal: journal,
            archive: archive,
            logger: logger
        )
        await supervisor.recover()

        identity = AgentIdentity(
            agentID: configuration.agentID,
            address: configuration.effectiveAdvertiseURL,
            version: Self.version,
            resources: configuration.resourceOverrides.resources(
                detected: detected,
                portRanges: configuration.portRanges,
                scalars: configuration.scalars
            ),
            attributes: attributes
        )
        registration = RegistrationGate()
        let api = HTTPAgentAPI(baseURL: configuration.apiURL, httpClient: HTTPClient())
        let statusSender = StatusSender(
            api: api,
            agentID: configuration.agentID,
            journal: journal,
            registration: registration,
            logger: logger
        )
        let server = Application(
            router: AgentHTTPServer.router(supervisor: supervisor, identity: identity, registration: registration),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.listenHost, port: configuration.listenPort),
                serverName: "titan-agent"
            ),
            logger: logger
        )
        let metadataServer = Application(
            router: AgentHTTPServer.metadataRouter(supervisor: supervisor),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.metadataHost, port: configuration.metadataPort),
                serverName: "titan-agent-metadata"
            ),
            logger: logger
        )
        // A graceful shutdown stops these in reverse order, each after the one behind it: the
        // API loops first, then the supervisor (which stops the runs with --stop-tasks-on-exit),
        // the servers, and last the status sender, which gives pending updates a final try.
        services = [
            statusSender,
            server,
            metadataServer,
            supervisor,
            AgentConnection(
                api: api,
                identity: identity,
                supervisor: supervisor,
                statusSender: statusSender,
                registration: registration,
                logger: logger
            ),
            OrderPoller(
                api: api,
                agentID: configuration.agentID,
                supervisor: supervisor,
                registration: registration,
                cursorPath: configuration.workDirectory + "/orders.seq",
                wait: configuration.orderWait,
                logger: logger
            ),
            UsageReporter(
                api: api,
                agentID: configuration.agentID,
                supervisor: supervisor,
                registration: registration,
                interval: configuration.usageInterval,
                logger: logger
            ),
        ]
    }

    /// Runs until SIGTERM or SIGINT; tasks keep running, for the next agent to recover.
    public func run() async throws {
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}
