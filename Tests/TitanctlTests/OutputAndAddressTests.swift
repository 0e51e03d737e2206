import Foundation
import Testing
import TitanCLI
import TitanModel

/// Address resolution, tables, formatting and progress, as functions of values.
@Suite("address, tables and progress")
struct OutputAndAddressTests {
    @Test("the API address comes from --api, then TITAN_API, then the config file, then the default")
    func addressPrecedence() throws {
        let files = ["/home/me/.config/titan/config.json": Data(#"{"api": "http://config:1"}"#.utf8)]
        let read: (String) throws -> Data? = { files[$0] }
        let environment = ["HOME": "/home/me", "TITAN_API": "http://environment:2"]
        #expect(
            try APIAddress.resolve(flag: "http://flag:3/", environment: environment, readFile: read)
                == APIAddress(baseURL: "http://flag:3", source: .flag)
        )
        #expect(
            try APIAddress.resolve(flag: nil, environment: environment, readFile: read)
                == APIAddress(baseURL: "http://environment:2", source: .environment)
        )
        #expect(
            try APIAddress.resolve(flag: nil, environment: ["HOME": "/home/me"], readFile: read)
                == APIAddress(
                    baseURL: "http://config:1",
                    source: .configFile(path: "/home/me/.config/titan/config.json")
                )
        )
        #expect(
            try APIAddress.resolve(flag: nil, environment: ["HOME": "/elsewhere"], readFile: read)
                == APIAddress(baseURL: "http://127.0.0.1:8080", source: .builtInDefault)
        )
        // An empty TITAN_API counts as unset; XDG_CONFIG_HOME moves the file.
        let xdg = ["XDG_CONFIG_HOME": "/home/me/.config", "TITAN_API": ""]
        #expect(try APIAddress.resolve(flag: nil, environment: xdg, readFile: read).baseURL == "http://config:1")
        // A bare host:port gets http://.
        #expect(
            try APIAddress.resolve(flag: "titan.internal:8080", environment: [:]).baseURL
                == "http://titan.internal:8080"
        )
    }

    @Test(
        "malformed addresses and config files are usage errors",
        arguments: [
            (Optional("ftp://x"), #"{}"#),
            (Optional("http://"), #"{}"#),
            (nil, #"{"api": 8080}"#),
            (nil, #"["http://x"]"#),
            (nil, #"{"api": "http://x", "colour": true}"#),
            (nil, "not json"),
        ]
    )
    func malformed(flag: String?, config: String) {
        #expect {
            _ = try APIAddress.resolve(flag: flag, environment: ["HOME": "/h"]) { _ in Data(config.utf8) }
        } throws: { error in
            (error as? CommandFailure)?.exitCode == 2
        }
    }

    @Test("tables align columns by their widest cell, with no trailing spaces")
    func table() {
        var table = Table(headers: ["ID", "STATE", "REASON"])
        table.append(["a", Table.Cell("started", .green), ""])
        table.append(["longer-id", "accepted", "cpus: needs 32"])
        let text = table.render(style: .plain)
        #expect(
            text == """
                ID          STATE      REASON
                a           started
                longer-id   accepted   cpus: needs 32
                """
        )
        let coloured = table.render(style: TextStyle(isEnabled: true))
        #expect(coloured.contains("\na           \u{1B}[32mstarted\u{1B}[0m\n"))
        #expect(coloured.hasPrefix("\u{1B}[1mID\u{1B}[0m          "))
    }

    @Test("colour is on only on a terminal without NO_COLOR, unless forced")
    func colourDecision() {
        #expect(TextStyle.decide(.auto, isTerminal: true, environment: [:]).isEnabled)
        #expect(!TextStyle.decide(.auto, isTerminal: false, environment: [:]).isEnabled)
        #expect(!TextStyle.decide(.auto, isTerminal: true, environment: ["NO_COLOR": "1"]).isEnabled)
        #expect(!TextStyle.decide(.auto, isTerminal: true, environment: ["TERM": "dumb"]).isEnabled)
        #expect(TextStyle.decide(.always, isTerminal: false, environment: ["NO_COLOR": "1"]).isEnabled)
        #expect(!TextStyle.decide(.never, isTerminal: true, environment: [:]).isEnabled)
        #expect(TextStyle.plain.red("x") == "x")
    }

    @Test("values read as people write them")
    func formatting() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        #expect(Formatting.age(from: now.addingTimeInterval(-42), to: now) == "42s")
        #expect(Formatting.age(from: now.addingTimeInterval(-300), to: now) == "5m")
        #expect(Formatting.age(from: now.addingTimeInterval(-7200), to: now) == "2h")
        #expect(Formatting.age(from: now.addingTimeInterval(-5 * 86_400), to: now) == "5d")
        #expect(Formatting.memory(megabytes: 512) == "512 MB")
        #expect(Formatting.memory(megabytes: 3200) == "3.1 GB")
        #expect(Formatting.memory(megabytes: 65_536) == "64 GB")
        #expect(Formatting.number(0.5) == "0.5" && Formatting.number(4) == "4")
        #expect(Formatting.percent(1, of: 64) == "1.6%" && Formatting.percent(8, of: 32) == "25%")
        #expect(Formatting.commandLine(["/bin/sh", "-c", "echo hi"]) == "/bin/sh -c 'echo hi'")
    }

    @Test("progress is a bar redrawn in place on a terminal, and a line per change otherwise")
    func progress() {
        var plain = ProgressDisplay(isTerminal: false, style: .plain)
        #expect(plain.update(started: 0, wanted: 4, note: nil) == "0/4 started\n")
        #expect(plain.update(started: 0, wanted: 4, note: nil) == nil)
        #expect(plain.update(started: 2, wanted: 4, note: "cpus") == "2/4 started (waiting: cpus)\n")
        #expect(plain.finish() == "")
        var bar = ProgressDisplay(isTerminal: true, style: .plain, width: 60)
        let line = bar.update(started: 2, wanted: 4, note: nil)
        #expect(
            line == "\r\u{1B}[2K[" + String(repeating: "█", count: 12) + String(repeating: "░", count: 12)
                + "] 2/4 started"
        )
        let long = bar.update(started: 3, wanted: 4, note: String(repeating: "x", count: 100)) ?? ""
        #expect(long.count <= 60 + 5)
        #expect(bar.finish() == "\n")
    }

    @Test("status lists autoscaler actions when there are any")
    func statusWithAutoscalerActions() {
        let at = Date(timeIntervalSince1970: 2_000_000)
        let status = FleetStatus(
            at: at,
            hosts: HostCounts(total: 3, up: 3, down: 0, disabled: 0),
            capacity: ResourceAmounts(cpus: 48, memoryMB: 196_608, diskGB: 3000),
            used: ResourceAmounts(cpus: 12, memoryMB: 4096, diskGB: 30),
            tasks: TaskStateCounts(),
            jobsWithLiveTasks: 0,
            pending: [],
            autoscaler: AutoscalerStatus(
                enabled: true,
                actions: [
                    AutoscalerAction(
                        at: at.addingTimeInterval(-120),
                        group: "main",
                        direction: .up,
                        hostCount: 2,
                        hosts: [],
                        reason: "5 tasks could not fit; 2 hosts needed"
                    ),
                    AutoscalerAction(
                        at: at.addingTimeInterval(-30),
                        group: "main",
                        direction: .down,
                        hostCount: 1,
                        hosts: ["h-7"],
                        reason: "3 idle hosts, at most 2 wanted"
                    ),
                ]
            )
        )
        let text = Views.status(status, apiURL: "http://x", style: .plain)
        #expect(text.contains("Autoscaler:  on"))
        #expect(text.contains("In use:      12 cpus (25%), 4 GB memory (2.1%), 30 GB disk (1%)"))
        #expect(text.contains("Autoscaler actions:"))
        #expect(
            text.contains("\n2m ago    main    scale up     +2        5 tasks could not fit; 2 hosts needed\n"),
            "\(text)"
        )
        #expect(text.hasSuffix("\n30s ago   main    scale down   -1: h-7   3 idle hosts, at most 2 wanted"), "\(text)")
    }

    @Test("status shows the autoscaler's provider, each group's rule and hosts, and a failed action's error")
    func statusWithAutoscalerGroupsAndFailure() {
        let at = Date(timeIntervalSince1970: 2_000_000)
        let status = FleetStatus(
            at: at,
            hosts: HostCounts(total: 3, up: 3, down: 0, disabled: 0),
            capacity: ResourceAmounts(cpus: 48, memoryMB: 196_608, diskGB: 3000),
            used: ResourceAmounts(),
            tasks: TaskStateCounts(),
            jobsWithLiveTasks: 0,
            pending: [],
            autoscaler: AutoscalerStatus(
                enabled: true,
                provider: "simulated",
                groups: [
                    AutoscalerGroup(
                        group: "main",
                        minIdleHosts: 1,
                        maxIdleHosts: 2,
                        coolDownSeconds: 30,
                        minHosts: 0,
                        maxHosts: 10,
                        hosts: 3,
                        idle: 1,
                        busy: 2,
                        coming: 1
                    )
                ],
                actions: [
                    AutoscalerAction(
                        at: at.addingTimeInterval(-5),
                        group: "main",
                        direction: .up,
                        hostCount: 1,
                        hosts: [],
                        reason: "0 idle host(s), fewer than the minimum of 1",
                        error: "no capacity"
                    )
                ]
            )
        )
        let text = Views.status(status, apiURL: "http://x", style: .plain)
        #expect(
            text.contains(
                "Autoscaler:  on (simulated provider)\n             main: 3 hosts (1 idle, 2 busy, 0 draining, 1 coming); "
                    + "keeps 1-2 idle, 0-10 hosts, cool-down 30s\n"
            ),
            "\(text)"
        )
        #expect(text.hasSuffix("+1      0 idle host(s), fewer than the minimum of 1; failed: no capacity"), "\(text)")
    }
}
