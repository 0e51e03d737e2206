import CurlHTTP
import Testing

@Suite("Retry policy")
struct RetryPolicyTests {
    @Test("the wait doubles after each failed attempt and stops at the maximum")
    func backoffDoublesAndCaps() {
        let policy = RetryPolicy(maxAttempts: 10, initialBackoff: .milliseconds(100), maximumBackoff: .seconds(1))
        let waits = (1...6).map { policy.backoff(afterAttempt: $0) }
        #expect(
            waits == [
                .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1),
                .seconds(1),
            ]
        )
    }

    @Test("a huge attempt number does not overflow the wait")
    func hugeAttempt() {
        #expect(RetryPolicy().backoff(afterAttempt: 10_000) == .seconds(5))
    }

    @Test("only idempotent methods are safe to retry")
    func idempotentMethods() {
        #expect(HTTPMethod.get.isIdempotent && HTTPMethod.put.isIdempotent && HTTPMethod.delete.isIdempotent)
        #expect(!HTTPMethod.post.isIdempotent && !HTTPMethod.patch.isIdempotent)
    }
}
