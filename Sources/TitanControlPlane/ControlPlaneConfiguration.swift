import Foundation
import TitanModel

/// Every knob of the control plane, named, documented and defaulted.
public struct ControlPlaneConfiguration: Sendable {
    /// Scheduling iterations run as soon as something changed (new tasks, freed resources, a
    /// new host) and, as a safety net, at least this often: FenzoCore's `SchedulingService`'s
    /// `iterationInterval` with `iterateOnChange`. Nothing titan-api hands the service depends on
    /// time (no ready-at times, no lease expiry), so an iteration without a change decides what
    /// the last one did; the interval is long to keep a large backlog from costing CPU.
    public var schedulingInterval: Duration
    /// How often agents send heartbeats (told to them at registration).
    public var heartbeatInterval: Duration
    /// A host whose heartbeats stop this long is lost: its runs are lost and follow their
    /// restart policy.
    public var lostAfter: Duration
    /// A run its host stops reporting is lost after this long (covers reports that cross a
    /// launch or a finish in flight).
    public var missingRunGrace: Duration
    /// How often the store's view is compared with the hosts' (also once at start).
    public var reconcileInterval: Duration
    /// How often due restarts are started.
    public var restartCheckInterval: Duration
    /// SIGTERM-to-SIGKILL time given to agents in kill orders.
    public var killGracePeriod: Duration
    /// Heartbeats are decided in memory; the store's `lastHeartbeatAt` is written at most this
    /// often per host.
    public var heartbeatWriteInterval: Duration
    /// The longest an agent's orders poll may wait.
    public var maximumOrdersWait: Duration

    public init(
        schedulingInterval: Duration = .seconds(5),
        heartbeatInterval: Duration = .seconds(2),
        lostAfter: Duration = .seconds(15),
        missingRunGrace: Duration = .seconds(6),
        reconcileInterval: Duration = .seconds(30),
        restartCheckInterval: Duration = .milliseconds(250),
        killGracePeriod: Duration = .seconds(10),
        heartbeatWriteInterval: Duration = .seconds(30),
        maximumOrdersWait: Duration = .seconds(30)
    ) {
        self.schedulingInterval = schedulingInterval
        self.heartbeatInterval = heartbeatInterval
        self.lostAfter = lostAfter
        self.missingRunGrace = missingRunGrace
        self.reconcileInterval = reconcileInterval
        self.restartCheckInterval = restartCheckInterval
        self.killGracePeriod = killGracePeriod
        self.heartbeatWriteInterval = heartbeatWriteInterval
        self.maximumOrdersWait = maximumOrdersWait
    }
}

extension Duration {
    /// The duration in seconds, as a `TimeInterval`.
    var timeInterval: TimeInterval {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}

/// Why the control plane refused a request; the HTTP layer maps each code to a status.
public struct ControlPlaneError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case notReady, unknownAgent, invalidRequest, notFound, conflict
        }
        private let base: Base
        /// Still recovering, or shutting down: try again shortly (503).
        public static let notReady = Code(base: .notReady)
        /// The agent is not registered (or was marked lost): register again (404).
        public static let unknownAgent = Code(base: .unknownAgent)
        /// The request is malformed (400).
        public static let invalidRequest = Code(base: .invalidRequest)
        /// What the request names does not exist (404).
        public static let notFound = Code(base: .notFound)
        /// The request conflicts with the current state (409).
        public static let conflict = Code(base: .conflict)
        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String
    public var problems: [FieldProblem]

    public init(_ code: Code, _ message: String, problems: [FieldProblem] = []) {
        self.code = code
        self.message = message
        self.problems = problems
    }

    public var description: String { "\(code): \(message)" }
}
