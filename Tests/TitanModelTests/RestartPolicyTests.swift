import Testing

@testable import TitanModel

@Suite("Restart policy")
struct RestartPolicyTests {
    static let service = RestartPolicy(kind: .service, restartOnFailure: true, numRetries: 2, restartOnSuccess: true)
    static let serviceNoSuccess = RestartPolicy(
        kind: .service,
        restartOnFailure: true,
        numRetries: 2,
        restartOnSuccess: false
    )
    static let batch = RestartPolicy(kind: .batch, restartOnFailure: true, numRetries: 2, restartOnSuccess: false)
    static let noRestarts = RestartPolicy(kind: .batch, restartOnFailure: false, numRetries: 5, restartOnSuccess: false)

    @Test(
        "decisions follow the rules in order",
        arguments: [
            // Killed never restarts.
            (service, FinishReason.killed, 0, RestartDecision.finishInstance(.killed)),
            (batch, .killed, 0, .finishInstance(.killed)),
            // Lost always restarts, without using a retry, even with restarts off or retries used up.
            (noRestarts, .lost, 0, .restart(after: .seconds(1), usesRetry: false)),
            (batch, .lost, 2, .restart(after: .seconds(1), usesRetry: false)),
            // Success restarts only services that ask for it.
            (service, .succeeded, 0, .restart(after: .seconds(1), usesRetry: false)),
            (serviceNoSuccess, .succeeded, 0, .finishInstance(.succeeded)),
            (batch, .succeeded, 0, .finishInstance(.succeeded)),
            // Failures restart while retries last.
            (batch, .failed, 0, .restart(after: .seconds(1), usesRetry: true)),
            (batch, .oomKilled, 1, .restart(after: .seconds(1), usesRetry: true)),
            (batch, .failed, 2, .finishInstance(.failed)),
            (batch, .oomKilled, 2, .finishInstance(.oomKilled)),
            (noRestarts, .failed, 0, .finishInstance(.failed)),
        ]
    )
    func decisions(policy: RestartPolicy, reason: FinishReason, retriesUsed: Int, expected: RestartDecision) {
        #expect(policy.decide(reason: reason, attempt: 0, retriesUsed: retriesUsed) == expected)
    }

    @Test(
        "backoff doubles from 1 s per attempt and stops at 5 minutes",
        arguments: [(0, 1), (1, 2), (2, 4), (3, 8), (8, 256), (9, 300), (30, 300), (1_000_000, 300)]
    )
    func backoff(attempt: Int, seconds: Int) {
        #expect(RestartBackoff.standard.delay(afterAttempt: attempt) == .seconds(seconds))
        #expect(
            Self.batch.decide(reason: .failed, attempt: attempt, retriesUsed: 0)
                == .restart(after: .seconds(seconds), usesRetry: true)
        )
    }

    @Test("an attempt that ran at least 10 minutes restarts after the base delay again")
    func healthyRunResetsBackoff() {
        #expect(RestartBackoff.standard.delay(afterAttempt: 12, ranFor: .seconds(600)) == .seconds(1))
        #expect(RestartBackoff.standard.delay(afterAttempt: 12, ranFor: .seconds(599)) == .seconds(300))
        #expect(RestartBackoff.standard.delay(afterAttempt: 3, ranFor: nil) == .seconds(8))
    }

    @Test("the policy of a spec takes its restart fields")
    func fromSpec() throws {
        let spec = try parse(
            #"{"name": "a", "command": ["x"], "kind": "batch", "restartOnFailure": false, "numRetries": 4}"#
        )
        #expect(
            RestartPolicy(spec: spec)
                == RestartPolicy(kind: .batch, restartOnFailure: false, numRetries: 4, restartOnSuccess: false)
        )
    }
}

@Suite("Job status")
struct JobStatusTests {
    @Test(
        "status follows from the kill request and the instance tally",
        arguments: [
            (false, InstanceTally(live: 3, succeeded: 0, finished: 0), JobStatus.active),
            (false, InstanceTally(live: 1, succeeded: 2, finished: 2), .active),
            (false, InstanceTally(live: 0, succeeded: 0, finished: 0), .active),
            (false, InstanceTally(live: 0, succeeded: 3, finished: 3), .succeeded),
            (false, InstanceTally(live: 0, succeeded: 2, finished: 3), .failed),
            (true, InstanceTally(live: 2, succeeded: 0, finished: 0), .killing),
            (true, InstanceTally(live: 0, succeeded: 3, finished: 3), .killed),
            (true, InstanceTally(live: 0, succeeded: 0, finished: 0), .killed),
        ]
    )
    func derive(killRequested: Bool, tally: InstanceTally, expected: JobStatus) {
        #expect(JobStatus.derive(killRequested: killRequested, instances: tally) == expected)
    }

    @Test("finished statuses")
    func finished() {
        #expect(JobStatus.allCases.filter(\.isFinished) == [.succeeded, .failed, .killed])
    }
}
