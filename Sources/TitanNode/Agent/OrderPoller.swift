import Foundation
import Logging
import ServiceLifecycle
import TitanModel

/// Long-polls the API for orders and carries them out in sequence order.
///
/// The highest sequence number carried out is kept in a file (`orders.seq` in the work
/// directory) and sent as `after` on the next poll, which acknowledges everything up to it. An
/// order carried out twice (a crash before the file was written) is harmless: a launch of a run
/// the agent already has does nothing.
public actor OrderPoller: Service {
    private let api: any AgentAPI
    private let agentID: HostID
    private let supervisor: TaskSupervisor
    private let registration: RegistrationGate
    private let cursorPath: String
    private let wait: Duration
    private let logger: Logger

    public init(
        api: any AgentAPI,
        agentID: HostID,
        supervisor: TaskSupervisor,
        registration: RegistrationGate,
        cursorPath: String,
        wait: Duration = .seconds(20),
        logger: Logger
    ) {
        self.api = api
        self.agentID = agentID
        self.supervisor = supervisor
        self.registration = registration
        self.cursorPath = cursorPath
        self.wait = wait
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.pollForever()
        }
    }

    /// The sequence number of the last order carried out, from the cursor file.
    public func lastCarriedOut() -> Int64 {
        FileIO.readText(cursorPath).flatMap { Int64($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
    }

    private func pollForever() async {
        var after = lastCarriedOut()
        var backoff = Duration.milliseconds(200)
        while !Task.isCancelled {
            await registration.waitUntilRegistered()
            if Task.isCancelled { return }
            let orders: AgentOrders
            do {
                orders = try await api.orders(agentID, after: after, wait: wait)
                backoff = .milliseconds(200)
            } catch {
                // The agent is stopping: the poll was cancelled, nothing went wrong.
                if Task.isCancelled { return }
                if error.code == .notRegistered {
                    await registration.markUnregistered()
                } else {
                    logger.warning("Cannot fetch orders", metadata: ["error": "\(error.message)"])
                    try? await Task.sleep(for: backoff)
                    backoff = min(backoff * 2, .seconds(5))
                }
                continue
            }
            let before = after
            for order in orders.orders.sorted(by: { $0.seq < $1.seq }) where order.seq > after {
                await carryOut(order)
                after = order.seq
            }
            if after != before {
                do {
                    try FileIO.writeAtomically(Array("\(after)\n".utf8), to: cursorPath)
                } catch {
                    logger.error("Cannot record the last order carried out", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    private func carryOut(_ order: AgentOrder) async {
        switch order.kind {
        case .launch:
            guard let spec = order.launch else {
                logger.error("Launch order without launch details", metadata: ["order.seq": "\(order.seq)"])
                return
            }
            let result = await supervisor.launch(taskID: order.taskID, attempt: order.attempt, spec: spec)
            logger.debug(
                "Launch order",
                metadata: ["task.id": "\(order.taskID)", "task.attempt": "\(order.attempt)", "result": "\(result)"]
            )
        case .kill:
            let grace = order.kill.map { Duration.milliseconds(Int64(max(0, $0.gracePeriodSeconds) * 1000)) }
            await supervisor.kill(
                taskID: order.taskID,
                attempt: order.attempt,
                gracePeriod: grace,
                reason: order.kill?.reason ?? "asked by titan-api"
            )
        }
    }
}
