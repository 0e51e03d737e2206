// sin and cos come from the C library's libm, which the package links; no Foundation.
#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// One observation of a group's demand, in hosts (busy hosts plus the hosts waiting
/// tasks needed, say), at an instant.
public struct DemandSample: Sendable, Hashable {
    public var at: Instant
    public var hosts: Double

    public init(at: Instant, hosts: Double) {
        self.at = at
        self.hosts = hosts
    }
}

/// A linear model of a group's demand over time: a level, a trend, and daily and
/// half-daily cycles, fitted by ordinary least squares to a history the caller keeps.
///
/// `demand(t) = b0 + b1·days + b2·sin(2πh/24) + b3·cos(2πh/24) + b4·sin(4πh/24) + b5·cos(4πh/24)`,
/// where `days` counts days since the first sample and `h` is the hour of the day:
/// the seconds of the instant plus `timeOfDayOffset`, modulo one day, in hours. Instants
/// counted from the Unix epoch give UTC hours; pass the local offset (such as
/// `.seconds(-5 * 3600)`) for a fleet whose load follows a local day. Predictions let
/// the autoscaler grow a group before a daily peak instead of after it.
public struct DemandForecast: Sendable {
    /// The fitted coefficients, in the order of the formula above.
    public let coefficients: [Double]
    /// The standard deviation of the fit's residuals, in hosts: add a multiple of it to
    /// a prediction for a margin.
    public let residualStandardDeviation: Double
    /// Added to an instant's seconds before taking the hour of the day.
    public let timeOfDayOffset: Duration
    /// The first sample's instant, where `days` is 0.
    public let origin: Instant

    private static let secondsPerDay = 86_400.0

    /// Fits the model to `history`.
    /// - Parameters:
    ///   - history: at least 12 samples spanning at least a day, in any order.
    ///   - timeOfDayOffset: added to an instant's seconds before taking the hour of day.
    /// - Throws: `DemandForecastError` if the history is too short, holds a value that
    ///   is not a finite number, or does not determine the model.
    public static func fit(
        _ history: [DemandSample],
        timeOfDayOffset: Duration = .zero
    ) throws(DemandForecastError) -> DemandForecast {
        guard history.count >= 12 else { throw .tooFewSamples(history.count) }
        if let bad = history.first(where: { !$0.hosts.isFinite }) { throw .notFinite(bad) }
        let sorted = history.sorted { $0.at < $1.at }
        let origin = sorted[0].at
        let span = (sorted[sorted.count - 1].at - origin) / .seconds(1)
        guard span >= secondsPerDay else { throw .spanTooShort(hours: span / 3600) }
        let offsetSeconds = timeOfDayOffset / .seconds(1)
        let width = 6
        var normal = Array(repeating: Array(repeating: 0.0, count: width), count: width)
        var moment = Array(repeating: 0.0, count: width)
        for sample in sorted {
            let x = features(sample.at, origin: origin, offsetSeconds: offsetSeconds)
            for row in 0..<width {
                moment[row] += x[row] * sample.hosts
                for column in 0...row { normal[row][column] += x[row] * x[column] }
            }
        }
        for row in 0..<width { for column in (row + 1)..<width { normal[row][column] = normal[column][row] } }
        guard let coefficients = solveSymmetric(normal, moment) else { throw .singular }
        var squares = 0.0
        for sample in sorted {
            let x = features(sample.at, origin: origin, offsetSeconds: offsetSeconds)
            let residual = sample.hosts - zip(coefficients, x).reduce(0) { $0 + $1.0 * $1.1 }
            squares += residual * residual
        }
        return DemandForecast(
            coefficients: coefficients,
            residualStandardDeviation: (squares / Double(max(1, sorted.count - width))).squareRoot(),
            timeOfDayOffset: timeOfDayOffset,
            origin: origin
        )
    }

    /// The demand the model expects at `instant`, in hosts.
    public func predict(at instant: Instant) -> Double {
        let x = Self.features(instant, origin: origin, offsetSeconds: timeOfDayOffset / .seconds(1))
        return zip(coefficients, x).reduce(0) { $0 + $1.0 * $1.1 }
    }

    /// The most demand the model expects from `start` through `end`, sampled every
    /// `step`: what the group should be sized for over the next period.
    public func peak(from start: Instant, through end: Instant, step: Duration = .seconds(300)) -> Double {
        var most = predict(at: start)
        guard step > .zero else { return max(most, predict(at: end)) }
        var instant = start + step
        while instant < end {
            most = max(most, predict(at: instant))
            instant = instant + step
        }
        return max(most, predict(at: end))
    }

    /// The busy hosts to plan for over the period: the peak plus `margin` residual
    /// standard deviations, rounded up, never below 0.
    public func hostsNeeded(from start: Instant, through end: Instant, margin: Double = 1) -> Int {
        let hosts = peak(from: start, through: end) + margin * residualStandardDeviation
        return hosts.isFinite ? max(0, Int(hosts.rounded(.up))) : 0
    }

    /// How far the model's predictions are from `samples`.
    public func accuracy(on samples: [DemandSample]) -> ForecastAccuracy {
        var absolute = 0.0
        var squares = 0.0
        var percent = 0.0
        var percentCount = 0
        for sample in samples {
            let error = predict(at: sample.at) - sample.hosts
            absolute += abs(error)
            squares += error * error
            if sample.hosts != 0 {
                percent += abs(error / sample.hosts)
                percentCount += 1
            }
        }
        let count = Double(max(1, samples.count))
        return ForecastAccuracy(
            meanAbsoluteError: absolute / count,
            meanAbsolutePercentageError: percentCount > 0 ? 100 * percent / Double(percentCount) : 0,
            rootMeanSquareError: (squares / count).squareRoot()
        )
    }

    /// The model's inputs for an instant: 1, days since the origin, and the daily and
    /// half-daily sine and cosine of the hour of the day.
    static func features(_ instant: Instant, origin: Instant, offsetSeconds: Double) -> [Double] {
        let days = (instant - origin) / .seconds(1) / secondsPerDay
        var secondOfDay = (instant.seconds + offsetSeconds).truncatingRemainder(dividingBy: secondsPerDay)
        if secondOfDay < 0 { secondOfDay += secondsPerDay }
        let angle = 2 * Double.pi * secondOfDay / secondsPerDay
        return [1, days, sin(angle), cos(angle), sin(2 * angle), cos(2 * angle)]
    }

    /// Solves `a·x = b` for a symmetric positive definite `a` by Cholesky decomposition;
    /// nil when `a` is singular or nearly so.
    static func solveSymmetric(_ a: [[Double]], _ b: [Double]) -> [Double]? {
        let n = b.count
        let largest = (0..<n).map { a[$0][$0] }.max() ?? 0
        guard largest > 0 else { return nil }
        var lower = Array(repeating: Array(repeating: 0.0, count: n), count: n)
        for row in 0..<n {
            for column in 0...row {
                var sum = a[row][column]
                for k in 0..<column { sum -= lower[row][k] * lower[column][k] }
                if row == column {
                    guard sum > largest * 1e-12 else { return nil }
                    lower[row][row] = sum.squareRoot()
                } else {
                    lower[row][column] = sum / lower[column][column]
                }
            }
        }
        var y = Array(repeating: 0.0, count: n)
        for row in 0..<n {
            var sum = b[row]
            for k in 0..<row { sum -= lower[row][k] * y[k] }
            y[row] = sum / lower[row][row]
        }
        var x = Array(repeating: 0.0, count: n)
        for row in stride(from: n - 1, through: 0, by: -1) {
            var sum = y[row]
            for k in (row + 1)..<n { sum -= lower[k][row] * x[k] }
            x[row] = sum / lower[row][row]
        }
        return x
    }
}

/// How far a forecast's predictions were from what happened.
public struct ForecastAccuracy: Sendable, Hashable {
    /// Mean of |predicted − actual|, in hosts.
    public var meanAbsoluteError: Double
    /// Mean of |predicted − actual| / actual, in per cent, over samples with demand.
    public var meanAbsolutePercentageError: Double
    /// Square root of the mean squared error, in hosts.
    public var rootMeanSquareError: Double
}

/// A history a forecast cannot be fitted to, with what to change.
public struct DemandForecastError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case tooFewSamples
        case spanTooShort
        case notFinite
        case singular
    }

    private let code: Code
    /// What is wrong and what to do about it.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    static func tooFewSamples(_ count: Int) -> DemandForecastError {
        DemandForecastError(
            .tooFewSamples,
            "the history has \(count) sample(s); the forecast needs at least 12, spread over at least a day"
        )
    }
    static func spanTooShort(hours: Double) -> DemandForecastError {
        DemandForecastError(
            .spanTooShort,
            "the history spans \(hours.compactText) hours; the daily cycle needs at least 24: keep sampling "
                + "and size reactively until then"
        )
    }
    static func notFinite(_ sample: DemandSample) -> DemandForecastError {
        DemandForecastError(
            .notFinite,
            "the sample at \(sample.at) is \(sample.hosts); every demand must be a finite number"
        )
    }
    static var singular: DemandForecastError {
        DemandForecastError(
            .singular,
            "the history does not determine the model (samples at too few times of day?); "
                + "sample at least hourly over a day or more"
        )
    }
}
