import ArgumentParser
import CurlHTTP
import Foundation
import TitanCLI
import TitanModel

/// `titanctl task …` (not `Task`, which is Swift's).
struct TaskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "task",
        abstract: "List, inspect, kill and read the logs of tasks (a job's instances).",
        discussion: """
            A task is one instance of a job, named <job id>-<index>. Its id stays the same \
            across restarts; each run is an attempt.

            Examples:
              titanctl task list 0192f1c4-5a6b-7c8d-9e0f-123456789abc
              titanctl task get 0192f1c4-5a6b-7c8d-9e0f-123456789abc-3
              titanctl task logs -f 0192f1c4-5a6b-7c8d-9e0f-123456789abc-3
              titanctl task kill 0192f1c4-5a6b-7c8d-9e0f-123456789abc-3
            """,
        subcommands: [List.self, Get.self, Kill.self, Logs.self]
    )
}

extension TaskCommand {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a job's tasks, by instance index.",
            discussion: """
                REASON says why a waiting task waits (the scheduler's pending reason) or how a \
                finished one ended. With -o json, prints a JSON array of the API's task summaries.

                Examples:
                  titanctl task list 0192f1c4-5a6b-7c8d-9e0f-123456789abc
                  titanctl task list 0192f1c4-5a6b-7c8d-9e0f-123456789abc --state accepted
                  titanctl task list 0192f1c4-5a6b-7c8d-9e0f-123456789abc -o json | jq -r '.[] | select(.state == "started") | .host'
                """
        )

        @Argument(help: ArgumentHelp("The job whose tasks to list.", valueName: "job-id"))
        var jobID: String

        @Option(
            help: ArgumentHelp(
                "Only tasks in these states (accepted, launched, startInitiated, started, killInitiated, finished), comma separated.",
                valueName: "states"
            )
        )
        var state: String?

        @Option(help: "At most this many tasks.")
        var limit: Int = 10_000

        @OptionGroup var global: GlobalOptions

        func validate() throws {
            guard limit > 0 else { throw ValidationError("--limit must be at least 1") }
        }

        func run() async throws {
            let client = try global.client()
            var tasks: [TaskSummary] = []
            var cursor: String?
            repeat {
                let path =
                    "/v1/jobs/\(segment(jobID))/tasks"
                    + query([("state", state), ("limit", String(min(10_000, limit - tasks.count))), ("cursor", cursor)])
                let page: Page<TaskSummary> = try await call { () async throws(APICallError) in
                    try await client.get(path)
                }
                tasks += page.items
                cursor = page.nextCursor
            } while cursor != nil && tasks.count < limit
            if tasks.isEmpty {
                // An empty page for an unknown job would hide a typo; the job lookup says so.
                let path = "/v1/jobs/\(segment(jobID))"
                let _: JobDetail = try await call { () async throws(APICallError) in try await client.get(path) }
            }
            try global.emit(tasks) { style in
                tasks.isEmpty ? "no tasks" : Views.tasks(tasks, now: Date(), style: style)
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one task: state, host, pending reason, resource use and history.",
            discussion: """
                A task waiting for a host shows its pending reason: what the scheduler could not \
                find (such as "cpus: needs 32 cpus, the most free on any host is 16 cpus").

                Examples:
                  titanctl task get 0192f1c4-5a6b-7c8d-9e0f-123456789abc-3
                  titanctl task get 0192f1c4-5a6b-7c8d-9e0f-123456789abc-3 -o json | jq -r .task.pendingReason
                """
        )

        @Argument(help: ArgumentHelp("The task's id (<job id>-<index>).", valueName: "task-id"))
        var id: String

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let client = try global.client()
            let path = "/v1/tasks/\(segment(id))"
            let task: TaskDetail = try await call { () async throws(APICallError) in try await client.get(path) }
            try global.emit(task) { style in Views.task(task, now: Date(), style: style) }
        }
    }

    struct Kill: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Kill one task for good (it is not restarted).",
            discussion: """
                Examples:
                  titanctl task kill 0192f1c4-5a6b-7c8d-9e0f-123456789abc-3
                  titanctl task kill 0192f1c4-5a6b-7c8d-9e0f-123456789abc-3 -o json | jq .state
                """
        )

        @Argument(help: ArgumentHelp("The task's id (<job id>-<index>).", valueName: "task-id"))
        var id: String

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let client = try global.client()
            let path = "/v1/tasks/\(segment(id))/kill"
            let task: TaskSummary = try await call { () async throws(APICallError) in
                try await client.call(.post, path, body: nil)
            }
            try global.emit(task) { _ in
                "task \(task.id) is \(task.state.rawValue)" + (task.killRequested ? " (kill requested)" : "")
            }
        }
    }

    struct Logs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a task's output; -f follows it while the task runs.",
            discussion: """
                The API fetches the output from the agent of the host the task ran on, so only \
                the API's address is needed. Simulated hosts (titan-api --simulate-hosts) keep \
                no logs: the API says so, and titanctl exits 1 with its message.

                Examples:
                  titanctl task logs 0192f1c4-5a6b-7c8d-9e0f-123456789abc-3
                  titanctl task logs -f --tail 100 0192f1c4-5a6b-7c8d-9e0f-123456789abc-3
                  titanctl task logs --stream stderr --attempt 0 0192f1c4-5a6b-7c8d-9e0f-123456789abc-3
                """
        )

        @Argument(help: ArgumentHelp("The task's id (<job id>-<index>).", valueName: "task-id"))
        var id: String

        @Flag(name: [.short, .long], help: "Keep printing new output while the task runs.")
        var follow = false

        @Option(help: ArgumentHelp("stdout, stderr or both.", valueName: "stream"))
        var stream: String = "both"

        @Option(help: ArgumentHelp("Start with only the last N lines.", valueName: "lines"))
        var tail: Int?

        @Option(help: ArgumentHelp("Which run (attempt) of the task; the current one by default.", valueName: "n"))
        var attempt: Int?

        @OptionGroup var global: GlobalOptions

        func validate() throws {
            guard ["stdout", "stderr", "both"].contains(stream) else {
                throw ValidationError("--stream must be stdout, stderr or both (got \(stream))")
            }
            if let tail, tail < 0 { throw ValidationError("--tail must be 0 or more") }
            if let attempt, attempt < 0 { throw ValidationError("--attempt must be 0 or more") }
        }

        func run() async throws {
            let client = try global.client()
            let path =
                "/v1/tasks/\(segment(id))/logs"
                + query([
                    ("follow", follow ? "true" : "false"), ("stream", stream), ("tail", tail.map(String.init)),
                    ("attempt", attempt.map(String.init)),
                ])
            let body = try await call { () async throws(APICallError) in try await client.stream(path) }
            do {
                for try await chunk in body {
                    FileHandle.standardOutput.write(Data(chunk))
                }
            } catch {
                throw CommandFailure.unreachable("the log stream from titan-api broke off: \(error)")
            }
        }
    }
}
