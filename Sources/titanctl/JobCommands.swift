import ArgumentParser
import CurlHTTP
import Foundation
import TitanCLI
import TitanModel

/// `titanctl job …`.
struct Job: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list, inspect, scale and kill jobs.",
        discussion: """
            A job is a spec (image or command, resources, instances per cell, restart policy) \
            and the tasks that run it, one per instance. Docs/job-spec.md lists every field.

            Examples:
              titanctl job create web.yaml --wait
              titanctl job list --status active
              titanctl job get 0192f1c4-5a6b-7c8d-9e0f-123456789abc
              titanctl job scale 0192f1c4-5a6b-7c8d-9e0f-123456789abc 10
              titanctl job kill 0192f1c4-5a6b-7c8d-9e0f-123456789abc
            """,
        subcommands: [Create.self, List.self, Get.self, Scale.self, Kill.self]
    )
}

/// `--wait` and `--timeout`, shared by `job create` and `job scale`.
struct WaitOptions: ParsableArguments {
    @Flag(
        help: """
            Wait until every wanted instance has started, showing progress; exit 1 if the job \
            fails, cannot fit on any host, or --timeout passes.
            """
    )
    var wait = false

    @Option(help: ArgumentHelp("With --wait: how long to wait before giving up.", valueName: "seconds"))
    var timeout: Double = 300

    func validate() throws {
        guard timeout > 0, timeout.isFinite else {
            throw ValidationError("--timeout must be a number of seconds above 0")
        }
    }

    /// Waits for the job if asked, drawing progress on standard error.
    func waitIfAsked(for job: JobDetail, client: TitanAPIClient, global: GlobalOptions) async throws(CommandFailure)
        -> JobDetail
    {
        guard wait else { return job }
        let waiter = JobWaiter(client: client, timeout: .milliseconds(Int64(timeout * 1000)))
        var display = ProgressDisplay(
            isTerminal: Terminal.isTerminal(STDERR_FILENO),
            style: global.errorStyle,
            width: Terminal.width(STDERR_FILENO) ?? 80
        )
        do {
            let ready = try await waiter.wait(for: job.job.id) { observation in
                let (started, wanted) = observation.progress
                if let text = display.update(started: started, wanted: wanted, note: observation.pendingReasons.first) {
                    Console.standardError(text)
                }
            }
            Console.standardError(display.finish())
            return ready
        } catch {
            Console.standardError(display.finish())
            throw error
        }
    }
}

extension Job {
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a job from a spec file (JSON or YAML).",
            discussion: """
                The file is checked before it is sent, by the same rules the API applies, and \
                every mistake is listed at once as FILE:LINE:COLUMN: FIELD: PROBLEM (nothing is \
                sent while there are mistakes). YAML is read under the YAML 1.2 core schema: \
                only true/false are booleans, and a version such as 1.10 must be quoted to stay \
                a string.

                With --wait, titanctl shows a progress bar of instances started out of wanted \
                and returns 0 when all have started (a batch job: when it succeeded). It returns \
                1 when the job fails, when an instance fails with no restart left, or when it \
                cannot fit: tasks wait and no host could ever hold one (too small, or not \
                matching the job's hard constraints). Tasks that wait for busy hosts are waited \
                for, up to --timeout.

                Examples:
                  titanctl job create web.yaml
                  titanctl job create web.json --wait --timeout 120
                  cat web.yaml | titanctl job create -
                  titanctl job create web.yaml -o json | jq -r .job.id
                  titanctl job create web.yaml --idempotency-key deploy-42   # safe to retry

                A minimal web.yaml:
                  name: web
                  image: nginx:1.27
                  instances: 3
                  cpus: 0.5
                  memory: 256
                """
        )

        @Argument(help: ArgumentHelp("The spec file: .json, .yaml or .yml; - reads standard input.", valueName: "file"))
        var file: String

        @Option(
            name: .customLong("idempotency-key"),
            help: ArgumentHelp(
                "Sent as Idempotency-Key: repeating the same create with the same key returns the first job.",
                valueName: "key"
            )
        )
        var idempotencyKey: String?

        @OptionGroup var waiting: WaitOptions
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let document = try SpecDocument.load(path: file)
            let problems = document.validate()
            if !problems.isEmpty {
                throw CommandFailure.refused(
                    "\(document.displayName): the job spec has \(problems.count) mistake\(problems.count == 1 ? "" : "s")"
                        + " (nothing was sent)\n" + document.describe(problems)
                )
            }
            let client = try global.client()
            var headers: [String: String] = [:]
            if let idempotencyKey { headers["Idempotency-Key"] = idempotencyKey }
            let created: JobDetail
            do {
                created = try await client.call(.post, "/v1/jobs", body: document.body, headers: headers)
            } catch {
                if case .refused(_, let body) = error, !body.problems.isEmpty {
                    throw CommandFailure.refused(
                        body.message + "\n" + document.describe(body.problems)
                    )
                }
                throw error.failure
            }
            let job = created.job
            if global.output == .table {
                Console.out(
                    "job \(job.id) created: \(job.name), \(job.desiredInstances) instance\(job.desiredInstances == 1 ? "" : "s")"
                )
            }
            let final = try await waiting.waitIfAsked(for: created, client: client, global: global)
            switch global.output {
            case .json:
                try global.emit(final) { _ in "" }
            case .table:
                if waiting.wait {
                    let started = final.job.taskCounts?.started ?? 0
                    Console.out(
                        final.job.status == .succeeded
                            ? "job \(job.id) succeeded"
                            : "job \(job.id) is up: \(started)/\(final.job.desiredInstances) started"
                    )
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List jobs, oldest first.",
            discussion: """
                STARTED is instances started out of wanted. With -o json, prints a JSON array \
                of the API's job summaries.

                Examples:
                  titanctl job list
                  titanctl job list --status active,killing --kind service
                  titanctl job list --name web -o json | jq -r '.[].id'
                """
        )

        @Option(
            help: ArgumentHelp(
                "Only jobs in these statuses (active, killing, succeeded, failed, killed), comma separated.",
                valueName: "statuses"
            )
        )
        var status: String?

        @Option(help: ArgumentHelp("Only jobs with this exact name.", valueName: "name"))
        var name: String?

        @Option(help: ArgumentHelp("Only service or batch jobs.", valueName: "kind"))
        var kind: String?

        @Option(help: "At most this many jobs.")
        var limit: Int = 1000

        @OptionGroup var global: GlobalOptions

        func validate() throws {
            guard limit > 0 else { throw ValidationError("--limit must be at least 1") }
        }

        func run() async throws {
            let client = try global.client()
            var jobs: [JobSummary] = []
            var cursor: String?
            repeat {
                let path =
                    "/v1/jobs"
                    + query([
                        ("status", status), ("name", name), ("kind", kind),
                        ("limit", String(min(1000, limit - jobs.count))), ("cursor", cursor),
                    ])
                let page: Page<JobSummary> = try await call { () async throws(APICallError) in
                    try await client.get(path)
                }
                jobs += page.items
                cursor = page.nextCursor
            } while cursor != nil && jobs.count < limit
            try global.emit(jobs) { style in
                jobs.isEmpty ? "no jobs" : Views.jobs(jobs, now: Date(), style: style)
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one job: its status, instances by state and its spec.",
            discussion: """
                Examples:
                  titanctl job get 0192f1c4-5a6b-7c8d-9e0f-123456789abc
                  titanctl job get 0192f1c4-5a6b-7c8d-9e0f-123456789abc -o json | jq .spec
                """
        )

        @Argument(help: "The job's id.")
        var id: String

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let client = try global.client()
            let path = "/v1/jobs/\(segment(id))"
            let job: JobDetail = try await call { () async throws(APICallError) in try await client.get(path) }
            try global.emit(job) { style in Views.job(job, now: Date(), style: style) }
        }
    }

    struct Scale: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Scale a service job to a number of instances.",
            discussion: """
                New instances are spread over the job's cells as location says; removed ones \
                (highest index first) are killed. Batch jobs cannot be scaled.

                Examples:
                  titanctl job scale 0192f1c4-5a6b-7c8d-9e0f-123456789abc 10
                  titanctl job scale 0192f1c4-5a6b-7c8d-9e0f-123456789abc 20 --wait
                  titanctl job scale 0192f1c4-5a6b-7c8d-9e0f-123456789abc 0
                """
        )

        @Argument(help: "The job's id.")
        var id: String

        @Argument(help: "How many instances the job should have.")
        var instances: Int

        @OptionGroup var waiting: WaitOptions
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let client = try global.client()
            let path = "/v1/jobs/\(segment(id))/instances"
            let body = Data(#"{"instances":\#(instances)}"#.utf8)
            let scaled: JobDetail = try await call { () async throws(APICallError) in
                try await client.call(.put, path, body: body)
            }
            if global.output == .table {
                Console.out("job \(scaled.job.id) scaled to \(scaled.job.desiredInstances) instances")
            }
            let final = try await waiting.waitIfAsked(for: scaled, client: client, global: global)
            if global.output == .json {
                try global.emit(final) { _ in "" }
            } else if waiting.wait {
                Console.out(
                    "job \(final.job.id) is up: \(final.job.taskCounts?.started ?? 0)/\(final.job.desiredInstances) started"
                )
            }
        }
    }

    struct Kill: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Kill a job: every instance stops for good.",
            discussion: """
                Waiting tasks finish at once; running ones are sent a kill (SIGTERM, then \
                SIGKILL after the grace period) and the job is killing until they have stopped.

                Examples:
                  titanctl job kill 0192f1c4-5a6b-7c8d-9e0f-123456789abc
                  titanctl job kill 0192f1c4-5a6b-7c8d-9e0f-123456789abc -o json | jq .job.status
                """
        )

        @Argument(help: "The job's id.")
        var id: String

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let client = try global.client()
            let path = "/v1/jobs/\(segment(id))/kill"
            let job: JobDetail = try await call { () async throws(APICallError) in
                try await client.call(.post, path, body: nil)
            }
            try global.emit(job) { _ in "job \(job.job.id) is \(job.job.status.rawValue)" }
        }
    }
}
