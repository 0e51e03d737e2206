/// The service's view of time: `Instant`s counted from when the service was made, and
/// sleeping until one. FenzoCore never reads a clock of its own; the caller passes one in
/// (`ContinuousClock` in production, a manual clock in tests).
protocol ServiceClock: Sendable {
    func now() -> Instant
    func sleep(until deadline: Instant) async throws
}

/// Any `Clock` measured in `Duration`, as instants since `origin`.
struct ClockTimeline<Base: Clock>: ServiceClock where Base.Duration == Duration {
    let base: Base
    let origin: Base.Instant

    init(_ base: Base) {
        self.base = base
        origin = base.now
    }

    func now() -> Instant {
        Instant(sinceReference: origin.duration(to: base.now))
    }

    func sleep(until deadline: Instant) async throws {
        try await base.sleep(until: origin.advanced(by: deadline.sinceReference), tolerance: nil)
    }
}
