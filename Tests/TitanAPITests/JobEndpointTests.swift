import CurlHTTP
import Foundation
import Testing
import TitanModel

@Suite("Jobs over HTTP")
struct JobEndpointTests {
    @Test("creating a job answers 201 with the job, its location and every task accepted")
    func createJob() async throws {
        try await withServer { server in
            let response = try await server.post("/v1/jobs", json: Specs.service("web", instances: 3))
            #expect(response.statusCode == 201)
            let detail = try response.decoded(JobDetail.self)
            #expect(response.headers["Location"] == "/v1/jobs/\(detail.job.id)")
            #expect(detail.job.name == "web")
            #expect(detail.job.desiredInstances == 3)
            #expect(detail.job.taskCounts?.accepted == 3)
            #expect(detail.spec.workload == .command(["/bin/true"]))
            let fetched = try await server.job(detail.job.id)
            #expect(fetched.job.id == detail.job.id)
        }
    }

    @Test("the example spec of the design document is accepted with 120 tasks over three cells")
    func exampleSpec() async throws {
        try await withServer { server in
            let spec = """
                { "name": "rocker", "applicationName": "nf-rocker", "version": "1.06",
                  "location": "dc1:20,dc2:40,dc5:60", "image": "nf/rocker:1.06",
                  "cpus": 4, "memory": 3200, "disk": 40, "ports": 2,
                  "restartOnFailure": true, "numRetries": 10, "restartOnSuccess": false }
                """
            let detail = try await server.createJob(spec)
            let tasks = try await server.tasks(of: detail.job.id)
            #expect(tasks.count == 120)
            #expect(tasks.filter { $0.cell == "dc1" }.count == 20)
            #expect(tasks.filter { $0.cell == "dc5" }.count == 60)
        }
    }

    @Test("a repeat with the same Idempotency-Key returns the first job; another spec with it is a conflict")
    func idempotentCreation() async throws {
        try await withServer { server in
            let first = try await server.post(
                "/v1/jobs",
                json: Specs.service("web"),
                headers: ["Idempotency-Key": "abc"]
            )
            let second = try await server.post(
                "/v1/jobs",
                json: Specs.service("web"),
                headers: ["Idempotency-Key": "abc"]
            )
            #expect(first.statusCode == 201)
            #expect(second.statusCode == 200)
            #expect(try first.decoded(JobDetail.self).job.id == second.decoded(JobDetail.self).job.id)
            let conflict = try await server.post(
                "/v1/jobs",
                json: Specs.service("other"),
                headers: ["Idempotency-Key": "abc"]
            )
            #expect(conflict.statusCode == 409)
            #expect(conflict.apiError?.error.code == "clientTokenConflict")
            let list = try await server.fetch(Page<JobSummary>.self, "/v1/jobs")
            #expect(list.items.count == 1)
        }
    }

    @Test("an invalid spec answers 400 with every problem and its field, unknown fields included")
    func invalidSpec() async throws {
        try await withServer { server in
            let response = try await server.post(
                "/v1/jobs",
                json:
                    #"{"name": "Bad Name", "cpus": -1, "memory": "lots", "memoryMB": 5, "image": "x", "command": ["y"]}"#
            )
            #expect(response.statusCode == 400)
            let error = try #require(response.apiError)
            #expect(error.error.code == "invalidRequest")
            let fields = Set(error.error.problems.map(\.field))
            #expect(fields.isSuperset(of: ["name", "cpus", "memory", "memoryMB"]))
            #expect(error.error.problems.first { $0.field == "memoryMB" }?.message.contains("did you mean") == true)
            let list = try await server.fetch(Page<JobSummary>.self, "/v1/jobs")
            #expect(list.items.isEmpty)
        }
    }

    @Test(
        "each kind of spec problem is reported on its field",
        arguments: [
            (#"{"command": ["x"]}"#, "name"),
            (#"{"name": "a", "image": "x", "cpus": 0}"#, "cpus"),
            (#"{"name": "a", "image": "x", "cpus": 2000}"#, "cpus"),
            (#"{"name": "a", "image": "x", "memory": 0}"#, "memory"),
            (#"{"name": "a", "image": "x", "disk": -1}"#, "disk"),
            (#"{"name": "a", "image": "x", "ports": 65}"#, "ports"),
            (#"{"name": "a", "image": "x", "numRetries": -1}"#, "numRetries"),
            (#"{"name": "a", "image": "x", "location": "dc1:x"}"#, "location"),
            (#"{"name": "a", "image": "x", "location": "dc1:2", "instances": 3}"#, "instances"),
            (#"{"name": "a"}"#, "image"),
            (#"{"name": "a", "command": "echo hi"}"#, "command"),
            (#"{"name": "a", "image": "x", "environment": {"1BAD": "v"}}"#, "environment.1BAD"),
            (#"{"name": "a", "image": "x", "kind": "web"}"#, "kind"),
            (#"{"name": "a", "image": "x", "tier": "gold"}"#, "tier"),
            (#"{"name": "a", "image": "x", "capacityGroup": "A B"}"#, "capacityGroup"),
            (#"{"name": "a", "image": "x", "hardConstraints": [{"type": "foo"}]}"#, "hardConstraints[0].type"),
            (
                #"{"name": "a", "image": "x", "softConstraints": [{"type": "hostAttrValue", "attribute": "zone"}]}"#,
                "softConstraints[0].values"
            ),
            (#"{"name": "a", "image": "x", "kind": "batch", "restartOnSuccess": true}"#, "restartOnSuccess"),
            (#"{"name": "a", "image": "x", "durationSeconds": 0}"#, "durationSeconds"),
            (#"{"name": "a", "image": "x", "clientToken": "t"}"#, "clientToken"),
            (#"[1, 2]"#, ""),
            (#"{"name": "a", "#, ""),
        ]
    )
    func specProblems(body: String, field: String) async throws {
        try await withServer { server in
            let response = try await server.post("/v1/jobs", json: body)
            #expect(response.statusCode == 400, "\(body)")
            let problems = response.apiError?.error.problems ?? []
            #expect(problems.contains { $0.field == field }, "\(body): \(problems)")
        }
    }

    @Test("a body over the limit answers 413")
    func bodyTooLarge() async throws {
        try await withServer { server in
            let padding = String(repeating: "x", count: 1 << 20)
            let response = try await server.post("/v1/jobs", json: #"{"name": "a", "image": "\#(padding)"}"#)
            #expect(response.statusCode == 413)
            #expect(response.apiError?.error.code == "bodyTooLarge")
        }
    }

    @Test("jobs are listed oldest first, filtered by status, name and kind, one page at a time")
    func listJobs() async throws {
        try await withServer { server in
            var ids: [JobID] = []
            for index in 0..<5 { ids.append(try await server.createJob(Specs.service("svc-\(index)")).job.id) }
            let batch = try await server.createJob(Specs.batch("once")).job.id
            let first = try await server.fetch(Page<JobSummary>.self, "/v1/jobs?limit=2")
            #expect(first.items.map(\.id) == Array(ids.prefix(2)))
            let cursor = try #require(first.nextCursor)
            let second = try await server.fetch(Page<JobSummary>.self, "/v1/jobs?limit=2&cursor=\(cursor)")
            #expect(second.items.map(\.id) == Array(ids[2..<4]))
            let batches = try await server.fetch(Page<JobSummary>.self, "/v1/jobs?kind=batch")
            #expect(batches.items.map(\.id) == [batch])
            let named = try await server.fetch(Page<JobSummary>.self, "/v1/jobs?name=svc-3")
            #expect(named.items.map(\.id) == [ids[3]])
            let active = try await server.fetch(Page<JobSummary>.self, "/v1/jobs?status=active,killing&limit=100")
            #expect(active.items.count == 6)
            let killed = try await server.fetch(Page<JobSummary>.self, "/v1/jobs?status=killed")
            #expect(killed.items.isEmpty)
            for (query, field) in [
                ("status=running", "status"), ("kind=web", "kind"), ("limit=0", "limit"), ("limit=x", "limit"),
                ("cursor=zzz", "cursor"), ("colour=red", "colour"),
            ] {
                let response = try await server.get("/v1/jobs?\(query)")
                #expect(response.statusCode == 400, "\(query)")
                #expect(response.apiError?.error.problems.first?.field == field, "\(query)")
            }
        }
    }

    @Test("unknown jobs, tasks and routes answer 404 with the error body")
    func notFound() async throws {
        try await withServer { server in
            for path in ["/v1/jobs/nope", "/v1/jobs/nope/tasks", "/v1/tasks/nope-1", "/v1/hosts/nope", "/v1/nothing"] {
                let response = try await server.get(path)
                #expect(response.statusCode == 404, "\(path)")
                #expect(response.apiError?.error.code == "notFound", "\(path)")
            }
            #expect(try await server.post("/v1/jobs/nope/kill", json: "{}").statusCode == 404)
            #expect(
                try await server.request(.put, "/v1/jobs/nope/instances", body: Array(#"{"instances": 1}"#.utf8))
                    .statusCode == 404
            )
        }
    }

    @Test("a job's tasks are listed by instance index, filtered by state and paged")
    func listTasks() async throws {
        try await withServer { server in
            let job = try await server.createJob(Specs.service("web", instances: 25)).job.id
            let first = try await server.fetch(Page<TaskSummary>.self, "/v1/jobs/\(job)/tasks?limit=10")
            #expect(first.items.map(\.instanceIndex) == Array(0..<10))
            let cursor = try #require(first.nextCursor)
            let rest = try await server.fetch(
                Page<TaskSummary>.self,
                "/v1/jobs/\(job)/tasks?limit=100&cursor=\(cursor)"
            )
            #expect(rest.items.map(\.instanceIndex) == Array(10..<25))
            #expect(rest.nextCursor == nil)
            let accepted = try await server.fetch(Page<TaskSummary>.self, "/v1/jobs/\(job)/tasks?state=accepted")
            #expect(accepted.items.count == 25)
            let started = try await server.fetch(Page<TaskSummary>.self, "/v1/jobs/\(job)/tasks?state=started")
            #expect(started.items.isEmpty)
            #expect(try await server.get("/v1/jobs/\(job)/tasks?state=running").statusCode == 400)
            #expect(try await server.get("/v1/jobs/\(job)/tasks?limit=10001").statusCode == 400)
        }
    }

    @Test("a waiting task shows why it is not placed")
    func pendingReason() async throws {
        try await withServer { server in
            let job = try await server.createJob(Specs.service("web")).job.id
            let taskID = TaskInstanceID(job: job, index: 0)
            try await eventually("the task has a pending reason") {
                try await server.task(taskID).task.pendingReason != nil
            }
            let detail = try await server.task(taskID)
            #expect(detail.task.state == .accepted)
            #expect(detail.task.pendingReason?.contains("no host") == true)
        }
    }

    @Test("scaling a service adds tasks with fresh indexes and kills the highest ones; batch jobs refuse")
    func scale() async throws {
        try await withServer { server in
            let job = try await server.createJob(Specs.service("web", instances: 2)).job.id
            let up = try await server.request(.put, "/v1/jobs/\(job)/instances", body: Array(#"{"instances": 4}"#.utf8))
            #expect(up.statusCode == 200)
            #expect(try up.decoded(JobDetail.self).job.desiredInstances == 4)
            #expect(try await server.tasks(of: job).map(\.instanceIndex) == [0, 1, 2, 3])
            let down = try await server.request(
                .put,
                "/v1/jobs/\(job)/instances",
                body: Array(#"{"instances": 1}"#.utf8)
            )
            #expect(down.statusCode == 200)
            let tasks = try await server.tasks(of: job)
            #expect(tasks.filter { $0.state == .finished }.map(\.instanceIndex) == [1, 2, 3])
            for (body, field) in [
                (#"{"instances": -1}"#, "instances"), (#"{"instances": 1.5}"#, "instances"),
                (#"{"count": 1}"#, "count"), (#"{}"#, "instances"), (#"{"instances": "2"}"#, "instances"),
            ] {
                let response = try await server.request(.put, "/v1/jobs/\(job)/instances", body: Array(body.utf8))
                #expect(response.statusCode == 400, "\(body)")
                #expect(response.apiError?.error.problems.first?.field == field, "\(body)")
            }
            let batch = try await server.createJob(Specs.batch("once")).job.id
            let refused = try await server.request(
                .put,
                "/v1/jobs/\(batch)/instances",
                body: Array(#"{"instances": 2}"#.utf8)
            )
            #expect(refused.statusCode == 409)
            #expect(refused.apiError?.error.code == "jobNotScalable")
        }
    }

    @Test("killing a job with no running tasks finishes it at once; a killed job cannot be scaled")
    func killWaitingJob() async throws {
        try await withServer { server in
            let job = try await server.createJob(Specs.service("web", instances: 3)).job.id
            let response = try await server.post("/v1/jobs/\(job)/kill", json: "")
            #expect(response.statusCode == 202)
            #expect(try response.decoded(JobDetail.self).job.status == .killed)
            #expect(try await server.tasks(of: job).allSatisfy { $0.state == .finished && $0.finishReason == .killed })
            let scale = try await server.request(
                .put,
                "/v1/jobs/\(job)/instances",
                body: Array(#"{"instances": 5}"#.utf8)
            )
            #expect(scale.statusCode == 409)
            #expect(scale.apiError?.error.code == "jobFinished")
        }
    }

    @Test("killing a waiting task finishes it as killed, for good")
    func killWaitingTask() async throws {
        try await withServer { server in
            let job = try await server.createJob(Specs.service("web", instances: 2)).job.id
            let taskID = TaskInstanceID(job: job, index: 1)
            let response = try await server.post("/v1/tasks/\(taskID)/kill", json: "")
            #expect(response.statusCode == 202)
            let task = try response.decoded(TaskSummary.self)
            #expect(task.state == .finished)
            #expect(task.finishReason == .killed)
            #expect(task.nextRestartAt == nil)
        }
    }
}
