import Foundation
import Testing
import TitanModel

/// `titanctl job …` against a real titan-api.
@Suite("titanctl job commands")
struct JobCommandTests {
    @Test("job create from JSON prints the new job, and job list and job get show it as a table and as JSON")
    func createListGet() async throws {
        try await withAPI { api in
            let directory = try temporaryDirectory()
            let path = try writeFile(
                #"{"name": "web", "image": "nginx:1.27", "instances": 2, "cpus": 1, "memory": 256}"#,
                named: "web.json",
                in: directory
            )
            let created = try await titanctl(["job", "create", path, "--api", api.url])
            #expect(created.status == 0, "\(created)")
            let match = created.stdout.firstMatch(of: /job ([0-9a-f-]{36}) created: web, 2 instances/)
            let id = try #require(match.map { String($0.1) }, "\(created)")

            let table = try await titanctl(["job", "list", "--api", api.url])
            #expect(table.status == 0)
            let lines = table.stdout.split(separator: "\n")
            #expect(lines.first?.hasPrefix("ID") == true && lines.first?.contains("INSTANCES") == true)
            #expect(lines.contains { $0.hasPrefix(id) && $0.contains("web") && $0.contains("service") })

            let json = try await titanctl(["job", "list", "--api", api.url, "-o", "json"])
            let jobs = try decode([JobSummary].self, from: json)
            #expect(jobs.map(\.id.rawValue) == [id])
            #expect(jobs.first?.desiredInstances == 2)

            let detail = try await titanctl(["job", "get", id, "--api", api.url, "-o", "json"])
            let job = try decode(JobDetail.self, from: detail)
            #expect(job.spec.name == "web" && job.spec.cpus == 1 && job.spec.memoryMB == 256)
            #expect(job.spec.workload == .image("nginx:1.27"))

            let text = try await titanctl(["job", "get", id, "--api", api.url])
            #expect(text.status == 0)
            #expect(text.stdout.contains("Job:") && text.stdout.contains(id))
            #expect(text.stdout.contains("Image:") && text.stdout.contains("nginx:1.27"))
            #expect(text.stdout.contains("1 cpus, 256 MB memory"))
        }
    }

    @Test("job list filters by status and name")
    func listFilters() async throws {
        try await withAPI { api in
            let web = try await createJob(#"{"name": "web", "image": "nginx", "instances": 1}"#, api: api)
            let batch = try await createJob(#"{"name": "report", "image": "busybox", "kind": "batch"}"#, api: api)
            _ = try await titanctl(["job", "kill", batch.job.id.rawValue, "--api", api.url])
            let named = try decode(
                [JobSummary].self,
                from: try await titanctl(["job", "list", "--name", "web", "--api", api.url, "-o", "json"])
            )
            #expect(named.map(\.id) == [web.job.id])
            let killed = try decode(
                [JobSummary].self,
                from: try await titanctl(["job", "list", "--status", "killed,killing", "--api", api.url, "-o", "json"])
            )
            #expect(killed.map(\.id) == [batch.job.id])
            let empty = try await titanctl(["job", "list", "--name", "nothing", "--api", api.url])
            #expect(empty.status == 0 && empty.stdout == "no jobs\n")
        }
    }

    @Test("job create from YAML reads the file under the YAML 1.2 core schema")
    func createFromYAML() async throws {
        try await withAPI { api in
            let directory = try temporaryDirectory()
            let path = try writeFile(
                """
                # a web service
                name: web
                version: "1.10"          # quoted: stays a string
                image: nginx:1.27
                location: "dc1:1, dc2:2"
                cpus: 0.5
                memory: 256
                restartOnFailure: false
                environment:
                  LOG_LEVEL: info
                  ANSWER: "42"
                hardConstraints:
                  - type: uniqueHostAttr
                    attribute: zone
                """,
                named: "web.yaml",
                in: directory
            )
            let result = try await titanctl(["job", "create", path, "--api", api.url, "-o", "json"])
            let job = try decode(JobDetail.self, from: result)
            #expect(job.spec.version == "1.10")
            #expect(job.spec.cpus == 0.5 && job.spec.memoryMB == 256 && !job.spec.restartOnFailure)
            #expect(job.spec.location.map(\.instances) == [1, 2])
            #expect(job.spec.environment == ["LOG_LEVEL": "info", "ANSWER": "42"])
            #expect(job.spec.hardConstraints == [.uniqueHostAttribute(attribute: "zone")])
        }
    }

    @Test("job create reads standard input with -")
    func createFromStandardInput() async throws {
        try await withAPI { api in
            let result = try await titanctl(
                ["job", "create", "-", "--api", api.url, "-o", "json"],
                standardInput: Data("name: piped\nimage: nginx\n".utf8)
            )
            #expect(try decode(JobDetail.self, from: result).job.name == "piped")
        }
    }

    @Test("job create with the same idempotency key twice returns the first job")
    func idempotencyKey() async throws {
        try await withAPI { api in
            let spec = #"{"name": "once", "image": "nginx"}"#
            let first = try await createJob(spec, api: api, extra: ["--idempotency-key", "deploy-42"])
            let second = try await createJob(spec, api: api, extra: ["--idempotency-key", "deploy-42"])
            #expect(first.job.id == second.job.id)
            let jobs = try decode(
                [JobSummary].self,
                from: try await titanctl(["job", "list", "--api", api.url, "-o", "json"])
            )
            #expect(jobs.count == 1)
        }
    }

    @Test("job scale changes the instances, and --wait returns when they have started")
    func scale() async throws {
        try await withAPI { api in
            let job = try await createJob(#"{"name": "web", "image": "nginx", "instances": 1}"#, api: api)
            let id = job.job.id.rawValue
            let scaled = try await titanctl(["job", "scale", id, "4", "--wait", "--api", api.url])
            #expect(scaled.status == 0, "\(scaled)")
            #expect(scaled.stdout.contains("job \(id) scaled to 4 instances"))
            #expect(scaled.stdout.contains("job \(id) is up: 4/4 started"))
            let json = try await titanctl(["job", "scale", id, "2", "--api", api.url, "-o", "json"])
            #expect(try decode(JobDetail.self, from: json).job.desiredInstances == 2)
        }
    }

    @Test("job kill kills every instance")
    func kill() async throws {
        try await withAPI { api in
            let job = try await createJob(
                #"{"name": "web", "image": "nginx", "instances": 2}"#,
                api: api,
                extra: ["--wait"]
            )
            let id = job.job.id.rawValue
            let killed = try await titanctl(["job", "kill", id, "--api", api.url])
            #expect(killed.status == 0)
            #expect(killed.stdout.hasPrefix("job \(id) is kill"))
            try await eventually("the job is killed") {
                let detail = try await titanctl(["job", "get", id, "--api", api.url, "-o", "json"])
                return try decode(JobDetail.self, from: detail).job.status == .killed
            }
        }
    }
}
