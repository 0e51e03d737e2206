import ArgumentParser
import CurlHTTP
import Foundation
import TitanCLI
import TitanModel

/// `titanctl host …`.
struct Host: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List hosts, and disable or enable them for new tasks.",
        discussion: """
            A disabled host keeps its running tasks but takes no new ones, for maintenance.

            Examples:
              titanctl host list
              titanctl host disable sim-0001 --for 3600
              titanctl host enable sim-0001
            """,
        subcommands: [List.self, Disable.self, Enable.self]
    )
}

extension Host {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List hosts with their capacity, tasks and heartbeat.",
            discussion: """
                With -o json, prints a JSON array of the API's host summaries.

                Examples:
                  titanctl host list
                  titanctl host list -o json | jq -r '.[] | select(.state == "down") | .id'
                """
        )

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let client = try global.client()
            let page: Page<HostSummary> = try await call { () async throws(APICallError) in
                try await client.get("/v1/hosts")
            }
            let hosts = page.items
            try global.emit(hosts) { style in
                hosts.isEmpty ? "no hosts" : Views.hosts(hosts, now: Date(), style: style)
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop placing new tasks on a host (its running tasks stay).",
            discussion: """
                Without --for or --until the host stays disabled until `titanctl host enable`.

                Examples:
                  titanctl host disable sim-0001
                  titanctl host disable sim-0001 --for 3600
                  titanctl host disable sim-0001 --until 2026-11-23T20:00:00Z
                """
        )

        @Argument(help: ArgumentHelp("The host's id.", valueName: "host-id"))
        var id: String

        @Option(name: .customLong("for"), help: ArgumentHelp("Disable for this long.", valueName: "seconds"))
        var duration: Double?

        @Option(help: ArgumentHelp("Disable until this RFC 3339 time.", valueName: "time"))
        var until: String?

        @OptionGroup var global: GlobalOptions

        func validate() throws {
            if duration != nil && until != nil { throw ValidationError("give --for or --until, not both") }
            if let duration, !(duration > 0 && duration.isFinite) {
                throw ValidationError("--for must be a number of seconds above 0")
            }
        }

        func run() async throws {
            let client = try global.client()
            var body: [String: Any] = [:]
            if let duration { body["forSeconds"] = duration }
            if let until { body["until"] = until }
            let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
            let path = "/v1/hosts/\(segment(id))/disable"
            let host: HostSummary = try await call { () async throws(APICallError) in
                try await client.call(.post, path, body: data)
            }
            try global.emit(host) { _ in
                guard let until = host.disabledUntil else { return "host \(host.id) is enabled" }
                return until.timeIntervalSinceNow > 50 * 365 * 86_400
                    ? "host \(host.id) is disabled until enabled"
                    : "host \(host.id) is disabled until \(TitanJSON.format(until))"
            }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Place new tasks on a host again.",
            discussion: """
                Examples:
                  titanctl host enable sim-0001
                  titanctl host enable sim-0001 -o json | jq .disabledUntil
                """
        )

        @Argument(help: ArgumentHelp("The host's id.", valueName: "host-id"))
        var id: String

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let client = try global.client()
            let path = "/v1/hosts/\(segment(id))/enable"
            let host: HostSummary = try await call { () async throws(APICallError) in
                try await client.call(.post, path, body: nil)
            }
            try global.emit(host) { _ in "host \(host.id) is enabled" }
        }
    }
}
