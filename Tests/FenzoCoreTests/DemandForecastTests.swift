import Foundation
import Testing

@testable import FenzoCore

@Suite("Predictive sizing")
struct DemandForecastTests {
    /// Demand with a level of 100 hosts, a trend of +6 a day, a daily swing of ±30
    /// peaking at 15:00 and a half-daily ripple of ±5, sampled every `step` seconds.
    static func diurnal(days: Double, step: Double = 900, noise: Double = 0, seed: UInt64 = 7) -> [DemandSample] {
        var random = SeededGenerator(seed: seed)
        return stride(from: 0.0, to: days * 86_400, by: step).map { seconds in
            let hour = seconds.truncatingRemainder(dividingBy: 86_400) / 3600
            let daily = 30 * cosine(2 * Double.pi * (hour - 15) / 24)
            let ripple = 5 * sine(4 * Double.pi * hour / 24)
            // A uniform draw scaled to the requested standard deviation.
            let jitter = noise * 3.0.squareRoot() * (2 * Double.random(in: 0..<1, using: &random) - 1)
            return DemandSample(at: .seconds(seconds), hosts: 100 + 6 * seconds / 86_400 + daily + ripple + jitter)
        }
    }

    static func sine(_ x: Double) -> Double { sin(x) }
    static func cosine(_ x: Double) -> Double { cos(x) }

    @Test("a noiseless series with a trend and daily cycles is recovered exactly")
    func recoversKnownTrend() throws {
        let forecast = try DemandForecast.fit(Self.diurnal(days: 7))
        let c = forecast.coefficients
        #expect(abs(c[0] - 100) < 1e-6)
        #expect(abs(c[1] - 6) < 1e-6)
        // 30·cos(θ − 15h) = 30·cos(15h)·cos θ + 30·sin(15h)·sin θ.
        let phase = 2 * Double.pi * 15 / 24
        #expect(abs(c[2] - 30 * Self.sine(phase)) < 1e-6)
        #expect(abs(c[3] - 30 * Self.cosine(phase)) < 1e-6)
        #expect(abs(c[4] - 5) < 1e-6)
        #expect(abs(c[5]) < 1e-6)
        #expect(forecast.residualStandardDeviation < 1e-6)
    }

    @Test("with noise, the next day is predicted within the noise")
    func predictsNextDayWithinNoise() throws {
        let history = Self.diurnal(days: 14, noise: 4)
        let forecast = try DemandForecast.fit(history)
        let truth = Self.diurnal(days: 15, noise: 0).filter { $0.at.seconds >= 14 * 86_400 }
        let accuracy = forecast.accuracy(on: truth)
        #expect(accuracy.meanAbsoluteError < 1.5)
        #expect(accuracy.meanAbsolutePercentageError < 1.5)
        #expect(abs(forecast.coefficients[1] - 6) < 0.5)
        #expect(abs(forecast.residualStandardDeviation - 4) < 0.5)
    }

    @Test("the peak over the next period lands on the daily high, and hosts needed rounds it up with a margin")
    func peakOverPeriod() throws {
        let forecast = try DemandForecast.fit(Self.diurnal(days: 7))
        let dayEight = 7.0 * 86_400
        let peak = forecast.peak(from: .seconds(dayEight + 12 * 3600), through: .seconds(dayEight + 18 * 3600))
        let atThree = forecast.predict(at: .seconds(dayEight + 15 * 3600))
        #expect(peak >= atThree)
        #expect(peak < atThree + 3)
        let needed = forecast.hostsNeeded(from: .seconds(dayEight + 12 * 3600), through: .seconds(dayEight + 18 * 3600))
        #expect(needed == Int(peak.rounded(.up)))
    }

    @Test("a time-of-day offset shifts the daily cycle to local hours")
    func timeOfDayOffset() throws {
        // The same series, its instants counted from 05:00 instead of midnight.
        let shifted = Self.diurnal(days: 7).map { DemandSample(at: $0.at - .seconds(5 * 3600), hosts: $0.hosts) }
        let forecast = try DemandForecast.fit(shifted, timeOfDayOffset: .seconds(5 * 3600))
        #expect(abs(forecast.coefficients[4] - 5) < 1e-6)
    }

    @Test("histories too short, too few or not numbers are refused with what to do")
    func refusesBadHistories() {
        #expect(throws: DemandForecastError.self) { try DemandForecast.fit(Array(Self.diurnal(days: 7).prefix(5))) }
        do {
            _ = try DemandForecast.fit(Self.diurnal(days: 0.5))
            Issue.record("a half-day history was accepted")
        } catch {
            #expect(error.message.contains("the daily cycle needs at least 24"))
        }
        var broken = Self.diurnal(days: 2)
        broken[3].hosts = .nan
        #expect(throws: DemandForecastError.self) { try DemandForecast.fit(broken) }
        let flat = (0..<48).map { DemandSample(at: .seconds(Double($0) * 86_400), hosts: 10) }
        do {
            _ = try DemandForecast.fit(flat)
            Issue.record("samples all at midnight were accepted")
        } catch {
            #expect(error.message.contains("does not determine the model"))
        }
    }
}
