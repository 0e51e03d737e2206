import Foundation
import Testing

@testable import TitanModel

/// Every problem validation can report, each in a spec that is otherwise valid.
@Suite("Job spec validation")
struct JobSpecValidationTests {
    /// A valid spec's fields, to which each case adds or overrides one.
    static func body(_ extra: String, base: String = #""name": "app", "command": ["/bin/true"]"#) -> String {
        extra.isEmpty ? "{\(base)}" : "{\(base), \(extra)}"
    }

    @Test(
        "a single bad field is reported with its path and a precise message",
        arguments: [
            // Required fields and names.
            (#"{"command": ["x"]}"#, "name: is required"),
            (
                #"{"name": "Rocker", "command": ["x"]}"#,
                "name: must be 1 to 63 characters of a-z, 0-9 and \"-\", starting with a letter or digit (got \"Rocker\")"
            ),
            (
                body(#""applicationName": "-app""#),
                "applicationName: must be 1 to 63 characters of a-z, 0-9 and \"-\", starting with a letter or digit (got \"-app\")"
            ),
            (
                body(#""capacityGroup": "a b""#),
                "capacityGroup: must be 1 to 63 characters of a-z, 0-9 and \"-\", starting with a letter or digit (got \"a b\")"
            ),
            (
                body(#""version": "1.0 beta""#),
                "version: must be at most 128 of A-Z, a-z, 0-9, \".\", \"_\", \"+\" and \"-\" (got \"1.0 beta\")"
            ),
            // Types.
            (body(#""cpus": "4""#), "cpus: expected a number, got a string (\"4\")"),
            (body(#""memory": 3200.5"#), "memory: must be a whole number (got 3200.5)"),
            (body(#""memory": true"#), "memory: expected a whole number, got a boolean (true)"),
            (body(#""restartOnFailure": "yes""#), "restartOnFailure: expected true or false, got a string (\"yes\")"),
            (body(#""environment": ["A=1"]"#), "environment: expected an object of string values, got an array"),
            (body(#""environment": {"A": 1}"#), "environment.A: expected a string, got a number (1)"),
            (body(#""hardConstraints": {}"#), "hardConstraints: expected an array, got an object"),
            (body(#""version": 1.06"#), "version: expected a string, got a number (1.06)"),
            // Ranges.
            (body(#""cpus": -1"#), "cpus: must be greater than 0 (got -1)"),
            (body(#""cpus": 0"#), "cpus: must be greater than 0 (got 0)"),
            (body(#""cpus": 2000"#), "cpus: must be at most 1024 (got 2000)"),
            (body(#""memory": 0"#), "memory: must be greater than 0 MB (got 0)"),
            (body(#""memory": 16777217"#), "memory: must be at most 16777216 MB (got 16777217)"),
            (body(#""disk": -1"#), "disk: must be at least 0 GB (got -1)"),
            (body(#""disk": 70000"#), "disk: must be at most 65536 GB (got 70000)"),
            (body(#""ports": 65"#), "ports: must be at most 64 (got 65)"),
            (body(#""ports": -2"#), "ports: must be at least 0 (got -2)"),
            (body(#""networkMbps": 0"#), "networkMbps: must be greater than 0 Mbps (got 0)"),
            (body(#""networkMbps": 500000"#), "networkMbps: must be at most 400000 Mbps (got 500000)"),
            (body(#""numRetries": 1001"#), "numRetries: must be at most 1000 (got 1001)"),
            (body(#""numRetries": -1"#), "numRetries: must be at least 0 (got -1)"),
            (
                body(#""durationSeconds": 0"#),
                "durationSeconds: must be greater than 0 and at most 31536000 (one year) (got 0)"
            ),
            // Location and instances.
            (body(#""location": "dc1:x""#), "location: \"dc1:x\" is not CELL:COUNT (such as \"dc1:20\")"),
            (body(#""location": "dc1""#), "location: \"dc1\" is not CELL:COUNT (such as \"dc1:20\")"),
            (body(#""location": ":5""#), "location: \":5\" is not CELL:COUNT (such as \"dc1:20\")"),
            (
                body(#""location": "dc1:1,,dc2:2""#),
                "location: entry 2 is empty; write CELL:COUNT entries separated by commas"
            ),
            (
                body(#""location": " ""#),
                "location: must not be empty; write CELL:COUNT entries separated by commas, such as \"dc1:20,dc2:40\""
            ),
            (body(#""location": "dc1:1,dc1:2""#), "location: cell \"dc1\" appears more than once"),
            (
                body(#""location": "DC1:1""#),
                "location: cell name \"DC1\" must be 1 to 63 characters of a-z, 0-9 and \"-\", starting with a letter or digit"
            ),
            (body(#""location": "dc1:-1""#), "location: cell \"dc1\" has -1 instances; each cell takes 0 to 100000"),
            (
                body(#""location": "dc1:60000,dc2:60000""#),
                "location: adds up to 120000 instances; a job may have at most 100000"
            ),
            (
                body(#""location": "dc1:2", "instances": 3"#),
                "instances: is 3 but location adds up to 2; give one of them, or make them agree"
            ),
            (
                body(#""instances": 100001"#),
                "instances: cell \"default\" has 100001 instances; each cell takes 0 to 100000"
            ),
            (body(#""instances": 0, "kind": "batch""#), "instances: a batch job needs at least 1 instance (got 0)"),
            (body(#""location": "dc1:0", "kind": "batch""#), "location: a batch job needs at least 1 instance (got 0)"),
            // Image or command.
            (#"{"name": "app"}"#, "image: a job needs an image or a command; give one of them"),
            (#"{"name": "app", "image": "x", "command": ["y"]}"#, "command: give either image or command, not both"),
            (#"{"name": "app", "image": ""}"#, "image: must not be empty"),
            (
                #"{"name": "app", "image": "nginx latest"}"#,
                "image: must be a Docker image reference of at most 512 characters, without spaces, such as \"nginx:1.27\" (got \"nginx latest\")"
            ),
            (
                #"{"name": "app", "command": "echo hi"}"#,
                "command: expected an array of strings (argv), got a string; for a shell line write [\"/bin/sh\", \"-c\", \"echo hi\"]"
            ),
            (
                #"{"name": "app", "command": []}"#,
                "command: must have at least the program to run, such as [\"/bin/echo\", \"hi\"]"
            ),
            (#"{"name": "app", "command": [""]}"#, "command[0]: the program to run must not be empty"),
            (#"{"name": "app", "command": ["x", 2]}"#, "command[1]: expected a string, got a number (2)"),
            // Kind, tier, restart.
            (body(#""kind": "web""#), "kind: unknown value \"web\"; expected one of service, batch"),
            (
                body(#""kind": "servce""#),
                "kind: unknown value \"servce\"; expected one of service, batch (did you mean \"service\"?)"
            ),
            (body(#""tier": "gold""#), "tier: unknown value \"gold\"; expected one of critical, flex"),
            (
                body(#""kind": "batch", "restartOnSuccess": true"#),
                "restartOnSuccess: a batch job finishes when its tasks succeed, so it cannot restart them on success; leave it out or use kind \"service\""
            ),
            // Environment.
            (
                body(#""environment": {"1A": "x"}"#),
                "environment.1A: is not a valid variable name: use A-Z, a-z, 0-9 and \"_\", not starting with a digit"
            ),
            (body(#""environment": {"A": "x\u0000y"}"#), "environment.A: the value must not contain a NUL character"),
            // Constraints.
            (
                body(#""hardConstraints": [{"type":"exclusiveHost"}, {"type":"foo"}]"#),
                "hardConstraints[1].type: unknown constraint type \"foo\"; expected one of uniqueHostAttr, balancedHostAttr, hostAttrValue, exclusiveHost, hostname"
            ),
            (
                body(#""softConstraints": [{"type":"uniqueHostAtr","attribute":"zone"}]"#),
                "softConstraints[0].type: unknown constraint type \"uniqueHostAtr\"; expected one of uniqueHostAttr, balancedHostAttr, hostAttrValue, exclusiveHost, hostname (did you mean \"uniqueHostAttr\"?)"
            ),
            (body(#""hardConstraints": [{"attribute":"zone"}]"#), "hardConstraints[0].type: is required"),
            (body(#""hardConstraints": [{"type":"uniqueHostAttr"}]"#), "hardConstraints[0].attribute: is required"),
            (body(#""hardConstraints": [{"type":"hostname"}]"#), "hardConstraints[0].values: is required"),
            (
                body(#""hardConstraints": ["exclusiveHost"]"#),
                "hardConstraints[0]: expected a constraint object such as {\"type\":\"exclusiveHost\"}, got a string (\"exclusiveHost\")"
            ),
            (
                body(#""hardConstraints": [{"type":"uniqueHostAttr","attribute":"zone","values":["a"]}]"#),
                "hardConstraints[0].values: unknown field"
            ),
            (
                body(#""hardConstraints": [{"type":"balancedHostAttr","attribute":"zone","expectedValue":3}]"#),
                "hardConstraints[0].expectedValue: unknown field; did you mean \"expectedValues\"?"
            ),
            (
                body(#""hardConstraints": [{"type":"uniqueHostAttr","attribute":""}]"#),
                "hardConstraints[0].attribute: must be an attribute name of 1 to 128 characters without spaces (got \"\")"
            ),
            (
                body(#""hardConstraints": [{"type":"hostAttrValue","attribute":"a","values":[]}]"#),
                "hardConstraints[0].values: must list at least one value, or no host could match"
            ),
            (
                body(#""hardConstraints": [{"type":"hostname","values":[""]}]"#),
                "hardConstraints[0].values[0]: must be 1 to 255 characters (got \"\")"
            ),
            (
                body(#""softConstraints": [{"type":"balancedHostAttr","attribute":"zone","expectedValues":0}]"#),
                "softConstraints[0].expectedValues: must be greater than 0 (got 0)"
            ),
            (
                body(#""hardConstraints": [{"type":"hostname","values":"h1"}]"#),
                "hardConstraints[0].values: expected an array of strings, got a string (\"h1\")"
            ),
            // Unknown fields.
            (body(#""memoryMB": 100"#), "memoryMB: unknown field; did you mean \"memory\"?"),
            (body(#""cpu": 2"#), "cpu: unknown field; did you mean \"cpus\"?"),
            (body(#""Name": "x""#), "Name: unknown field; did you mean \"name\"?"),
            (body(#""owner": "me""#), "owner: unknown field"),
            (
                body(#""clientToken": "abc""#),
                "clientToken: is not part of the job spec; send the client token as a request header"
            ),
            // The body itself.
            ("[1, 2]", "the job spec must be a JSON object, got an array"),
            ("\"spec\"", "the job spec must be a JSON object, got a string (\"spec\")"),
            ("", "the body is empty; expected a JSON object"),
        ]
    )
    func singleProblem(json: String, expected: String) {
        #expect(problems(json) == [expected])
    }

    @Test("every problem in a spec is reported at once: types and shapes first, then values")
    func everyProblemAtOnce() {
        let found = problems(
            """
            {"name": "Bad_Name", "cpus": -1, "memory": "lots", "location": "dc1:x,dc2:3",
             "hardConstraints": [{"type":"uniqueHostAttr","attribute":"zone"}, {"type":"foo"}],
             "memoryMb": 3, "zzz": 1}
            """
        )
        #expect(
            found == [
                "location: \"dc1:x\" is not CELL:COUNT (such as \"dc1:20\")",
                "memory: expected a whole number, got a string (\"lots\")",
                "image: a job needs an image or a command; give one of them",
                "hardConstraints[1].type: unknown constraint type \"foo\"; expected one of uniqueHostAttr, balancedHostAttr, hostAttrValue, exclusiveHost, hostname",
                "memoryMb: unknown field; did you mean \"memory\"?",
                "zzz: unknown field",
                "name: must be 1 to 63 characters of a-z, 0-9 and \"-\", starting with a letter or digit (got \"Bad_Name\")",
                "cpus: must be greater than 0 (got -1)",
            ]
        )
    }

    @Test("a number too large to represent is a problem with its field")
    func hugeNumber() {
        #expect(
            problems(#"{"name": "app", "command": ["x"], "cpus": 1e400}"#) == [
                "cpus: is not a value this parser can read (a number too large?)"
            ]
        )
    }

    @Test("malformed JSON is a problem with the body, not a crash")
    func malformedJSON() {
        let found = problems(#"{"name": "app", "cpus": }"#)
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("the body is not valid JSON") == true)
    }

    @Test(
        "limits on sizes are enforced",
        arguments: [
            (
                "environment",
                JobSpec(
                    name: "a",
                    workload: .image("x"),
                    environment: Dictionary(uniqueKeysWithValues: (0..<513).map { ("V\($0)", "") })
                )
            ),
            (
                "environment",
                JobSpec(name: "a", workload: .image("x"), environment: ["BIG": String(repeating: "x", count: 200_000)])
            ),
            ("command", JobSpec(name: "a", workload: .command(Array(repeating: "x", count: 5000)))),
            ("command", JobSpec(name: "a", workload: .command(["x", String(repeating: "y", count: 200_000)]))),
            ("command[1]", JobSpec(name: "a", workload: .command(["x", "a\u{0}b"]))),
            (
                "location",
                JobSpec(
                    name: "a",
                    location: (0..<65).map { CellInstances(cell: CellName("c\($0)"), instances: 1) },
                    workload: .image("x")
                )
            ),
            ("location", JobSpec(name: "a", location: [], workload: .image("x"))),
            (
                "hardConstraints",
                JobSpec(name: "a", workload: .image("x"), hardConstraints: Array(repeating: .exclusiveHost, count: 33))
            ),
            (
                "softConstraints[0].values",
                JobSpec(
                    name: "a",
                    workload: .image("x"),
                    softConstraints: [.hostname(values: Array(repeating: "h", count: 1001))]
                )
            ),
            ("image", JobSpec(name: "a", workload: .image(String(repeating: "x", count: 513)))),
            ("version", JobSpec(name: "a", version: String(repeating: "1", count: 129), workload: .image("x"))),
            ("name", JobSpec(name: String(repeating: "a", count: 64), workload: .image("x"))),
            ("durationSeconds", JobSpec(name: "a", workload: .image("x"), durationSeconds: 40_000_000)),
        ]
    )
    func sizeLimits(field: String, spec: JobSpec) {
        #expect(spec.problems().map(\.field) == [field])
    }

    @Test("the largest allowed values pass")
    func upperLimitsPass() throws {
        let spec = try parse(
            """
            {"name": "\(String(repeating: "a", count: 63))", "image": "x", "cpus": 1024, "memory": 16777216,
             "disk": 65536, "ports": 64, "networkMbps": 400000, "numRetries": 1000, "instances": 100000,
             "durationSeconds": 31536000}
            """
        )
        #expect(spec.instances == 100_000)
    }
}
