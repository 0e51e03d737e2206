import Foundation
import Hummingbird
import TitanModel

/// The agent protocol (`Docs/agent-protocol.md`): register, heartbeat, orders, status, usage.
enum AgentRoutes {
    static func add(_ router: Router<BasicRequestContext>, _ controlPlane: ControlPlane) {
        router.post("v1/agents/register") { request, _ in
            try request.checkQuery(allowed: [])
            let registration = try await JSONRequest.decode(AgentRegistration.self, from: request)
            return try JSONResponse.make(try await controlPlane.register(registration))
        }
        router.post("v1/agents/:agentID/heartbeat") { request, context in
            try request.checkQuery(allowed: [])
            let id = HostID(try context.parameters.require("agentID"))
            let heartbeat = try await JSONRequest.decode(AgentHeartbeat.self, from: request)
            return try JSONResponse.make(try await controlPlane.heartbeat(id, heartbeat))
        }
        router.get("v1/agents/:agentID/orders") { request, context in
            try request.checkQuery(allowed: ["after", "waitSeconds"])
            let id = HostID(try context.parameters.require("agentID"))
            let after = Int64(try request.integerQuery("after", in: 0...Int.max) ?? 0)
            let wait = try request.integerQuery("waitSeconds", in: 0...60) ?? 20
            return try JSONResponse.make(try await controlPlane.orders(for: id, after: after, wait: .seconds(wait)))
        }
        router.post("v1/agents/:agentID/status") { request, context in
            try request.checkQuery(allowed: [])
            let id = HostID(try context.parameters.require("agentID"))
            let batch = try await JSONRequest.decode(AgentStatusBatch.self, from: request)
            return try JSONResponse.make(try await controlPlane.applyStatus(id, batch))
        }
        router.post("v1/agents/:agentID/usage") { request, context in
            try request.checkQuery(allowed: [])
            let id = HostID(try context.parameters.require("agentID"))
            let report = try await JSONRequest.decode(AgentUsageReport.self, from: request)
            try await controlPlane.recordUsage(id, report)
            return try JSONResponse.make(["accepted": report.tasks.count])
        }
    }
}
