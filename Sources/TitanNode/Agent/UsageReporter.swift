import Foundation
import Logging
import ServiceLifecycle
import TitanModel

/// Samples every running run's cpu and memory every few seconds and sends the samples to the
/// API (which keeps the latest per task for `GET /v1/tasks/{id}`, its `/metrics` and the
/// scheduler). Samples are not queued: a sample the API missed is replaced by the next.
public actor UsageReporter: Service {
    private let api: any AgentAPI
    private let agentID: HostID
    private let supervisor: TaskSupervisor
    private let registration: RegistrationGate
    private let interval: Duration
    private let logger: Logger

    public init(
        api: any AgentAPI,
        agentID: HostID,
        supervisor: TaskSupervisor,
        registration: RegistrationGate,
        interval: Duration = .seconds(5),
        logger: Logger
    ) {
        self.api = api
        self.agentID = agentID
        self.supervisor = supervisor
        self.registration = registration
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.reportForever()
        }
    }

    private func reportForever() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            let samples = await supervisor.sampleUsage()
            guard !samples.isEmpty, await registration.isRegistered else { continue }
            do {
                try await api.sendUsage(agentID, AgentUsageReport(at: Date(), tasks: samples))
            } catch  where error.code == .notRegistered {
                await registration.markUnregistered()
            } catch {
                logger.debug("Cannot send usage", metadata: ["error": "\(error.message)"])
            }
        }
    }
}
