import ArgumentParser
import FenzoBenchKit
import Foundation

/// `fenzo-bench`: schedules packing workloads through FenzoCore and compares strategies.
@main
struct FenzoBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fenzo-bench",
        abstract: "Schedule packing workloads (v1 format) through FenzoCore and compare packing strategies.",
        discussion: """
            fenzo-bench WORKLOAD.json --strategy NAME --output RESULT.json
              schedules one workload (the default command, `run`);
            fenzo-bench generate SHAPE HOSTS TASKS --seed N --output FILE
              writes a workload of one of the shapes batch, mixed, churn, zones;
            fenzo-bench validate WORKLOAD.json RESULT.json
              checks a result and prints its figures;
            fenzo-bench compare [--quick]
              runs every strategy over generated workloads and writes Docs/benchmarks.md and CSVs.
            """,
        subcommands: [Run.self, Generate.self, Validate.self, Compare.self],
        defaultSubcommand: Run.self
    )
}

/// Fails the command with a clear message on standard error and a non-zero exit.
func fail(_ error: BenchError, code: Int32 = 2) -> ExitCode {
    FileHandle.standardError.write(Data("fenzo-bench: \(error.message)\n".utf8))
    return ExitCode(code)
}

extension FenzoBench {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Schedule one workload with one strategy and write a v1 result.",
            discussion: "Exit 0 when it ran (tasks that could not be placed are failures in the result), "
                + "2 when the workload or an argument is malformed."
        )

        @Argument(help: "The workload, a v1 JSON file.")
        var workload: String?

        @Option(help: "The packing strategy (see --list-strategies); `default` is the recommended one.")
        var strategy = "default"

        @Option(help: "Where to write the result (v1 JSON).")
        var output: String?

        @Option(help: "Seconds of workload time between iterations, for workloads with submitAt/durationS.")
        var interval = 1.0

        @Flag(help: "Print the strategies and what each does, then exit.")
        var listStrategies = false

        @Flag(help: "Also validate the result and print its figures.")
        var validate = false

        func run() throws {
            if listStrategies {
                print("default: the recommended strategy, now \(PackingStrategy.recommendedName)")
                for strategy in PackingStrategy.all {
                    print("\(strategy.name): \(strategy.summary)")
                }
                print("NAME\(PackingStrategyNames.noSoftSuffix): any of the above with soft constraints ignored")
                return
            }
            guard let workloadPath = workload else {
                throw fail(
                    .invalidArgument(
                        "give a workload file: fenzo-bench WORKLOAD.json --strategy NAME --output RESULT.json"
                    )
                )
            }
            guard let output else {
                throw fail(.invalidArgument("give --output RESULT.json, where to write the result"))
            }
            do {
                let strategy = try PackingStrategy.named(self.strategy)
                let loaded = try JSONFiles.readWorkload(workloadPath)
                let replay = try WorkloadReplay(workload: loaded, interval: interval)
                let run = replay.run(strategy)
                try JSONFiles.write(run.result, to: output)
                let stats = run.result.stats
                print(
                    "\(loaded.name) with \(strategy.name): placed \(run.result.assignments.count), "
                        + "failed \(run.result.failures.count), \(stats.iterations) iteration(s), "
                        + "scheduling \(String(format: "%.3f", stats.schedulingSeconds)) s, "
                        + "peak RSS \(stats.peakRSSMB.map { String(format: "%.0f MB", $0) } ?? "unknown"); wrote \(output)"
                )
                if validate {
                    let report = ResultValidator(workload: loaded).validate(run.result)
                    for error in report.errors { print("INVALID: \(error)") }
                    print(report.summaryLine)
                }
            } catch {
                throw fail(error)
            }
        }
    }

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a workload of one of the four shapes (the distributions of gen.py, our own random stream)."
        )

        @Argument(help: "batch, mixed, churn or zones.")
        var shape: String

        @Argument(help: "How many hosts.")
        var hosts: Int

        @Argument(help: "How many tasks.")
        var tasks: Int

        @Option(help: "Random seed: the same seed gives the same workload.")
        var seed: UInt64 = 1

        @Option(
            name: [.customLong("output"), .customLong("out")],
            help: "Where to write it; standard output if left out."
        )
        var output: String?

        func run() throws {
            guard let shape = WorkloadShape(rawValue: shape) else {
                throw fail(.invalidArgument("unknown shape \"\(shape)\"; use batch, mixed, churn or zones"))
            }
            guard hosts >= 0, tasks >= 0 else {
                throw fail(.invalidArgument("HOSTS and TASKS must be at least 0"))
            }
            let workload = WorkloadGenerator(shape: shape, hosts: hosts, tasks: tasks, seed: seed).generate()
            do {
                if let output {
                    try JSONFiles.write(workload, to: output)
                } else {
                    let data = try JSONEncoder().encode(workload)
                    FileHandle.standardOutput.write(data)
                    FileHandle.standardOutput.write(Data("\n".utf8))
                }
            } catch let error as BenchError {
                throw fail(error)
            }
        }
    }

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a result against its workload by validate.py's rules and print its figures.",
            discussion: "Exit 0 when valid, 1 when a rule is broken (each is printed), 2 when a file cannot be read."
        )

        @Argument(help: "The workload (v1 JSON).")
        var workload: String

        @Argument(help: "The result (v1 JSON).")
        var result: String

        @Flag(help: "Print the figures as one JSON object instead of a line.")
        var json = false

        func run() throws {
            let report: ValidationReport
            do {
                let loaded = try JSONFiles.readWorkload(workload)
                let result = try JSONFiles.readResult(self.result)
                report = ResultValidator(workload: loaded).validate(result)
            } catch {
                throw fail(error)
            }
            for error in report.errors { print("INVALID: \(error)") }
            print(json ? report.json : report.summaryLine)
            if !report.isValid { throw ExitCode(1) }
        }
    }

    struct Compare: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run every strategy over generated workloads, validate each result, and write the report.",
            discussion: "Writes REPORT (Docs/benchmarks.md by default) between its generated-section markers, "
                + "and CSVs beside it; run Benchmarks/plots.py afterwards for the PNG plots."
        )

        @Flag(help: "A small set that finishes in under two minutes.")
        var quick = false

        @Option(help: "The report to write (its generated section is replaced); default Docs/benchmarks.md.")
        var report: String?

        @Option(help: "Folder for the CSV files: Docs/benchmarks, or bench-out/benchmarks with --quick.")
        var csvDirectory: String?

        @Option(help: "Only these strategies (comma-separated names).")
        var strategies: String?

        @Option(help: "Seed for the generated workloads.")
        var seed: UInt64 = 1

        func run() throws {
            do {
                var plan = quick ? ComparisonPlan.quick(seed: seed) : ComparisonPlan.full(seed: seed)
                if let strategies {
                    plan.strategies = try strategies.split(separator: ",").map { name throws(BenchError) in
                        try PackingStrategy.named(String(name))
                    }
                }
                let comparison = Comparison(plan: plan)
                let outcome = comparison.run { line in
                    FileHandle.standardError.write(Data((line + "\n").utf8))
                }
                let reportPath = report ?? (quick ? "bench-out/benchmarks.md" : "Docs/benchmarks.md")
                let csvPath = csvDirectory ?? (quick ? "bench-out/benchmarks" : "Docs/benchmarks")
                try ComparisonReport(outcome: outcome).write(reportPath: reportPath, csvDirectory: csvPath)
                print(
                    "wrote \(reportPath) and CSVs under \(csvPath); "
                        + "plot them with python3 Benchmarks/plots.py \(csvPath) \(quick ? csvPath : "Docs")"
                )
                if outcome.invalidResults > 0 {
                    throw fail(
                        .invalidArgument("\(outcome.invalidResults) result(s) were invalid; see the report"),
                        code: 1
                    )
                }
            } catch let error as BenchError {
                throw fail(error)
            }
        }
    }
}

/// The suffix naming a strategy's variant without soft constraints.
enum PackingStrategyNames {
    static let noSoftSuffix = "-noSoft"
}
