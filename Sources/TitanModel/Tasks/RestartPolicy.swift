/// Decides what happens to a job instance when one of its attempts finishes: run it again
/// after a backoff, or leave the instance finished for good.
///
/// A pure function of the job's settings and the attempt's outcome, so it is tested without a
/// store or a clock. The rules, in order:
///
/// 1. `killed` never restarts (a user, a job kill or a scale-down asked for it).
/// 2. `lost` always restarts (the host failed, not the task), whatever `restartOnFailure`
///    says, and does not count against `numRetries`.
/// 3. `succeeded` restarts only a service with `restartOnSuccess`; it does not count against
///    `numRetries`. Otherwise the instance has succeeded for good.
/// 4. `failed` and `oomKilled` restart while `restartOnFailure` is set and fewer than
///    `numRetries` failure restarts have been used; each such restart uses one.
///
/// Delay: `base · 2^attempt`, capped (1 s, 2 s, 4 s, … 256 s, then 300 s), where `attempt` is
/// the number of the attempt that ended (0 for the first run). An attempt that ran at least
/// `healthyRunDuration` (10 minutes) restarts after `base` again, so a service that ran for a
/// week is not held back by failures long past.
public struct RestartPolicy: Hashable, Sendable {
    public var kind: JobKind
    public var restartOnFailure: Bool
    public var numRetries: Int
    public var restartOnSuccess: Bool
    public var backoff: RestartBackoff

    public init(
        kind: JobKind,
        restartOnFailure: Bool,
        numRetries: Int,
        restartOnSuccess: Bool,
        backoff: RestartBackoff = .standard
    ) {
        self.kind = kind
        self.restartOnFailure = restartOnFailure
        self.numRetries = numRetries
        self.restartOnSuccess = restartOnSuccess
        self.backoff = backoff
    }

    /// The policy a job spec asks for.
    public init(spec: JobSpec, backoff: RestartBackoff = .standard) {
        self.init(
            kind: spec.kind,
            restartOnFailure: spec.restartOnFailure,
            numRetries: spec.numRetries,
            restartOnSuccess: spec.restartOnSuccess,
            backoff: backoff
        )
    }

    /// What to do with an instance whose attempt just finished.
    /// - Parameters:
    ///   - reason: why the attempt finished.
    ///   - attempt: the number of the attempt that finished, from 0.
    ///   - retriesUsed: failure restarts the instance has used before this one.
    ///   - ranFor: how long the attempt ran (from `started`), or nil if it never started.
    public func decide(reason: FinishReason, attempt: Int, retriesUsed: Int, ranFor: Duration? = nil) -> RestartDecision
    {
        let delay = backoff.delay(afterAttempt: attempt, ranFor: ranFor)
        switch reason {
        case .killed:
            return .finishInstance(.killed)
        case .lost:
            return .restart(after: delay, usesRetry: false)
        case .succeeded:
            return kind == .service && restartOnSuccess
                ? .restart(after: delay, usesRetry: false) : .finishInstance(.succeeded)
        case .failed, .oomKilled:
            return restartOnFailure && retriesUsed < numRetries
                ? .restart(after: delay, usesRetry: true) : .finishInstance(reason)
        }
    }
}

/// The outcome of ``RestartPolicy/decide(reason:attempt:retriesUsed:ranFor:)``.
public enum RestartDecision: Hashable, Sendable {
    /// Start a new attempt of the instance once `after` has passed; `usesRetry` when it counts
    /// against `numRetries`.
    case restart(after: Duration, usesRetry: Bool)
    /// The instance is finished for good, with this outcome.
    case finishInstance(FinishReason)
}

/// Exponential backoff between attempts of an instance.
public struct RestartBackoff: Hashable, Sendable {
    /// The delay after the first attempt.
    public var base: Duration
    /// The longest delay.
    public var cap: Duration
    /// An attempt that ran at least this long restarts after `base`.
    public var healthyRunDuration: Duration

    public init(base: Duration, cap: Duration, healthyRunDuration: Duration) {
        self.base = base
        self.cap = cap
        self.healthyRunDuration = healthyRunDuration
    }

    /// 1 s doubling to at most 5 minutes; reset after 10 minutes of healthy running.
    public static let standard = RestartBackoff(
        base: .seconds(1),
        cap: .seconds(300),
        healthyRunDuration: .seconds(600)
    )

    /// `base · 2^attempt`, at most `cap`; `base` after a healthy run.
    public func delay(afterAttempt attempt: Int, ranFor: Duration? = nil) -> Duration {
        if let ranFor, ranFor >= healthyRunDuration { return min(base, cap) }
        var delay = base
        for _ in 0..<max(0, min(attempt, 64)) {
            delay *= 2
            if delay >= cap { return cap }
        }
        return min(delay, cap)
    }
}
