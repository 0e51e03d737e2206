import ArgumentParser
import Foundation
import Logging
import TitanControlPlane
import TitanStore
import UnixSignals

/// `titan-api`: the Titan control plane.
@main
struct TitanAPICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "titan-api",
        abstract: "The Titan control plane: jobs and tasks over HTTP, state in SQLite.",
        discussion: """
            Every option can also be set with an environment variable (TITAN_HOST, TITAN_PORT, \
            TITAN_DB, TITAN_SCHEDULING_INTERVAL, TITAN_LOG_LEVEL, TITAN_SIMULATE_HOSTS, \
            TITAN_HEARTBEAT_INTERVAL, TITAN_LOST_AFTER, TITAN_RECONCILE_INTERVAL); the command line wins.
            SIGTERM or SIGINT shut the server down gracefully.
            """
    )

    @Option(help: "The address to listen on. [env: TITAN_HOST]")
    var host: String?

    @Option(help: "The port to listen on; 0 picks a free one. [env: TITAN_PORT]")
    var port: Int?

    @Option(help: "The SQLite file that holds Titan's state. [env: TITAN_DB]")
    var db: String?

    @Option(
        help:
            "Seconds between scheduling iterations when nothing changes (default 5); one runs at once on every change. [env: TITAN_SCHEDULING_INTERVAL]"
    )
    var schedulingInterval: Double?

    @Option(help: "trace, debug, info, notice, warning, error or critical. [env: TITAN_LOG_LEVEL]")
    var logLevel: String?

    @Option(
        help:
            "Add N SIMULATED in-process hosts (16 cpus, 64 GB, three zones) that run nothing. [env: TITAN_SIMULATE_HOSTS]"
    )
    var simulateHosts: Int?

    @Option(help: "Seconds between agent heartbeats. [env: TITAN_HEARTBEAT_INTERVAL]")
    var heartbeatInterval: Double?

    @Option(help: "Seconds without a heartbeat before a host is lost. [env: TITAN_LOST_AFTER]")
    var lostAfter: Double?

    @Option(help: "Seconds between reconciliation passes. [env: TITAN_RECONCILE_INTERVAL]")
    var reconcileInterval: Double?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        func value<T>(_ option: T?, _ name: String, _ parse: (String) -> T?) throws -> T? {
            if let option { return option }
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let parsed = parse(text) else {
                throw ValidationError("\(name)=\(text) is not a valid value; see titan-api --help")
            }
            return parsed
        }
        func seconds(_ option: Double?, _ name: String) throws -> Duration? {
            guard let value = try value(option, name, { Double($0) }) else { return nil }
            guard value > 0, value.isFinite else {
                throw ValidationError("\(name) must be a number of seconds above 0")
            }
            return .milliseconds(Int64((value * 1000).rounded()))
        }
        let levelText = try value(logLevel, "TITAN_LOG_LEVEL", { $0 }) ?? "info"
        guard let level = Logger.Level(rawValue: levelText.lowercased()) else {
            throw ValidationError(
                "log level \(levelText) is not one of trace, debug, info, notice, warning, error, critical"
            )
        }
        var options = TitanAPIServer.Options()
        options.host = try value(host, "TITAN_HOST", { $0 }) ?? options.host
        options.port = try value(port, "TITAN_PORT", { Int($0) }) ?? options.port
        guard (0...65535).contains(options.port) else { throw ValidationError("port must be 0 to 65535") }
        options.databasePath = try value(db, "TITAN_DB", { $0 }) ?? options.databasePath
        options.simulatedHosts = try value(simulateHosts, "TITAN_SIMULATE_HOSTS", { Int($0) }) ?? 0
        guard (0...100_000).contains(options.simulatedHosts) else {
            throw ValidationError("--simulate-hosts must be 0 to 100000")
        }
        if let interval = try seconds(schedulingInterval, "TITAN_SCHEDULING_INTERVAL") {
            options.controlPlane.schedulingInterval = interval
        }
        if let interval = try seconds(heartbeatInterval, "TITAN_HEARTBEAT_INTERVAL") {
            options.controlPlane.heartbeatInterval = interval
            options.controlPlane.missingRunGrace = interval * 3
        }
        if let lost = try seconds(lostAfter, "TITAN_LOST_AFTER") { options.controlPlane.lostAfter = lost }
        if let interval = try seconds(reconcileInterval, "TITAN_RECONCILE_INTERVAL") {
            options.controlPlane.reconcileInterval = interval
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "titan-api")
        logger.logLevel = level
        if options.simulatedHosts > 0 {
            logger.notice("Adding SIMULATED hosts; they run nothing", metadata: ["hosts": "\(options.simulatedHosts)"])
        }
        let server = TitanAPIServer(options: options, logger: logger)
        let listenHost = options.host
        try await server.run(gracefulShutdownSignals: [.sigterm, .sigint]) { port, _ in
            // One line on stdout that scripts and tests can wait for.
            FileHandle.standardOutput.write(Data("titan-api listening on http://\(listenHost):\(port)\n".utf8))
        }
    }
}
