import FenzoCore
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import TitanStore
import UnixSignals

/// Everything `titan-api` runs, as a value: open the store, recover, serve HTTP, run the
/// scheduling loop and the periodic work, and (if asked) a simulated fleet.
public struct TitanAPIServer: Sendable {
    /// The server's options (the command line's, with defaults).
    public struct Options: Sendable {
        public var host: String
        /// 0 picks a free port (see `onListening`).
        public var port: Int
        /// The SQLite file; its directory is created if missing.
        public var databasePath: String
        public var controlPlane: ControlPlaneConfiguration
        /// Adds this many simulated hosts (in-process, running nothing) for demos and benchmarks.
        public var simulatedHosts: Int
        /// How long a SIMULATED host the autoscaler asks for takes to register.
        public var simulatedBootDelay: Duration
        /// Runs the autoscaler with these settings; nil: no autoscaler. Its provider is the
        /// simulated cloud (the only one titan-api has so far): the simulated fleet grows and
        /// shrinks, starting from `simulatedHosts`.
        public var autoscaling: AutoscalingSettings?
        public var durability: StoreConfiguration.Durability

        public init(
            host: String = "127.0.0.1",
            port: Int = 8080,
            databasePath: String = ".titan/titan.db",
            controlPlane: ControlPlaneConfiguration = ControlPlaneConfiguration(),
            simulatedHosts: Int = 0,
            simulatedBootDelay: Duration = .seconds(10),
            autoscaling: AutoscalingSettings? = nil,
            durability: StoreConfiguration.Durability = .full
        ) {
            self.simulatedBootDelay = simulatedBootDelay
            self.autoscaling = autoscaling
            self.host = host
            self.port = port
            self.databasePath = databasePath
            self.controlPlane = controlPlane
            self.simulatedHosts = simulatedHosts
            self.durability = durability
        }
    }

    public var options: Options
    public var logger: Logger

    public init(options: Options, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    /// Runs until the task is cancelled or, with `gracefulShutdownSignals`, until one arrives:
    /// then pollers and event streams end, the fleet stops, and connections drain.
    /// - Parameters:
    ///   - gracefulShutdownSignals: signals that start a graceful shutdown (SIGTERM for the binary).
    ///   - onListening: called with the bound port once the server accepts connections.
    public func run(
        gracefulShutdownSignals: [UnixSignal] = [],
        onListening: @escaping @Sendable (Int, ControlPlane) async -> Void = { _, _ in }
    ) async throws {
        let directory = URL(fileURLWithPath: options.databasePath).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try TitanDatabase.open(
            path: options.databasePath,
            configuration: StoreConfiguration(durability: options.durability)
        )
        let controlPlane = ControlPlane(
            store: store,
            scheduling: try ServicePlacement(interval: options.controlPlane.schedulingInterval, logger: logger),
            configuration: options.controlPlane,
            logger: logger
        )
        let router = APIRoutes.router(controlPlane: controlPlane)
        let logger = self.logger
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(
                address: .hostname(options.host, port: options.port),
                serverName: "titan-api"
            ),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info("Listening", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
                await onListening(port, controlPlane)
            },
            logger: logger
        )
        var services: [any Service] = [app, ControlPlaneService(controlPlane: controlPlane, logger: logger)]
        if options.simulatedHosts > 0 || options.autoscaling != nil {
            let cloud = SimulatedCloud(controlPlane: controlPlane, bootDelay: options.simulatedBootDelay)
            services.append(SimulatedFleetService(cloud: cloud, initialHosts: options.simulatedHosts))
            if let settings = options.autoscaling {
                let autoscaler = try FleetAutoscaler(
                    settings: settings,
                    groups: [
                        ScaledHostGroup(group: HostGroup(SimulatedFleet.group), hostShape: SimulatedFleet.hostShape)
                    ],
                    provider: cloud,
                    providerName: "simulated",
                    controlPlane: controlPlane,
                    logger: logger
                )
                controlPlane.attach(autoscaler)
                services.append(AutoscalerService(autoscaler: autoscaler))
            }
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
                gracefulShutdownSignals: gracefulShutdownSignals,
                logger: logger
            )
        )
        try await group.run()
    }
}

/// Recovery, then the control plane's background work, as a service. On graceful shutdown
/// it releases pollers first, so the HTTP server can drain.
struct ControlPlaneService: Service {
    let controlPlane: ControlPlane
    let logger: Logger

    func run() async throws {
        try await controlPlane.recover()
        await withGracefulShutdownHandler {
            await cancelWhenGracefulShutdown { await controlPlane.runBackground() }
        } onGracefulShutdown: {
            Task { await controlPlane.beginShutdown() }
        }
        await controlPlane.beginShutdown()
    }
}

/// The simulated fleet, as a service.
struct SimulatedFleetService: Service {
    let cloud: SimulatedCloud
    let initialHosts: Int

    func run() async throws {
        await cancelWhenGracefulShutdown { await cloud.run(initialHosts: initialHosts) }
    }
}

/// The autoscaler's loop, as a service.
struct AutoscalerService: Service {
    let autoscaler: FleetAutoscaler

    func run() async throws {
        await cancelWhenGracefulShutdown { await autoscaler.run() }
    }
}
