import Foundation
import TitanModel

/// Polls a job until ``JobWaitRule`` says it is up, failed or cannot fit, or the timeout passes.
public struct JobWaiter: Sendable {
    public var client: TitanAPIClient
    public var timeout: Duration
    public var pollInterval: Duration

    public init(client: TitanAPIClient, timeout: Duration, pollInterval: Duration = .milliseconds(500)) {
        self.client = client
        self.timeout = timeout
        self.pollInterval = pollInterval
    }

    /// Waits for the job.
    /// - Parameters:
    ///   - jobID: the job.
    ///   - onObservation: hears every look at the job, to show progress.
    /// - Returns: the job as it was when it came up.
    /// - Throws: ``CommandFailure``: refused (exit 1) when it failed, cannot fit or timed out;
    ///   unreachable when the API went away.
    public func wait(for jobID: JobID, onObservation: (WaitObservation) -> Void) async throws(CommandFailure)
        -> JobDetail
    {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = Date().addingTimeInterval(timeout.seconds)
        while true {
            let observation = try await observe(jobID)
            onObservation(observation)
            let (started, wanted) = observation.progress
            switch JobWaitRule.judge(observation, deadline: deadline) {
            case .up:
                return observation.job
            case .failed(let why):
                throw .refused("job \(jobID) will not come up: \(why)")
            case .cannotFit(let why):
                throw .refused("job \(jobID) cannot fit (\(started)/\(wanted) started): \(why)")
            case .waiting:
                break
            }
            if clock.now - start >= timeout {
                var message = "timed out after \(Formatting.number(timeout.seconds)) s waiting for job \(jobID): "
                message += "\(started)/\(wanted) started"
                for reason in observation.pendingReasons.prefix(3) { message += "\n  still waiting: \(reason)" }
                message += "\n  the job goes on; follow it with `titanctl job get \(jobID)`"
                throw .refused(message)
            }
            do {
                try await Task.sleep(for: pollInterval)
            } catch {
                throw .refused("stopped waiting for job \(jobID)")
            }
        }
    }

    /// The job, a sample of its waiting and finished tasks, and the hosts.
    func observe(_ jobID: JobID) async throws(CommandFailure) -> WaitObservation {
        do {
            let job: JobDetail = try await client.get("/v1/jobs/\(jobID.rawValue)")
            let tasks: Page<TaskSummary> = try await client.get(
                "/v1/jobs/\(jobID.rawValue)/tasks?state=accepted,finished&limit=200"
            )
            let hosts: Page<HostSummary> = try await client.get("/v1/hosts")
            return WaitObservation(job: job, waitingOrFinished: tasks.items, hosts: hosts.items)
        } catch {
            throw error.failure
        }
    }
}

extension Duration {
    /// The duration in seconds.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
