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
            TITAN_HEARTBEAT_INTERVAL, TITAN_LOST_AFTER, TITAN_RECONCILE_INTERVAL, TITAN_AUTOSCALE, \
            TITAN_AUTOSCALE_MIN_IDLE, TITAN_AUTOSCALE_MAX_IDLE, TITAN_AUTOSCALE_COOLDOWN, \
            TITAN_AUTOSCALE_MIN_HOSTS, TITAN_AUTOSCALE_MAX_HOSTS, TITAN_AUTOSCALE_INTERVAL, \
            TITAN_SIMULATE_BOOT_DELAY); the command line wins.
            SIGTERM or SIGINT shut the server down gracefully.

            Autoscaling (off unless an --autoscale option is given) grows and shrinks the \
            SIMULATED fleet, the only scale provider titan-api has so far; see Docs/api.md. \
            Example: titan-api --simulate-hosts 2 --autoscale-min-idle 1 --autoscale-max-idle 2
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

    @Flag(
        help:
            "Run the autoscaler (with the defaults below unless set); any --autoscale-* option turns it on too. [env: TITAN_AUTOSCALE]"
    )
    var autoscale = false

    @Option(
        help:
            "Autoscaler: fewer idle hosts than this grows the fleet (default 1). [env: TITAN_AUTOSCALE_MIN_IDLE]"
    )
    var autoscaleMinIdle: Int?

    @Option(
        help:
            "Autoscaler: grow until this many hosts are idle; more idle than this are removed (default 2). [env: TITAN_AUTOSCALE_MAX_IDLE]"
    )
    var autoscaleMaxIdle: Int?

    @Option(
        help:
            "Autoscaler: seconds between scale-ups, and between any action and a scale-down; a new host stays at least this long (default 120). [env: TITAN_AUTOSCALE_COOLDOWN]"
    )
    var autoscaleCooldown: Double?

    @Option(help: "Autoscaler: never fewer hosts than this (default 0). [env: TITAN_AUTOSCALE_MIN_HOSTS]")
    var autoscaleMinHosts: Int?

    @Option(help: "Autoscaler: never more hosts than this (default 100). [env: TITAN_AUTOSCALE_MAX_HOSTS]")
    var autoscaleMaxHosts: Int?

    @Option(
        help:
            "Autoscaler: evaluate after scheduling iterations at most every this many seconds (default 5). [env: TITAN_AUTOSCALE_INTERVAL]"
    )
    var autoscaleInterval: Double?

    @Option(
        help:
            "Seconds a SIMULATED host the autoscaler asks for takes to register (default 10). [env: TITAN_SIMULATE_BOOT_DELAY]"
    )
    var simulateBootDelay: Double?

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
        let simulationAsked = try value(simulateHosts, "TITAN_SIMULATE_HOSTS", { Int($0) })
        options.simulatedHosts = simulationAsked ?? 0
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
        options.autoscaling = try autoscalingSettings(simulationAsked: simulationAsked != nil, value: value)
        if let delay = try value(simulateBootDelay, "TITAN_SIMULATE_BOOT_DELAY", { Double($0) }) {
            guard delay >= 0, delay.isFinite else {
                throw ValidationError("--simulate-boot-delay must be a number of seconds, 0 or more (got \(delay))")
            }
            guard options.autoscaling != nil else {
                throw ValidationError(
                    "--simulate-boot-delay applies only to hosts the autoscaler adds; add --autoscale to run it"
                )
            }
            options.simulatedBootDelay = .milliseconds(Int64((delay * 1000).rounded()))
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "titan-api")
        logger.logLevel = level
        if let autoscaling = options.autoscaling {
            logger.notice(
                "Autoscaling the SIMULATED fleet",
                metadata: [
                    "minIdle": "\(autoscaling.minIdleHosts)", "maxIdle": "\(autoscaling.maxIdleHosts)",
                    "coolDown": "\(autoscaling.coolDown)", "hosts": "\(autoscaling.minHosts)-\(autoscaling.maxHosts)",
                ]
            )
        }
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

    /// The autoscaler's settings from the `--autoscale*` options and their environment
    /// variables; nil when none is given.
    private func autoscalingSettings(
        simulationAsked: Bool,
        value: (Double?, String, (String) -> Double?) throws -> Double?
    ) throws -> AutoscalingSettings? {
        let environment = ProcessInfo.processInfo.environment
        func integer(_ option: Int?, _ name: String, _ flag: String) throws -> Int? {
            if let option { return option }
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let parsed = Int(text) else {
                throw ValidationError("\(name)=\(text) is not a whole number (it sets \(flag))")
            }
            return parsed
        }
        let minIdle = try integer(autoscaleMinIdle, "TITAN_AUTOSCALE_MIN_IDLE", "--autoscale-min-idle")
        let maxIdle = try integer(autoscaleMaxIdle, "TITAN_AUTOSCALE_MAX_IDLE", "--autoscale-max-idle")
        let minHosts = try integer(autoscaleMinHosts, "TITAN_AUTOSCALE_MIN_HOSTS", "--autoscale-min-hosts")
        let maxHosts = try integer(autoscaleMaxHosts, "TITAN_AUTOSCALE_MAX_HOSTS", "--autoscale-max-hosts")
        let coolDown = try value(autoscaleCooldown, "TITAN_AUTOSCALE_COOLDOWN", { Double($0) })
        let interval = try value(autoscaleInterval, "TITAN_AUTOSCALE_INTERVAL", { Double($0) })
        let switchedOn = ["1", "true", "yes", "on"].contains(environment["TITAN_AUTOSCALE"]?.lowercased() ?? "")
        let given: [Any?] = [minIdle, maxIdle, minHosts, maxHosts, coolDown, interval]
        guard autoscale || switchedOn || given.contains(where: { $0 != nil }) else { return nil }
        guard simulationAsked else {
            throw ValidationError(
                "autoscaling needs a scale provider, and titan-api has one only for its SIMULATED fleet: "
                    + "add --simulate-hosts N (0 starts with no hosts). AWS Auto Scaling is not supported yet."
            )
        }
        var settings = AutoscalingSettings()
        if let minIdle {
            settings.minIdleHosts = minIdle
            // A minimum above the default maximum raises the maximum with it, as a user expects.
            if maxIdle == nil { settings.maxIdleHosts = max(settings.maxIdleHosts, minIdle) }
        }
        if let maxIdle { settings.maxIdleHosts = maxIdle }
        if let minHosts { settings.minHosts = minHosts }
        if let maxHosts { settings.maxHosts = maxHosts }
        var problems: [String] = []
        func duration(_ seconds: Double?, _ flag: String, allowZero: Bool) -> Duration? {
            guard let seconds else { return nil }
            guard seconds.isFinite, seconds > 0 || (allowZero && seconds == 0) else {
                problems.append(
                    "\(flag) must be a number of seconds\(allowZero ? ", 0 or more" : " above 0") (got \(seconds))"
                )
                return nil
            }
            return .milliseconds(Int64((seconds * 1000).rounded()))
        }
        if let coolDown = duration(coolDown, "--autoscale-cooldown", allowZero: true) { settings.coolDown = coolDown }
        if let interval = duration(interval, "--autoscale-interval", allowZero: false) {
            settings.evaluationInterval = interval
        }
        problems += settings.problems()
        guard problems.isEmpty else { throw ValidationError(problems.joined(separator: "; ")) }
        return settings
    }
}
