import FenzoCore
import Foundation

let usage = """
    usage: autoscale-sim replay [--workload FILE | --churn TASKS | --diurnal DAYS] [options]
           autoscale-sim forecast [--days N] [--noise HOSTS] [--seed N]

    replay: replays a workload with the autoscaler in the loop and reports host-hours
    against the lower bound's integral and a fleet fixed at peak, task pending times,
    scaling actions and flapping. Writes the timeline as CSV for plot.py.
      --workload FILE      a v1 workload (shared/workloads/gen.py churn ...); new hosts
                           take the first host's shape
      --churn TASKS        generate a churn workload of TASKS tasks (gen.py's shapes)
      --diurnal DAYS       generate DAYS days of batch tasks at a daily-varying rate
      --peak-rate R        tasks a second at the diurnal peak (default 0.5)
      --seed N             generator seed (default 1)
      --boot-delay S       seconds from asking for a host to its first offer (default 60)
      --iteration S        seconds between scheduling iterations (default 5)
      --min-idle N --max-idle N   idle hosts to keep (default 2 and 4)
      --cool-down S        rule cool-down in seconds (default 120)
      --host-by-host       place tasks host by host instead of in queue order
      --predictive         feed a demand forecast (refitted hourly after a day)
      --lookahead S        the forecast sizes for its peak over the next S seconds (default 1800)
      --margin K           plus K residual standard deviations (default 1)
      --hints S            carry out scale-down hints every S seconds (kill and restart)
      --hints-per-round N  at most N hints carried out each time (default 4)
      --fitness NAME       bin packing on cpu, memory or cpuMemory (default cpuMemory)
      --timeline FILE      write the timeline CSV here
      --json FILE          write the summary as JSON here

    forecast: fits the demand forecast to N-1 days of a noisy diurnal series with a
    trend and reports its error on day N (mean absolute error, MAPE, RMSE).
    """

struct Arguments {
    var values: [String: String] = [:]
    var flags = Set<String>()
    var command = ""

    init(_ raw: [String]) throws {
        var rest = raw[...]
        guard let command = rest.popFirst() else { throw WorkloadError(description: usage) }
        self.command = command
        let flagNames: Set<String> = ["--host-by-host", "--predictive"]
        while let name = rest.popFirst() {
            guard name.hasPrefix("--") else { throw WorkloadError(description: "unexpected \(name)\n\(usage)") }
            if flagNames.contains(name) {
                flags.insert(name)
            } else {
                guard let value = rest.popFirst() else { throw WorkloadError(description: "\(name) needs a value") }
                values[name] = value
            }
        }
    }

    func number(_ name: String, _ fallback: Double) throws -> Double {
        guard let text = values[name] else { return fallback }
        guard let value = Double(text), value.isFinite else {
            throw WorkloadError(description: "\(name) must be a number, got \(text)")
        }
        return value
    }
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    let rank = Int((p / 100 * Double(sorted.count - 1)).rounded())
    return sorted[min(sorted.count - 1, max(0, rank))]
}

func fixed(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }

func replay(_ arguments: Arguments) async throws {
    let seed = UInt64(try arguments.number("--seed", 1))
    var workload: Workload
    if let path = arguments.values["--workload"] {
        workload = try Workload.read(path: path)
    } else if let days = arguments.values["--diurnal"] {
        guard let count = Int(days), count > 0 else { throw WorkloadError(description: "--diurnal needs a day count") }
        workload = Workload.diurnal(days: count, peakRate: try arguments.number("--peak-rate", 0.5), seed: seed)
    } else {
        workload = Workload.churn(tasks: Int(try arguments.number("--churn", 3000)), seed: seed)
    }
    // Tasks no host of the shape can hold (gen.py's churn has some over 64 GB) would
    // wait forever and inflate the lower bound; they are left out and counted.
    let fits = { (task: SimulatedTask) in workload.hostShape.resources.covers(task.request.resources) }
    let tooBig = workload.tasks.count { !fits($0) }
    workload.tasks.removeAll { !fits($0) }
    var settings = SimulationSettings()
    settings.bootDelayS = try arguments.number("--boot-delay", settings.bootDelayS)
    settings.iterationS = try arguments.number("--iteration", settings.iterationS)
    settings.minIdleHosts = Int(try arguments.number("--min-idle", Double(settings.minIdleHosts)))
    settings.maxIdleHosts = Int(try arguments.number("--max-idle", Double(settings.maxIdleHosts)))
    settings.coolDownS = try arguments.number("--cool-down", settings.coolDownS)
    settings.predictive = arguments.flags.contains("--predictive")
    settings.forecastLookaheadS = try arguments.number("--lookahead", settings.forecastLookaheadS)
    settings.forecastMargin = try arguments.number("--margin", settings.forecastMargin)
    if arguments.flags.contains("--host-by-host") { settings.placementOrder = .hostByHost }
    settings.hintsPerRound = Int(try arguments.number("--hints-per-round", Double(settings.hintsPerRound)))
    if let name = arguments.values["--fitness"] {
        guard ["cpu", "memory", "cpuMemory"].contains(name) else {
            throw WorkloadError(description: "--fitness must be cpu, memory or cpuMemory, got \(name)")
        }
        settings.fitnessName = name
    }
    if arguments.values["--hints"] != nil { settings.hintIntervalS = try arguments.number("--hints", 300) }

    let log = FileHandle.standardError
    log.write(Data("replaying \(workload.name): \(workload.tasks.count) tasks\n".utf8))
    let report = try await Simulation(workload: workload, settings: settings).run { line in
        log.write(Data((line + "\n").utf8))
    }
    let p50 = percentile(report.pendingS, 50)
    let p99 = percentile(report.pendingS, 99)
    let budget = settings.bootDelayS + 2 * settings.iterationS
    let lines = [
        "workload \(report.workload): \(workload.tasks.count) tasks over \(fixed(report.durationS / 3600, 2)) h "
            + "(\(tooBig) more left out: bigger than a host)",
        "settings: boot delay \(fixed(settings.bootDelayS, 0)) s, iteration \(fixed(settings.iterationS, 0)) s, "
            + "idle \(settings.minIdleHosts)-\(settings.maxIdleHosts), cool-down \(fixed(settings.coolDownS, 0)) s, "
            + "placement \(settings.placementOrder), fitness \(settings.fitnessName), predictive \(settings.predictive), "
            + "hints every \(settings.hintIntervalS.map { "\(fixed($0, 0)) s" } ?? "never")",
        "host-hours: autoscaled \(fixed(report.hostHours)), lower bound integral \(fixed(report.lowerBoundHostHours)) "
            + "(+\(fixed(100 * report.overLowerBound))%), fixed fleet at peak (\(report.peakFleet) hosts) "
            + "\(fixed(report.fixedFleetHostHours)) (autoscaled saves "
            + "\(fixed(100 * (1 - report.hostHours / report.fixedFleetHostHours)))%)",
        "peak lower bound \(report.peakLowerBound) hosts",
        "pending: p50 \(fixed(p50)) s, p99 \(fixed(p99)) s, max \(fixed(report.pendingS.max() ?? 0)) s "
            + "(target p99 <= \(fixed(budget, 0)) s); never placed \(report.neverPlaced)",
        "actions: \(report.scaleUps) scale-ups adding \(report.hostsAdded) hosts, \(report.scaleDowns) scale-downs "
            + "removing \(report.hostsRemoved) hosts; flaps \(report.flaps); tasks moved by hints \(report.tasksMoved)",
        "simulated in \(fixed(report.wallSeconds, 1)) s",
    ]
    print(lines.joined(separator: "\n"))
    if let path = arguments.values["--timeline"] {
        var csv = "t_s,fleet,busy,lower_bound,waiting,forecast\n"
        for sample in report.timeline {
            csv +=
                "\(sample.at),\(sample.fleet),\(sample.busy),\(sample.lowerBound),\(sample.waiting),"
                + "\(sample.forecast.map(String.init) ?? "")\n"
        }
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
    }
    if let path = arguments.values["--json"] {
        let summary: [String: Any] = [
            "workload": report.workload, "tasks": workload.tasks.count, "tasksBiggerThanAHost": tooBig,
            "durationS": report.durationS,
            "bootDelayS": settings.bootDelayS, "iterationS": settings.iterationS,
            "minIdle": settings.minIdleHosts, "maxIdle": settings.maxIdleHosts, "coolDownS": settings.coolDownS,
            "predictive": settings.predictive, "hintIntervalS": settings.hintIntervalS ?? 0,
            "hostHours": report.hostHours, "lowerBoundHostHours": report.lowerBoundHostHours,
            "fixedFleetHostHours": report.fixedFleetHostHours, "peakFleet": report.peakFleet,
            "pendingP50S": p50, "pendingP99S": p99, "pendingMaxS": report.pendingS.max() ?? 0,
            "neverPlaced": report.neverPlaced, "scaleUps": report.scaleUps, "hostsAdded": report.hostsAdded,
            "scaleDowns": report.scaleDowns, "hostsRemoved": report.hostsRemoved, "flaps": report.flaps,
            "tasksMoved": report.tasksMoved,
        ]
        let data = try JSONSerialization.data(withJSONObject: summary, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: path))
    }
}

func forecastError(_ arguments: Arguments) throws {
    let days = Int(try arguments.number("--days", 15))
    let noise = try arguments.number("--noise", 5)
    var random = SplitMix64(seed: UInt64(try arguments.number("--seed", 1)))
    guard days >= 2 else { throw WorkloadError(description: "--days must be at least 2") }
    // 200 hosts, +4 a day, ±60 daily swing peaking at 15:00, ±10 half-daily ripple,
    // Gaussian noise; sampled every 5 minutes.
    let series = stride(from: 0.0, to: Double(days) * 86_400, by: 300).map { seconds in
        let hour = seconds.truncatingRemainder(dividingBy: 86_400) / 3600
        let u1 = max(Double.random(in: 0..<1, using: &random), 1e-12)
        let u2 = Double.random(in: 0..<1, using: &random)
        let gaussian = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
        let hosts =
            200 + 4 * seconds / 86_400 + 60 * cos(2 * Double.pi * (hour - 15) / 24)
            + 10 * sin(4 * Double.pi * hour / 24) + noise * gaussian
        return DemandSample(at: .seconds(seconds), hosts: hosts)
    }
    let cut = Double(days - 1) * 86_400
    let history = series.filter { $0.at.seconds < cut }
    let lastDay = series.filter { $0.at.seconds >= cut }
    let forecast = try DemandForecast.fit(history)
    let accuracy = forecast.accuracy(on: lastDay)
    let trend = forecast.coefficients[1]
    print(
        """
        diurnal series: \(days) days every 5 min, level 200, trend +4/day, daily ±60, half-daily ±10, noise σ=\(fixed(noise))
        fitted on \(history.count) samples (\(days - 1) days); predicted day \(days) (\(lastDay.count) samples)
        fitted trend \(fixed(trend, 2))/day, residual σ \(fixed(forecast.residualStandardDeviation, 2)) hosts
        error on day \(days): MAE \(fixed(accuracy.meanAbsoluteError, 2)) hosts, MAPE \(fixed(accuracy.meanAbsolutePercentageError, 2))%, RMSE \(fixed(accuracy.rootMeanSquareError, 2)) hosts
        """
    )
}

do {
    let arguments = try Arguments(Array(CommandLine.arguments.dropFirst()))
    switch arguments.command {
    case "replay": try await replay(arguments)
    case "forecast": try forecastError(arguments)
    default: throw WorkloadError(description: usage)
    }
} catch {
    FileHandle.standardError.write(Data("autoscale-sim: \(error)\n".utf8))
    exit(1)
}
