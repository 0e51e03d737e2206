import Foundation
import Testing
import TitanModel

/// Exit codes: 0 done, 1 refused (the API's message verbatim, with the field), 2 usage,
/// 3 cannot reach the API (with a hint to start it).
@Suite("titanctl exit codes")
struct ExitCodeTests {
    @Test("a spec file with mistakes lists every one with its YAML line and column, sends nothing, and exits 1")
    func yamlMistakesWithLines() async throws {
        try await withAPI { api in
            let directory = try temporaryDirectory()
            let path = try writeFile(
                """
                name: Bad_Name
                image: nginx
                cpus: -1
                memory: "lots"
                restartOnFailure: yes
                hardConstraints:
                  - type: uniqueHostAttribute
                    attribute: zone
                memry: 3
                """,
                named: "bad.yaml",
                in: directory
            )
            let result = try await titanctl(["job", "create", path, "--api", api.url])
            #expect(result.status == 1, "\(result)")
            let lines = result.stderr.split(separator: "\n").map(String.init)
            #expect(lines.first == "error: \(path): the job spec has 6 mistakes (nothing was sent)", "\(result)")
            #expect(
                Array(lines.dropFirst()) == [
                    "\(path):1:1: name: must be 1 to 63 characters of a-z, 0-9 and \"-\", starting with a letter or digit (got \"Bad_Name\")",
                    "\(path):3:1: cpus: must be greater than 0 (got -1)",
                    "\(path):4:1: memory: expected a whole number, got a string (\"lots\")",
                    "\(path):5:1: restartOnFailure: expected true or false, got a string (\"yes\")",
                    "\(path):7:5: hardConstraints[0].type: unknown constraint type \"uniqueHostAttribute\"; expected one of uniqueHostAttr, balancedHostAttr, hostAttrValue, exclusiveHost, hostname",
                    "\(path):9:1: memry: unknown field; did you mean \"memory\"?",
                ],
                "\(result)"
            )
            let jobs = try decode(
                [JobSummary].self,
                from: try await titanctl(["job", "list", "--api", api.url, "-o", "json"])
            )
            #expect(jobs.isEmpty)
        }
    }

    @Test("a YAML syntax error gives its line and column and exits 1")
    func yamlSyntaxError() async throws {
        let directory = try temporaryDirectory()
        let path = try writeFile("name: web\nimage: [nginx\ncpus: 2\n", named: "broken.yaml", in: directory)
        // No API is needed: the file is read before anything is sent.
        let result = try await titanctl(["job", "create", path, "--api", "http://127.0.0.1:\(try unusedPort())"])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.hasPrefix("error: \(path):3:"), "\(result)")
        #expect(result.stderr.contains("not valid YAML"), "\(result)")
    }

    @Test("JSON spec mistakes are listed with their lines too")
    func jsonMistakesWithLines() async throws {
        let directory = try temporaryDirectory()
        let path = try writeFile(
            """
            {
              "name": "web",
              "image": "nginx",
              "cpus": "4",
              "ports": 100
            }
            """,
            named: "web.json",
            in: directory
        )
        let result = try await titanctl(["job", "create", path, "--api", "http://127.0.0.1:\(try unusedPort())"])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("\(path):4:3: cpus: expected a number, got a string (\"4\")"), "\(result)")
        #expect(result.stderr.contains("\(path):5:3: ports: must be at most 64 (got 100)"), "\(result)")
    }

    @Test("a refusal from the API is shown verbatim with its field, exit 1")
    func apiRefusal() async throws {
        try await withAPI { api in
            let job = try await createJob(#"{"name": "web", "image": "nginx"}"#, api: api)
            let id = job.job.id.rawValue
            let tooMany = try await titanctl(["job", "scale", id, "200000", "--api", api.url])
            #expect(tooMany.status == 1)
            #expect(
                tooMany.stderr == "error: the request has 1 problem\n  instances: must be 0 to 100000 (got 200000)\n"
            )
            #expect(tooMany.stdout.isEmpty)

            let unknown = try await titanctl(["job", "get", "no-such-job", "--api", api.url])
            #expect(unknown.status == 1)
            #expect(unknown.stderr == "error: no job has id no-such-job\n")

            let batch = try await createJob(#"{"name": "report", "image": "busybox", "kind": "batch"}"#, api: api)
            let notScalable = try await titanctl(["job", "scale", batch.job.id.rawValue, "3", "--api", api.url])
            #expect(notScalable.status == 1)
            #expect(notScalable.stderr.hasPrefix("error: "))
            #expect(notScalable.stderr.contains("batch"), "\(notScalable)")
        }
    }

    @Test(
        "usage mistakes exit 2",
        arguments: [
            ["job", "scale", "only-an-id"],
            ["job", "frobnicate"],
            ["job", "list", "--output", "yaml"],
            ["job", "list", "--limit", "0"],
            ["job", "create", "spec.yaml", "--wait", "--timeout", "0"],
            ["task", "logs", "some-task", "--stream", "stdin"],
            ["host", "disable", "sim-0001", "--for", "60", "--until", "2030-01-01T00:00:00Z"],
            ["completion", "powershell"],
            ["job", "list", "--api", "ftp://example.com"],
            ["job", "create", "/no/such/spec.yaml"],
        ]
    )
    func usage(arguments: [String]) async throws {
        let result = try await titanctl(arguments)
        #expect(result.status == 2, "\(result)")
        #expect(!result.stderr.isEmpty)
    }

    @Test("an API that cannot be reached exits 3 with a hint to start it")
    func unreachable() async throws {
        let port = try unusedPort()
        let result = try await titanctl(["job", "list", "--api", "http://127.0.0.1:\(port)"])
        #expect(result.status == 3, "\(result)")
        #expect(result.stderr.hasPrefix("error: cannot reach titan-api at http://127.0.0.1:\(port) (from --api): "))
        #expect(result.stderr.contains("hint: start it with `titan-api --simulate-hosts 3`"))
        #expect(result.stdout.isEmpty)
    }
}
