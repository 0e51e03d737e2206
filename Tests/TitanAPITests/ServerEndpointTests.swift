import CurlHTTP
import Foundation
import Testing
import TitanModel

@Suite("Health, metrics, events and the simulated fleet")
struct ServerEndpointTests {
    @Test("healthz and readyz answer 200; metrics is Prometheus text with Titan's counters")
    func healthAndMetrics() async throws {
        try await withServer { server in
            #expect(try await server.get("/healthz").statusCode == 200)
            let ready = try await server.get("/readyz")
            #expect(ready.statusCode == 200)
            #expect(ready.bodyText.contains("ready"))
            _ = try await server.createJob(Specs.service("web"))
            let metrics = try await server.get("/metrics")
            #expect(metrics.statusCode == 200)
            #expect(metrics.headers["Content-Type"]?.hasPrefix("text/plain") == true)
            #expect(metrics.bodyText.contains("titan_jobs_created_total 1"))
            #expect(
                metrics.bodyText.contains(
                    "titan_http_requests_total{method=\"POST\",route=\"/v1/jobs\",status=\"201\"} 1"
                )
            )
            #expect(metrics.bodyText.contains("titan_ready 1"))
        }
    }

    @Test("events are served as server-sent events from the start or after an id, without repeats")
    func eventsWithoutFollow() async throws {
        try await withServer { server in
            let job = try await server.createJob(Specs.service("web")).job.id
            _ = try await server.post("/v1/jobs/\(job)/kill", json: "")
            let all = try await server.get("/v1/events?follow=false")
            #expect(all.statusCode == 200)
            #expect(all.headers["Content-Type"] == "text/event-stream")
            let ids = all.bodyText.split(separator: "\n").filter { $0.hasPrefix("id: ") }.compactMap {
                Int($0.dropFirst(4))
            }
            #expect(ids.count >= 3)
            #expect(ids == ids.sorted())
            #expect(all.bodyText.contains("event: jobCreated"))
            #expect(all.bodyText.contains("event: jobFinished"))
            let after = try await server.get("/v1/events?follow=false&after=\(ids[0])")
            let laterIDs = after.bodyText.split(separator: "\n").filter { $0.hasPrefix("id: ") }.compactMap {
                Int($0.dropFirst(4))
            }
            #expect(laterIDs == Array(ids.dropFirst()))
            #expect(try await server.get("/v1/events?after=-1").statusCode == 400)
        }
    }

    @Test("a following event stream delivers new events as they happen")
    func followingStream() async throws {
        try await withServer { server in
            let stream = try await server.client.stream(HTTPRequest(url: server.baseURL + "/v1/events"))
            #expect(stream.statusCode == 200)
            _ = try await server.createJob(Specs.service("streamed"))
            var seen = ""
            for try await line in stream.body.lines {
                seen += line + "\n"
                if line.contains("jobCreated") && line.hasPrefix("data:") { break }
            }
            #expect(seen.contains("job streamed created"))
        }
    }

    @Test("the simulated fleet registers its hosts and runs tasks until they are killed or their duration ends")
    func simulatedFleet() async throws {
        try await withServer(simulatedHosts: 3) { server in
            try await eventually("three simulated hosts are up") {
                let hosts = try await server.fetch(Page<HostSummary>.self, "/v1/hosts").items
                return hosts.count == 3 && hosts.allSatisfy { $0.state == .up && $0.attributes["simulated"] == "true" }
            }
            let hosts = try await server.fetch(Page<HostSummary>.self, "/v1/hosts").items
            #expect(Set(hosts.map { $0.attributes["zone"] ?? "" }) == ["zone-a", "zone-b", "zone-c"])
            #expect(hosts.allSatisfy { $0.resources.cpus == 16 && $0.resources.memoryMB == 65_536 })
            let service = try await server.createJob(Specs.service("forever", instances: 4)).job.id
            let batch = try await server.createJob(
                Specs.batch("short", instances: 2, extra: #", "durationSeconds": 0.3"#)
            ).job.id
            try await eventually("the service runs") {
                try await server.tasks(of: service).allSatisfy { $0.state == .started }
            }
            try await eventually("the batch job succeeds after its duration") {
                try await server.job(batch).job.status == .succeeded
            }
            _ = try await server.post("/v1/jobs/\(service)/kill", json: "")
            try await eventually("the service is killed") { try await server.job(service).job.status == .killed }
            let logs = try await server.get("/v1/tasks/\(TaskInstanceID(job: service, index: 0))/logs")
            #expect(logs.statusCode == 404)
            #expect(logs.apiError?.error.message.contains("simulated") == true)
        }
    }
}
