import Foundation
import Testing
import TitanModel

/// Where titanctl finds the API (--api > TITAN_API > config file > default) and how it prints.
@Suite("titanctl configuration and output")
struct ConfigAndOutputTests {
    @Test("--api wins over TITAN_API, which wins over the config file")
    func precedence() async throws {
        try await withAPI { api in
            let dead = "http://127.0.0.1:\(try unusedPort())"
            let home = try temporaryDirectory()
            let config = home.appendingPathComponent(".config/titan")
            try FileManager.default.createDirectory(at: config, withIntermediateDirectories: true)
            func writeConfig(_ url: String) throws {
                try Data(#"{"api": "\#(url)"}"#.utf8).write(to: config.appendingPathComponent("config.json"))
            }

            // The config file alone.
            try writeConfig(api.url)
            let fromConfig = try await titanctl(["host", "list"], home: home)
            #expect(fromConfig.status == 0, "\(fromConfig)")
            #expect(fromConfig.stdout.contains("sim-0001"))

            // TITAN_API over the config file, both ways round.
            try writeConfig(dead)
            let fromEnvironment = try await titanctl(["host", "list"], environment: ["TITAN_API": api.url], home: home)
            #expect(fromEnvironment.status == 0, "\(fromEnvironment)")
            try writeConfig(api.url)
            let deadEnvironment = try await titanctl(["host", "list"], environment: ["TITAN_API": dead], home: home)
            #expect(deadEnvironment.status == 3)
            #expect(deadEnvironment.stderr.contains("at \(dead) (from TITAN_API)"), "\(deadEnvironment)")

            // --api over TITAN_API, both ways round.
            let fromFlag = try await titanctl(
                ["host", "list", "--api", api.url],
                environment: ["TITAN_API": dead],
                home: home
            )
            #expect(fromFlag.status == 0, "\(fromFlag)")
            let deadFlag = try await titanctl(
                ["host", "list", "--api", dead],
                environment: ["TITAN_API": api.url],
                home: home
            )
            #expect(deadFlag.status == 3)
            #expect(deadFlag.stderr.contains("at \(dead) (from --api)"), "\(deadFlag)")

            // A config file that names a dead API says where the address came from.
            try writeConfig(dead)
            let deadConfig = try await titanctl(["host", "list"], home: home)
            #expect(deadConfig.status == 3)
            #expect(
                deadConfig.stderr.contains("(from \(config.appendingPathComponent("config.json").path))"),
                "\(deadConfig)"
            )
        }
    }

    @Test("a broken config file is a usage error (2), but not when --api or TITAN_API is given")
    func brokenConfigFile() async throws {
        try await withAPI { api in
            let home = try temporaryDirectory()
            let config = home.appendingPathComponent(".config/titan")
            try FileManager.default.createDirectory(at: config, withIntermediateDirectories: true)
            try Data(#"{"apiUrl": "http://x"}"#.utf8).write(to: config.appendingPathComponent("config.json"))
            let broken = try await titanctl(["host", "list"], home: home)
            #expect(broken.status == 2)
            #expect(broken.stderr.contains("unknown field(s) apiUrl"), "\(broken)")
            let overridden = try await titanctl(["host", "list"], environment: ["TITAN_API": api.url], home: home)
            #expect(overridden.status == 0, "\(overridden)")
        }
    }

    @Test("with nothing set, titanctl uses http://127.0.0.1:8080 and says it is the default")
    func defaultAddress() async throws {
        let result = try await titanctl(["host", "list"])
        // Something may listen on 8080 here; if not, the message must name the default.
        if result.status == 3 {
            #expect(result.stderr.contains("at http://127.0.0.1:8080 (the default)"), "\(result)")
        } else {
            #expect(result.status != 2, "\(result)")
        }
    }

    @Test("piped output has no colour codes; a terminal, or --color always, gets them; NO_COLOR turns them off")
    func colourOnlyOnTerminal() async throws {
        try await withAPI { api in
            let piped = try await titanctl(["host", "list", "--api", api.url])
            #expect(piped.status == 0)
            #expect(!piped.stdout.contains(escape))

            let terminal = try await titanctlOnTerminal(["host", "list", "--api", api.url])
            #expect(terminal.status == 0, "\(terminal)")
            #expect(terminal.stdout.contains("\(escape)1mID"), "\(terminal)")
            #expect(terminal.stdout.contains("\(escape)32mup"), "\(terminal)")

            let forced = try await titanctl(["host", "list", "--api", api.url, "--color", "always"])
            #expect(forced.stdout.contains(escape))

            let noColor = try await titanctlOnTerminal(
                ["host", "list", "--api", api.url],
                environment: ["NO_COLOR": "1"]
            )
            #expect(noColor.status == 0)
            #expect(!noColor.stdout.contains(escape), "\(noColor)")

            let never = try await titanctlOnTerminal(["host", "list", "--api", api.url, "--color", "never"])
            #expect(!never.stdout.contains(escape), "\(never)")
        }
    }

    @Test("--output json prints the API's types for every read command")
    func jsonOutput() async throws {
        try await withAPI { api in
            let job = try await createJob(
                #"{"name": "web", "image": "nginx", "instances": 2}"#,
                api: api,
                extra: ["--wait"]
            )
            let id = job.job.id.rawValue
            let hosts = try decode(
                [HostSummary].self,
                from: try await titanctl(["host", "list", "--api", api.url, "-o", "json"])
            )
            #expect(hosts.map(\.id.rawValue) == ["sim-0001", "sim-0002"])
            let tasks = try decode(
                [TaskSummary].self,
                from: try await titanctl(["task", "list", id, "--api", api.url, "-o", "json"])
            )
            #expect(tasks.map(\.instanceIndex) == [0, 1])
            #expect(tasks.allSatisfy { $0.state == .started })
            let task = try decode(
                TaskDetail.self,
                from: try await titanctl(["task", "get", "\(id)-0", "--api", api.url, "-o", "json"])
            )
            #expect(task.task.id.rawValue == "\(id)-0" && !task.history.isEmpty)
            let status = try decode(
                FleetStatus.self,
                from: try await titanctl(["status", "--api", api.url, "-o", "json"])
            )
            #expect(status.tasks.started == 2)
            // JSON output is indented, keys sorted, dates as the API writes them.
            let raw = try await titanctl(["job", "get", id, "--api", api.url, "-o", "json"])
            #expect(raw.stdout.hasPrefix("{\n  \"job\" : {"), "\(raw)")
        }
    }
}
