import CurlHTTP
import Foundation
import TitanModel

/// An agent the test plays, speaking the real agent protocol over HTTP to the real server.
/// Each call is one step, so tests decide exactly what the agent does and when.
actor TestAgent {
    let id: HostID
    /// The API the agent talks to; a restarted server has a new port.
    var server: any APIEndpoint
    var resources: HostResources
    var attributes: [String: String]
    /// Runs the agent has: task id to (attempt, state).
    private(set) var running: [TaskInstanceID: (attempt: Int, state: TaskState)] = [:]
    /// Highest order carried out; sent as `after`.
    private(set) var acknowledged: Int64 = 0
    /// Every order received, in order.
    private(set) var received: [AgentOrder] = []
    /// Status updates not yet acknowledged by the API; sent again first, as a real agent does.
    private(set) var unsent: [AgentStatusUpdate] = []

    init(
        _ id: HostID,
        server: any APIEndpoint,
        cpus: Double = 8,
        memoryMB: Int = 16_384,
        attributes: [String: String] = [:]
    ) {
        self.id = id
        self.server = server
        self.resources = HostResources(
            cpus: cpus,
            memoryMB: memoryMB,
            diskGB: 500,
            networkMbps: 1000,
            portRanges: [PortRange(first: 31_000, last: 31_099)]
        )
        self.attributes = attributes
    }

    /// Points the agent at another server (the same API, restarted).
    func retarget(_ endpoint: any APIEndpoint) { server = endpoint }

    var reports: [AgentTaskReport] {
        running.sorted { $0.key < $1.key }.map {
            AgentTaskReport(taskID: $0.key, attempt: $0.value.attempt, state: $0.value.state)
        }
    }

    @discardableResult
    func register(reporting: [AgentTaskReport]? = nil) async throws -> AgentDirectives {
        let registration = AgentRegistration(
            agentID: id,
            address: "http://127.0.0.1:9",
            agentVersion: "test",
            resources: resources,
            attributes: attributes,
            runningTasks: reporting ?? reports
        )
        let response = try await server.post("/v1/agents/register", registration)
        guard response.statusCode == 200 else {
            throw TestFailure("register answered \(response.statusCode): \(response.bodyText)")
        }
        return try response.decoded(AgentDirectives.self)
    }

    /// Sends a heartbeat; returns the answer's status code and directives.
    func heartbeat(reporting: [AgentTaskReport]? = nil) async throws -> (status: Int, directives: AgentDirectives?) {
        let response = try await server.post(
            "/v1/agents/\(id)/heartbeat",
            AgentHeartbeat(runningTasks: reporting ?? reports)
        )
        return (response.statusCode, response.statusCode == 200 ? try response.decoded(AgentDirectives.self) : nil)
    }

    /// Polls for orders (acknowledging those carried out) and records them; does not carry them out.
    func pollOrders(waitSeconds: Int = 0, heartbeatFirst: Bool = true) async throws -> [AgentOrder] {
        // A live agent heartbeats; tests that drive it step by step keep it alive here.
        if heartbeatFirst { _ = try await heartbeat() }
        let response = try await server.get("/v1/agents/\(id)/orders?after=\(acknowledged)&waitSeconds=\(waitSeconds)")
        guard response.statusCode == 200 else {
            throw TestFailure("orders answered \(response.statusCode): \(response.bodyText)")
        }
        let orders = try response.decoded(AgentOrders.self).orders
        received += orders
        return orders
    }

    /// Marks an order carried out, so the next poll acknowledges it.
    func acknowledge(_ order: AgentOrder) { acknowledged = max(acknowledged, order.seq) }

    /// Posts status updates.
    @discardableResult
    func report(_ updates: [AgentStatusUpdate]) async throws -> Int {
        for update in updates {
            if update.state == .finished {
                if running[update.taskID]?.attempt == update.attempt { running[update.taskID] = nil }
            } else {
                running[update.taskID] = (update.attempt, update.state)
            }
        }
        unsent += updates
        let response = try await server.post("/v1/agents/\(id)/status", AgentStatusBatch(updates: unsent))
        if response.statusCode == 200 { unsent = [] }
        return response.statusCode
    }

    /// Starts every launch it is ordered and reports it started; kills what it is ordered to
    /// kill and reports it killed. Returns the orders carried out.
    @discardableResult
    func carryOutOrders(waitSeconds: Int = 0) async throws -> [AgentOrder] {
        let orders = try await pollOrders(waitSeconds: waitSeconds)
        var updates: [AgentStatusUpdate] = []
        for order in orders {
            acknowledge(order)
            switch order.kind {
            case .launch:
                updates.append(
                    AgentStatusUpdate(taskID: order.taskID, attempt: order.attempt, state: .startInitiated, at: Date())
                )
                updates.append(
                    AgentStatusUpdate(taskID: order.taskID, attempt: order.attempt, state: .started, at: Date())
                )
            case .kill:
                updates.append(
                    AgentStatusUpdate(
                        taskID: order.taskID,
                        attempt: order.attempt,
                        state: .finished,
                        reason: .killed,
                        at: Date()
                    )
                )
            }
        }
        if !updates.isEmpty { try await report(updates) }
        return orders
    }

    /// Reports a run finished (exited) with a reason and exit code.
    func finish(_ taskID: TaskInstanceID, reason: FinishReason, exitCode: Int? = nil) async throws {
        guard let run = running[taskID] else { throw TestFailure("agent \(id) does not run \(taskID)") }
        try await report([
            AgentStatusUpdate(
                taskID: taskID,
                attempt: run.attempt,
                state: .finished,
                reason: reason,
                exitCode: exitCode,
                at: Date()
            )
        ])
    }

    /// Forgets runs without telling anyone (a crash of the agent).
    func forgetEverything() {
        running = [:]
    }

    /// Pretends to run something the API never asked for.
    func pretendRunning(_ taskID: TaskInstanceID, attempt: Int) { running[taskID] = (attempt, .started) }

    /// All launch orders received, as (task, attempt, seq).
    var launches: [(TaskInstanceID, Int, Int64)] {
        received.filter { $0.kind == .launch }.map { ($0.taskID, $0.attempt, $0.seq) }
    }
}

/// Small job specs for tests.
enum Specs {
    static func service(_ name: String, instances: Int = 1, cpus: Double = 1, extra: String = "") -> String {
        #"{"name": "\#(name)", "instances": \#(instances), "cpus": \#(cpus), "memory": 256, "disk": 1, "command": ["/bin/true"]\#(extra)}"#
    }

    static func batch(_ name: String, instances: Int = 1, extra: String = "") -> String {
        #"{"name": "\#(name)", "kind": "batch", "instances": \#(instances), "cpus": 1, "memory": 256, "disk": 1, "command": ["/bin/true"]\#(extra)}"#
    }
}
