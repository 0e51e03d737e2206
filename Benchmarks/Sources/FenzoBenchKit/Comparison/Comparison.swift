import Foundation

/// One generated workload of a comparison.
public struct WorkloadSpec: Sendable, Hashable {
    public var shape: WorkloadShape
    public var hosts: Int
    public var tasks: Int

    public init(_ shape: WorkloadShape, hosts: Int, tasks: Int) {
        self.shape = shape
        self.hosts = hosts
        self.tasks = tasks
    }

    /// More tasks than the fleet can hold: the generator's tasks fill about 80 % of a
    /// host's memory at 4 per host, so more than 5 per host cannot all fit.
    public var isOverloaded: Bool { tasks > 5 * hosts }
}

/// What `fenzo-bench compare` runs: workloads × strategies, plus scaling sweeps of the
/// recommended strategy for the iteration-time plot.
public struct ComparisonPlan: Sendable {
    public var name: String
    public var seed: UInt64
    public var workloads: [WorkloadSpec]
    public var strategies: [PackingStrategy]
    /// Strategies that score every fitting host are left out above this many hosts × tasks
    /// (they would take minutes each); the report says where.
    public var exhaustiveLimit: Int
    /// The exhaustive limit in words, for the report.
    public var exhaustiveLimitText: String {
        exhaustiveLimit == 10000 * 40000 ? "10,000 hosts × 40,000 tasks" : "\(exhaustiveLimit) hosts × tasks"
    }
    /// The churn workload whose hosts-over-time curve is plotted.
    public var timelineWorkload: WorkloadSpec?
    /// Batch workloads with a fixed task count and a growing fleet, and the reverse.
    public var hostSweep: [WorkloadSpec]
    public var taskSweep: [WorkloadSpec]
    /// Strategies timed in the sweeps.
    public var sweepStrategies: [String]
    /// Each sweep point, and each run of a sweep strategy, is made this many times and the
    /// fastest kept.
    public var sweepRepeats: Int

    /// The full comparison: every shape from 100 to 10,000 hosts and up to 100,000 tasks.
    public static func full(seed: UInt64) -> ComparisonPlan {
        let sizes = [(100, 400), (1000, 4000), (10000, 40000)]
        var workloads: [WorkloadSpec] = []
        for shape in WorkloadShape.allCases {
            for (hosts, tasks) in sizes { workloads.append(WorkloadSpec(shape, hosts: hosts, tasks: tasks)) }
            if shape == .batch || shape == .zones {
                workloads.append(WorkloadSpec(shape, hosts: 10000, tasks: 100_000))
            }
        }
        return ComparisonPlan(
            name: "full",
            seed: seed,
            workloads: workloads,
            strategies: PackingStrategy.all,
            exhaustiveLimit: 10000 * 40000,
            timelineWorkload: WorkloadSpec(.churn, hosts: 1000, tasks: 4000),
            hostSweep: [5000, 10000, 20000, 50000].map { WorkloadSpec(.batch, hosts: $0, tasks: 10000) },
            taskSweep: [5000, 10000, 20000, 50000, 100_000].map { WorkloadSpec(.batch, hosts: 25000, tasks: $0) },
            sweepStrategies: [PackingStrategy.recommendedName, "bestFitCpuMemory"],
            sweepRepeats: 3
        )
    }

    /// A quick comparison (under two minutes): small and medium workloads of every shape.
    public static func quick(seed: UInt64) -> ComparisonPlan {
        var workloads: [WorkloadSpec] = []
        for shape in WorkloadShape.allCases {
            workloads.append(WorkloadSpec(shape, hosts: 100, tasks: 400))
            workloads.append(WorkloadSpec(shape, hosts: 1000, tasks: 4000))
        }
        return ComparisonPlan(
            name: "quick",
            seed: seed,
            workloads: workloads,
            strategies: PackingStrategy.all,
            exhaustiveLimit: 1000 * 4000,
            timelineWorkload: WorkloadSpec(.churn, hosts: 1000, tasks: 4000),
            hostSweep: [500, 1000, 2000, 4000].map { WorkloadSpec(.batch, hosts: $0, tasks: 2000) },
            taskSweep: [1000, 2000, 4000, 8000].map { WorkloadSpec(.batch, hosts: 4000, tasks: $0) },
            sweepStrategies: [PackingStrategy.recommendedName, "bestFitCpuMemory"],
            sweepRepeats: 1
        )
    }
}

/// One strategy on one workload: the validator's figures and the run's timings.
public struct ComparisonRow: Sendable {
    public var workload: String
    public var spec: WorkloadSpec
    public var strategy: String
    public var report: ValidationReport
    public var stats: RunStatistics
    /// Peak resident memory during this run alone, in MB.
    public var runPeakRSSMB: Double?
}

/// One point of a scaling sweep.
public struct SweepPoint: Sendable {
    public var sweep: String
    public var strategy: String
    public var spec: WorkloadSpec
    public var seconds: Double
    public var placed: Int
}

/// Hosts used over time by one strategy on the timeline workload.
public struct TimelineSeries: Sendable {
    public var strategy: String
    public var points: [TimelinePoint]
}

/// Everything a comparison measured.
public struct ComparisonOutcome: Sendable {
    public var plan: ComparisonPlan
    public var rows: [ComparisonRow]
    public var skipped: [(workload: String, strategy: String, why: String)]
    public var sweeps: [SweepPoint]
    public var timelines: [TimelineSeries]
    public var timelineWorkload: String?
    public var elapsedSeconds: Double
    public var loadBefore: String
    public var loadAfter: String
    public var startedAt: Date

    public var invalidResults: Int { rows.filter { !$0.report.isValid }.count }
}

/// Runs a comparison plan.
public struct Comparison: Sendable {
    public var plan: ComparisonPlan

    public init(plan: ComparisonPlan) { self.plan = plan }

    /// Strategies that score every fitting host (no index search).
    static let exhaustiveStrategies: Set<String> = ["alignment", "random"]

    /// Runs everything, reporting progress as lines (`[n/N] workload × strategy, elapsed`).
    public func run(progress: (String) -> Void) -> ComparisonOutcome {
        let started = ContinuousClock.now
        let startedAt = Date()
        let loadBefore = Self.loadAverage()
        var rows: [ComparisonRow] = []
        var skipped: [(workload: String, strategy: String, why: String)] = []
        var timelines: [TimelineSeries] = []
        var timelineName: String?

        // Count the steps first, for the progress line.
        var runs: [(spec: WorkloadSpec, strategies: [PackingStrategy])] = []
        for spec in plan.workloads {
            var strategies: [PackingStrategy] = []
            let hasSoft = spec.shape == .zones
            for strategy in plan.strategies {
                if Self.exhaustiveStrategies.contains(strategy.name), spec.hosts * spec.tasks > plan.exhaustiveLimit {
                    skipped.append(
                        (
                            WorkloadGenerator(shape: spec.shape, hosts: spec.hosts, tasks: spec.tasks, seed: plan.seed)
                                .name,
                            strategy.name,
                            "scores every fitting host for every task, so it is left out above \(plan.exhaustiveLimitText) (minutes a run)"
                        )
                    )
                    continue
                }
                strategies.append(strategy)
                if hasSoft { strategies.append(strategy.withoutSoftConstraints) }
            }
            runs.append((spec, strategies))
        }
        let sweepRuns = (plan.hostSweep.count + plan.taskSweep.count) * plan.sweepStrategies.count
        let total = runs.reduce(0) { $0 + $1.strategies.count } + sweepRuns
        var done = 0
        func report(_ what: String) {
            done += 1
            let elapsed = Self.seconds(ContinuousClock.now - started)
            progress("[\(done)/\(total)] \(what) (\(Self.clockText(elapsed)) elapsed)")
        }

        for (spec, strategies) in runs {
            let generator = WorkloadGenerator(shape: spec.shape, hosts: spec.hosts, tasks: spec.tasks, seed: plan.seed)
            let workload = generator.generate()
            guard let replay = try? WorkloadReplay(workload: workload) else { continue }
            let recordTimeline = spec == plan.timelineWorkload
            if recordTimeline { timelineName = workload.name }
            let validator = ResultValidator(workload: workload, recordsTimeline: recordTimeline)
            for strategy in strategies {
                ProcessMemory.resetPeak()
                var run = replay.run(strategy)
                let peak = ProcessMemory.peakResidentMB()
                // The strategies the sweeps time are run again; the fastest run's timings count
                // (the placements are the same: FenzoCore is deterministic).
                if plan.sweepStrategies.contains(strategy.name) {
                    for _ in 1..<max(1, plan.sweepRepeats) {
                        let again = replay.run(strategy)
                        if again.result.stats.schedulingSeconds < run.result.stats.schedulingSeconds { run = again }
                    }
                }
                let validation = validator.validate(run.result)
                rows.append(
                    ComparisonRow(
                        workload: workload.name,
                        spec: spec,
                        strategy: strategy.name,
                        report: validation,
                        stats: run.result.stats,
                        runPeakRSSMB: peak
                    )
                )
                if recordTimeline {
                    timelines.append(TimelineSeries(strategy: strategy.name, points: validation.timeline))
                }
                let ratio = ValidationReport.number(validation.ratio, places: 3)
                report(
                    "\(workload.name) × \(strategy.name): \(validation.isValid ? "valid" : "INVALID"), "
                        + "hosts \(validation.hostsUsedPeak) vs bound \(validation.lowerBoundPeak) (×\(ratio)), "
                        + "failed \(validation.failed)"
                )
            }
        }

        var sweeps: [SweepPoint] = []
        for (sweepName, specs) in [("hosts", plan.hostSweep), ("tasks", plan.taskSweep)] {
            for spec in specs {
                let workload = WorkloadGenerator(
                    shape: spec.shape,
                    hosts: spec.hosts,
                    tasks: spec.tasks,
                    seed: plan.seed
                )
                .generate()
                guard let replay = try? WorkloadReplay(workload: workload) else { continue }
                for name in plan.sweepStrategies {
                    guard let strategy = try? PackingStrategy.named(name) else { continue }
                    var best = Double.infinity
                    var placed = 0
                    for _ in 0..<max(1, plan.sweepRepeats) {
                        let run = replay.run(strategy)
                        best = min(best, run.result.stats.schedulingSeconds)
                        placed = run.result.assignments.count
                    }
                    sweeps.append(
                        SweepPoint(sweep: sweepName, strategy: name, spec: spec, seconds: best, placed: placed)
                    )
                    report("sweep \(sweepName): \(workload.name) × \(name): \(String(format: "%.3f", best)) s")
                }
            }
        }
        return ComparisonOutcome(
            plan: plan,
            rows: rows,
            skipped: skipped,
            sweeps: sweeps,
            timelines: timelines,
            timelineWorkload: timelineName,
            elapsedSeconds: Self.seconds(ContinuousClock.now - started),
            loadBefore: loadBefore,
            loadAfter: Self.loadAverage(),
            startedAt: startedAt
        )
    }

    static func seconds(_ duration: Duration) -> Double { WorkloadReplay.seconds(duration) }

    static func clockText(_ seconds: Double) -> String {
        let whole = Int(seconds)
        return whole >= 60 ? "\(whole / 60)m\(String(format: "%02d", whole % 60))s" : String(format: "%.1fs", seconds)
    }

    /// The 1, 5 and 15 minute load averages, from /proc/loadavg.
    static func loadAverage() -> String {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "unknown" }
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }
}
