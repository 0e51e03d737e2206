import FenzoCore
import Foundation
import TitanModel

/// A SIMULATED fleet for demos and benchmarks: in-process hosts that run nothing.
///
/// Each simulated host is an agent that speaks the agent protocol to the control plane
/// directly (the same calls the HTTP routes make): it registers with 16 cpus, 64 GB of memory
/// and 1,000 GB of disk in one of three zones, polls for orders, reports a launched task as
/// started at once, keeps it "running" until it is killed or for the `durationSeconds` its job
/// asks for (then it succeeds), and sends heartbeats. Host ids are `sim-0001`, `sim-0002`, …;
/// their address is `simulated://<id>`, their attribute `simulated` is `true` and their
/// `group` is `simulated` (the host group the autoscaler sizes).
/// ``SimulatedCloud`` starts and stops them.
public enum SimulatedFleet {
    /// The host group every simulated host belongs to (its `group` attribute).
    public static let group = "simulated"
    static let zones = ["zone-a", "zone-b", "zone-c"]

    /// The registration of simulated host `index` (from 0).
    public static func registration(index: Int) -> AgentRegistration {
        let id = HostID(String(format: "sim-%04d", index + 1))
        return AgentRegistration(
            agentID: id,
            address: "simulated://\(id)",
            agentVersion: "simulated",
            resources: HostResources(
                cpus: 16,
                memoryMB: 65_536,
                diskGB: 1_000,
                networkMbps: 10_000,
                portRanges: [PortRange(first: 31_000, last: 32_999)]
            ),
            attributes: [
                "zone": zones[index % zones.count], "instanceType": "sim.4xlarge", "simulated": "true",
                HostGroupAttribute.name: group,
            ],
            runningTasks: []
        )
    }

    /// What a new simulated host offers, for the autoscaler's shortfall sizing (the zone is
    /// left out: the autoscaler spreads would-be hosts over the zones it sees).
    public static var hostShape: HostShape {
        let registration = registration(index: 0)
        let capacity = PlacementRequests.capacity(
            of: registration.agentID,
            resources: registration.resources,
            attributes: registration.attributes
        )
        return HostShape(
            resources: capacity.resources,
            ports: capacity.ports,
            scalars: capacity.scalars,
            attributes: registration.attributes.filter { $0.key != "zone" && $0.key != HostGroupAttribute.name }
        )
    }
}

/// A SIMULATED cloud: starts and stops simulated hosts, and carries out the autoscaler's
/// actions as a `ScaleProvider` would with a real cloud (AWS Auto Scaling, say).
///
/// A scale-up starts the hosts after `bootDelay` (as an instance boots); a scale-down stops
/// their agents at once (they run nothing, since the autoscaler removes only idle hosts).
/// New hosts are numbered after the highest number used so far: a removed host's id is never
/// used again.
public actor SimulatedCloud: ScaleProvider {
    let controlPlane: ControlPlane
    /// How long a host asked for takes to register.
    public let bootDelay: Duration
    private var agents: [HostID: Task<Void, Never>] = [:]
    private var nextIndex = 0
    private var stopped = false

    public init(controlPlane: ControlPlane, bootDelay: Duration) {
        self.controlPlane = controlPlane
        self.bootDelay = bootDelay
    }

    /// Starts `initialHosts` hosts at once and keeps every host running until the calling task
    /// is cancelled; then stops them all.
    public func run(initialHosts: Int) async {
        for _ in 0..<initialHosts { start(after: .zero) }
        await withTaskCancellationHandler {
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
        } onCancel: {
            Task { await self.stopAll() }
        }
        stopAll()
    }

    /// The simulated hosts running or booting.
    public var hostIDs: [HostID] { agents.keys.sorted() }

    public func scaleUp(group: HostGroup, count: Int) async throws {
        guard group.rawValue == SimulatedFleet.group else { throw SimulatedCloudError.unknownGroup(group) }
        guard !stopped else { throw SimulatedCloudError.stopped }
        for _ in 0..<count { start(after: bootDelay) }
    }

    public func scaleDown(group: HostGroup, hosts: [HostName]) async throws {
        guard group.rawValue == SimulatedFleet.group else { throw SimulatedCloudError.unknownGroup(group) }
        let unknown = hosts.filter { agents[HostID($0.rawValue)] == nil }
        guard unknown.isEmpty else { throw SimulatedCloudError.unknownHosts(unknown) }
        // A cancelled agent makes no further call that matters: its loop ends at its next turn.
        for host in hosts { agents.removeValue(forKey: HostID(host.rawValue))?.cancel() }
    }

    private func start(after delay: Duration) {
        let registration = SimulatedFleet.registration(index: nextIndex)
        nextIndex += 1
        let controlPlane = self.controlPlane
        agents[registration.agentID] = Task {
            if delay > .zero {
                do { try await Task.sleep(for: delay) } catch { return }
            }
            var agent = SimulatedAgent(registration: registration)
            await agent.run(controlPlane)
        }
    }

    private func stopAll() {
        stopped = true
        for agent in agents.values { agent.cancel() }
        agents = [:]
    }
}

/// Why the simulated cloud refused an action.
public struct SimulatedCloudError: Error, Sendable, CustomStringConvertible {
    private enum Code: Sendable {
        case unknownGroup, unknownHosts, stopped
    }

    private let code: Code
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    static func unknownGroup(_ group: HostGroup) -> SimulatedCloudError {
        SimulatedCloudError(
            .unknownGroup,
            "the simulated cloud has only the host group \(SimulatedFleet.group), not \(group)"
        )
    }

    static func unknownHosts(_ hosts: [HostName]) -> SimulatedCloudError {
        SimulatedCloudError(
            .unknownHosts,
            "the simulated cloud runs no host named \(hosts.map(\.rawValue).joined(separator: ", "))"
        )
    }

    static var stopped: SimulatedCloudError {
        SimulatedCloudError(.stopped, "the simulated cloud is shutting down")
    }
}

/// One simulated host's loop.
struct SimulatedAgent {
    let registration: AgentRegistration
    var running: [TaskInstanceID: (attempt: Int, finishAt: Date?)] = [:]
    var acknowledged: Int64 = 0
    var heartbeatInterval: TimeInterval = 2
    var lastHeartbeat = Date.distantPast
    var registered = false

    init(registration: AgentRegistration) { self.registration = registration }

    mutating func run(_ controlPlane: ControlPlane) async {
        while !Task.isCancelled {
            do {
                if !registered {
                    var registration = self.registration
                    registration.runningTasks = reports
                    let directives = try await controlPlane.register(registration, simulated: true)
                    heartbeatInterval = directives.heartbeatIntervalSeconds
                    lastHeartbeat = Date()
                    registered = true
                    try await obey(directives, controlPlane)
                }
                let wait = min(heartbeatInterval, nextFinish.map { max(0.01, $0.timeIntervalSinceNow) } ?? .infinity)
                let orders = try await controlPlane.orders(
                    for: registration.agentID,
                    after: acknowledged,
                    wait: .milliseconds(Int64(wait * 1000))
                )
                var updates: [AgentStatusUpdate] = []
                for order in orders.orders {
                    acknowledged = max(acknowledged, order.seq)
                    updates += carryOut(order)
                }
                updates += finishDue()
                if !updates.isEmpty {
                    _ = try await controlPlane.applyStatus(registration.agentID, AgentStatusBatch(updates: updates))
                }
                if Date().timeIntervalSince(lastHeartbeat) >= heartbeatInterval {
                    lastHeartbeat = Date()
                    let directives = try await controlPlane.heartbeat(
                        registration.agentID,
                        AgentHeartbeat(runningTasks: reports)
                    )
                    try await obey(directives, controlPlane)
                }
            } catch let error as ControlPlaneError where error.code == .unknownAgent {
                registered = false
            } catch {
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    private var reports: [AgentTaskReport] {
        running.map { AgentTaskReport(taskID: $0.key, attempt: $0.value.attempt, state: .started) }
    }

    private var nextFinish: Date? { running.values.compactMap(\.finishAt).min() }

    private mutating func carryOut(_ order: AgentOrder) -> [AgentStatusUpdate] {
        switch order.kind {
        case .launch:
            guard running[order.taskID]?.attempt != order.attempt, let launch = order.launch else { return [] }
            running[order.taskID] = (order.attempt, launch.durationSeconds.map { Date().addingTimeInterval($0) })
            return [AgentStatusUpdate(taskID: order.taskID, attempt: order.attempt, state: .started, at: Date())]
        case .kill:
            if running[order.taskID]?.attempt == order.attempt { running[order.taskID] = nil }
            return [
                AgentStatusUpdate(
                    taskID: order.taskID,
                    attempt: order.attempt,
                    state: .finished,
                    reason: .killed,
                    message: order.kill?.reason,
                    at: Date()
                )
            ]
        }
    }

    private mutating func finishDue() -> [AgentStatusUpdate] {
        let now = Date()
        let due = running.filter { $0.value.finishAt.map { $0 <= now } ?? false }
        for taskID in due.keys { running[taskID] = nil }
        return due.map {
            AgentStatusUpdate(
                taskID: $0.key,
                attempt: $0.value.attempt,
                state: .finished,
                reason: .succeeded,
                exitCode: 0,
                message: "simulated run ended after its duration",
                at: now
            )
        }
    }

    private mutating func obey(_ directives: AgentDirectives, _ controlPlane: ControlPlane) async throws {
        guard !directives.kill.isEmpty else { return }
        var updates: [AgentStatusUpdate] = []
        for kill in directives.kill {
            if running[kill.taskID]?.attempt == kill.attempt { running[kill.taskID] = nil }
            updates.append(
                AgentStatusUpdate(
                    taskID: kill.taskID,
                    attempt: kill.attempt,
                    state: .finished,
                    reason: .killed,
                    message: kill.reason,
                    at: Date()
                )
            )
        }
        _ = try await controlPlane.applyStatus(registration.agentID, AgentStatusBatch(updates: updates))
    }
}
