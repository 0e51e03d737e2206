/// A point in time as the caller counts it.
///
/// FenzoCore never reads a clock: every operation that depends on time takes an
/// `Instant`, so the same inputs always give the same decisions and tests control time.
/// The reference point is the caller's choice (process start, the Unix epoch, a
/// workload's time zero); only differences between instants matter.
public struct Instant: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Time elapsed since the caller's reference point.
    public var sinceReference: Duration

    public init(sinceReference: Duration) { self.sinceReference = sinceReference }

    /// The reference point itself.
    public static let zero = Instant(sinceReference: .zero)

    /// An instant `seconds` after the reference point.
    public static func seconds(_ seconds: Double) -> Instant {
        Instant(sinceReference: .nanoseconds(Int64((seconds * 1e9).rounded())))
    }

    /// Seconds since the reference point, for reports and arithmetic on rates.
    public var seconds: Double {
        let (s, attos) = sinceReference.components
        return Double(s) + Double(attos) * 1e-18
    }

    public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.sinceReference < rhs.sinceReference }
    public static func + (lhs: Instant, rhs: Duration) -> Instant { Instant(sinceReference: lhs.sinceReference + rhs) }
    public static func - (lhs: Instant, rhs: Duration) -> Instant { Instant(sinceReference: lhs.sinceReference - rhs) }
    public static func - (lhs: Instant, rhs: Instant) -> Duration { lhs.sinceReference - rhs.sinceReference }

    public var description: String { "t=\(seconds)s" }
}
