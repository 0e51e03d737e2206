import Foundation
import Testing
import TitanModel

/// `job create --wait` against a real titan-api with two simulated hosts of 16 cpus.
@Suite("titanctl job create --wait")
struct WaitTests {
    @Test("--wait on a job that fits returns 0 once every instance has started")
    func jobComesUp() async throws {
        try await withAPI { api in
            let directory = try temporaryDirectory()
            let path = try writeFile(
                "name: web\nimage: nginx\ninstances: 4\ncpus: 4\n",
                named: "web.yaml",
                in: directory
            )
            let result = try await titanctl(["job", "create", path, "--wait", "--api", api.url])
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.contains("is up: 4/4 started"))
            // Not a terminal: progress is plain lines on standard error, ending at 4/4.
            #expect(result.stderr.split(separator: "\n").last?.hasPrefix("4/4 started") == true, "\(result)")
            #expect(!result.stderr.contains(escape) && !result.stderr.contains("\r"))

            let json = try await titanctl(["job", "create", path, "--wait", "--api", api.url, "-o", "json"])
            let job = try decode(JobDetail.self, from: json)
            // Eight 4-cpu tasks fill both 16-cpu hosts exactly.
            #expect(job.job.taskCounts?.started == 4 && job.job.desiredInstances == 4)
        }
    }

    @Test("--wait on a job that cannot fit on any host returns 1 at once, saying why")
    func jobCannotFit() async throws {
        try await withAPI { api in
            let directory = try temporaryDirectory()
            let path = try writeFile(
                "name: huge\nimage: nginx\ninstances: 2\ncpus: 64\n",
                named: "huge.yaml",
                in: directory
            )
            let started = ContinuousClock.now
            let result = try await titanctl(["job", "create", path, "--wait", "--timeout", "120", "--api", api.url])
            #expect(result.status == 1, "\(result)")
            // Judged from the hosts' sizes, not by running into the timeout.
            #expect(ContinuousClock.now - started < .seconds(60))
            #expect(result.stderr.contains("cannot fit (0/2 started)"), "\(result)")
            #expect(result.stderr.contains("cpus: a task needs 64, the largest host has 16"), "\(result)")
            #expect(result.stderr.contains("the scheduler says"), "\(result)")
            #expect(result.stderr.contains("cpus: needs 64 cpus"), "\(result)")
        }
    }

    @Test("--wait on a job whose hard constraint no host matches returns 1")
    func constraintNoHostMatches() async throws {
        try await withAPI { api in
            let directory = try temporaryDirectory()
            let path = try writeFile(
                """
                name: mars
                image: nginx
                hardConstraints:
                  - type: hostAttrValue
                    attribute: zone
                    values: [zone-mars]
                """,
                named: "mars.yaml",
                in: directory
            )
            let result = try await titanctl(["job", "create", path, "--wait", "--api", api.url])
            #expect(result.status == 1, "\(result)")
            #expect(result.stderr.contains("matches the hard constraints hostAttrValue zone in zone-mars"), "\(result)")
        }
    }

    @Test("--wait on a job that fits a host but waits for busy hosts gives up at --timeout with 1")
    func timeout() async throws {
        try await withAPI { api in
            // Two 16-cpu tasks take both hosts whole; a third waits for one to free up.
            _ = try await createJob(
                #"{"name": "fill", "image": "nginx", "instances": 2, "cpus": 16}"#,
                api: api,
                extra: ["--wait"]
            )
            let directory = try temporaryDirectory()
            let path = try writeFile(
                #"{"name": "later", "image": "nginx", "cpus": 16}"#,
                named: "later.json",
                in: directory
            )
            let result = try await titanctl(["job", "create", path, "--wait", "--timeout", "2", "--api", api.url])
            #expect(result.status == 1, "\(result)")
            #expect(result.stderr.contains("timed out after 2 s"), "\(result)")
            #expect(result.stderr.contains("0/1 started"))
            #expect(
                result.stderr.contains("still waiting: cpus: needs 16 cpus, the most free on any host is 0 cpus"),
                "\(result)"
            )
        }
    }

    @Test("--wait draws a progress bar on a terminal")
    func progressBarOnTerminal() async throws {
        try await withAPI { api in
            let directory = try temporaryDirectory()
            let path = try writeFile("name: web\nimage: nginx\ninstances: 3\n", named: "web.yaml", in: directory)
            let result = try await titanctlOnTerminal(["job", "create", path, "--wait", "--api", api.url])
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.contains("\r\u{1B}[2K"), "\(result)")
            #expect(result.stdout.contains("█") && result.stdout.contains("3/3 started"), "\(result)")
        }
    }

    @Test("--wait on a short batch job returns 0 once it is up or has succeeded")
    func batchSucceeds() async throws {
        try await withAPI { api in
            let directory = try temporaryDirectory()
            let path = try writeFile(
                #"{"name": "report", "image": "busybox", "kind": "batch", "instances": 2, "durationSeconds": 0.2}"#,
                named: "report.json",
                in: directory
            )
            let result = try await titanctl(["job", "create", path, "--wait", "--api", api.url])
            #expect(result.status == 0, "\(result)")
            // Its tasks run 0.2 s: --wait sees them started, or the job already succeeded.
            #expect(result.stdout.contains("is up: 2/2 started") || result.stdout.contains("succeeded"), "\(result)")
        }
    }
}
