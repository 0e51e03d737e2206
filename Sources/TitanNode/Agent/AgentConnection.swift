import Foundation
import Logging
import ServiceLifecycle
import TitanModel

/// Who the agent is, as it registers.
public struct AgentIdentity: Hashable, Sendable {
    public var agentID: HostID
    /// Where the agent serves logs and `/metrics`, as the API should reach it.
    public var address: String
    public var version: String
    public var resources: HostResources
    public var attributes: [String: String]

    public init(
        agentID: HostID,
        address: String,
        version: String,
        resources: HostResources,
        attributes: [String: String]
    ) {
        self.agentID = agentID
        self.address = address
        self.version = version
        self.resources = resources
        self.attributes = attributes
    }
}

/// Registers the agent with the API and heartbeats, registering again whenever the API has
/// forgotten it; carries out the kills the API's answers list.
///
/// Before each registration, pending status updates are delivered first, so the API hears how
/// runs ended before it compares its view with the runs the registration lists (a run it
/// believes is here but is not listed becomes lost).
public actor AgentConnection: Service {
    private let api: any AgentAPI
    private let identity: AgentIdentity
    private let supervisor: TaskSupervisor
    private let statusSender: StatusSender
    private let registration: RegistrationGate
    private let logger: Logger

    public init(
        api: any AgentAPI,
        identity: AgentIdentity,
        supervisor: TaskSupervisor,
        statusSender: StatusSender,
        registration: RegistrationGate,
        logger: Logger
    ) {
        self.api = api
        self.identity = identity
        self.supervisor = supervisor
        self.statusSender = statusSender
        self.registration = registration
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.connectForever()
        }
    }

    private func connectForever() async {
        var backoff = Duration.milliseconds(200)
        var failures = 0
        while !Task.isCancelled {
            try? await statusSender.deliverPending()
            let registrationBody = AgentRegistration(
                agentID: identity.agentID,
                address: identity.address,
                agentVersion: identity.version,
                resources: identity.resources,
                attributes: identity.attributes,
                runningTasks: await supervisor.runningTasks()
            )
            let directives: AgentDirectives
            do {
                directives = try await api.register(registrationBody)
            } catch {
                if failures < 3 || failures % 60 == 0 {
                    logger.warning("Cannot register with titan-api; retrying", metadata: ["error": "\(error.message)"])
                }
                failures += 1
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(5))
                continue
            }
            failures = 0
            backoff = .milliseconds(200)
            logger.info(
                "Registered with titan-api",
                metadata: ["agent.id": "\(identity.agentID)", "runs": "\(registrationBody.runningTasks.count)"]
            )
            await registration.markRegistered(directives)
            await carryOut(directives)
            await heartbeat(every: directives.heartbeatIntervalSeconds)
        }
    }

    /// Heartbeats until the API says it does not know the agent (or the task is cancelled).
    private func heartbeat(every intervalSeconds: Double) async {
        var interval = Duration.milliseconds(Int64(max(0.1, intervalSeconds) * 1000))
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            let registered = await registration.isRegistered
            if Task.isCancelled || !registered { return }
            do {
                let directives = try await api.heartbeat(
                    identity.agentID,
                    AgentHeartbeat(runningTasks: await supervisor.runningTasks())
                )
                await registration.update(directives)
                interval = .milliseconds(Int64(max(0.1, directives.heartbeatIntervalSeconds) * 1000))
                await carryOut(directives)
            } catch  where error.code == .notRegistered {
                logger.warning("titan-api does not know this agent; registering again")
                await registration.markUnregistered()
                return
            } catch {
                if Task.isCancelled { return }
                logger.warning("Heartbeat failed", metadata: ["error": "\(error.message)"])
            }
        }
    }

    private func carryOut(_ directives: AgentDirectives) async {
        for kill in directives.kill {
            logger.info(
                "Killing a run titan-api does not want",
                metadata: ["task.id": "\(kill.taskID)", "task.attempt": "\(kill.attempt)", "reason": "\(kill.reason)"]
            )
            await supervisor.kill(taskID: kill.taskID, attempt: kill.attempt, gracePeriod: nil, reason: kill.reason)
        }
    }
}
