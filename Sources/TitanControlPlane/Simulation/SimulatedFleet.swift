import Foundation
import TitanModel

/// A SIMULATED fleet for demos and benchmarks: in-process hosts that run nothing.
///
/// Each simulated host is an agent that speaks the agent protocol to the control plane
/// directly (the same calls the HTTP routes make): it registers with 16 cpus, 64 GB of memory
/// and 1,000 GB of disk in one of three zones, polls for orders, reports a launched task as
/// started at once, keeps it "running" until it is killed or for the `durationSeconds` its job
/// asks for (then it succeeds), and sends heartbeats. Host ids are `sim-0001`, `sim-0002`, …;
/// their address is `simulated://<id>` and their attribute `simulated` is `true`.
public struct SimulatedFleet: Sendable {
    public var hostCount: Int

    public init(hostCount: Int) { self.hostCount = hostCount }

    /// The registration of simulated host `index` (from 0).
    public static func registration(index: Int) -> AgentRegistration {
        let id = HostID(String(format: "sim-%04d", index + 1))
        let zones = ["zone-a", "zone-b", "zone-c"]
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
            ],
            runningTasks: []
        )
    }

    /// Runs every simulated host until the calling task is cancelled.
    public func run(controlPlane: ControlPlane) async {
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<hostCount {
                group.addTask {
                    var agent = SimulatedAgent(registration: Self.registration(index: index))
                    await agent.run(controlPlane)
                }
            }
            await group.waitForAll()
        }
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
