/// When and how often an idempotent request is tried again after a connection error.
///
/// Only requests whose method is idempotent are retried, and only when no response has started:
/// a refused or dropped connection before the status line. The wait doubles (by default) after
/// each attempt, up to ``maximumBackoff``.
public struct RetryPolicy: Hashable, Sendable {
    /// Attempts in all, the first one included; 1 means never retry.
    public var maxAttempts: Int
    /// The wait after the first failed attempt.
    public var initialBackoff: Duration
    /// The factor the wait grows by after each further failure.
    public var multiplier: Double
    /// The longest wait between two attempts.
    public var maximumBackoff: Duration

    public init(
        maxAttempts: Int = 3,
        initialBackoff: Duration = .milliseconds(100),
        multiplier: Double = 2,
        maximumBackoff: Duration = .seconds(5)
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialBackoff = initialBackoff
        self.multiplier = max(1, multiplier)
        self.maximumBackoff = maximumBackoff
    }

    /// Never retries.
    public static let never = RetryPolicy(maxAttempts: 1)

    /// The wait after the given failed attempt (1 for the first).
    public func backoff(afterAttempt attempt: Int) -> Duration {
        var wait = initialBackoff
        var grown = 1
        while grown < attempt && wait < maximumBackoff {
            wait = wait * multiplier
            grown += 1
        }
        return min(wait, maximumBackoff)
    }
}
