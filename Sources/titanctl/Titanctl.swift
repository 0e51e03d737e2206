import ArgumentParser
import Foundation
import TitanCLI

/// `titanctl`: the CLI teams deploy with.
@main
struct Titanctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "titanctl",
        abstract: "Deploy and inspect jobs on Titan.",
        discussion: """
            titanctl talks to titan-api. It finds it through --api URL, then the TITAN_API \
            environment variable, then "api" in ~/.config/titan/config.json (or \
            $XDG_CONFIG_HOME/titan/config.json), then http://127.0.0.1:8080.

            Output is an aligned table by default and JSON with --output json (-o json); colour \
            only on a terminal (--color always|never to choose, NO_COLOR is honoured).

            Exit codes: 0 done; 1 refused (the API said no, the spec file has mistakes, or \
            --wait saw the job fail, not fit or time out); 2 usage; 3 cannot reach the API.

            Examples:
              titanctl job create web.yaml --wait
              titanctl job list
              titanctl task list 0192f1c4-5a6b-7c8d-9e0f-123456789abc
              titanctl status
              titanctl job list -o json | jq -r '.[].id'
              TITAN_API=http://titan.internal:8080 titanctl host list
            """,
        subcommands: [Job.self, TaskCommand.self, Host.self, Status.self, Completion.self]
    )

    /// Runs the command, printing failures and exiting with titanctl's codes: argument-parser's
    /// usage errors become 2, as the issue asks, instead of its 64.
    static func main() async {
        do {
            var command = try await asyncParseAsRoot(nil)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as CommandFailure {
            Console.error(failure.message)
            Foundation.exit(failure.exitCode)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { Console.out(message) }
                Foundation.exit(0)
            }
            if !message.isEmpty { Console.standardError(message + "\n") }
            Foundation.exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }
}
