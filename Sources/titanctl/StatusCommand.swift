import ArgumentParser
import Foundation
import TitanCLI
import TitanModel

/// `titanctl status`.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the fleet: capacity, use, pending tasks by reason, autoscaler actions.",
        discussion: """
            Capacity is what the hosts that are up offer in all; use is what the tasks on them \
            hold, from their jobs' specs. Pending tasks are grouped by the scheduler's reason, \
            most first, with one example task to look at with `titanctl task get`.

            Examples:
              titanctl status
              titanctl status -o json | jq '.pending[] | {reason, taskCount}'
            """
    )

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let client = try global.client()
        let status: FleetStatus = try await call { () async throws(APICallError) in try await client.get("/v1/status") }
        try global.emit(status) { style in Views.status(status, apiURL: client.address.baseURL, style: style) }
    }
}
