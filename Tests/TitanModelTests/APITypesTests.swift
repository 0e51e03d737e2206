import Foundation
import Testing

@testable import TitanModel

@Suite("API types")
struct APITypesTests {
    @Test("identifiers are plain JSON strings")
    func identifiersAsStrings() throws {
        let data = try JSONEncoder().encode(["job": JobID("j1")])
        #expect(String(decoding: data, as: UTF8.self) == #"{"job":"j1"}"#)
        #expect(
            try JSONDecoder().decode(TaskInstanceID.self, from: Data(#""j1-3""#.utf8))
                == TaskInstanceID(job: "j1", index: 3)
        )
    }

    @Test("the error body has the documented shape")
    func errorBody() throws {
        let body = APIErrorBody(
            ValidationError(problems: [FieldProblem(field: "cpus", message: "must be greater than 0 (got -1)")])
        )
        let json = String(decoding: try TitanJSON.encoder().encode(body), as: UTF8.self)
        #expect(
            json
                == #"{"error":{"code":"invalidRequest","message":"the request has 1 problem","problems":[{"field":"cpus","message":"must be greater than 0 (got -1)"}]}}"#
        )
    }

    @Test("a task summary round-trips through the shared coders with millisecond dates")
    func taskSummaryRoundTrip() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000.123)
        let summary = TaskSummary(
            id: "j-0",
            jobID: "j",
            instanceIndex: 0,
            cell: "dc1",
            attempt: 2,
            retriesUsed: 1,
            state: .finished,
            finishReason: .oomKilled,
            host: "h1",
            ports: [31000],
            pendingReason: nil,
            exitCode: 137,
            message: "OOM",
            killRequested: false,
            createdAt: now,
            updatedAt: now,
            launchedAt: now,
            startedAt: nil,
            finishedAt: now,
            nextRestartAt: now.addingTimeInterval(4)
        )
        let data = try TitanJSON.encoder().encode(summary)
        #expect(String(decoding: data, as: UTF8.self).contains(#""createdAt":"2027-01-15T08:00:00.123Z""#))
        #expect(try TitanJSON.decoder().decode(TaskSummary.self, from: data) == summary)
    }

    @Test("a job detail round-trips, its spec validated on the way in")
    func jobDetailRoundTrip() throws {
        let spec = try parse(JobSpecParsingTests.example)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let summary = JobSummary(
            id: "j",
            name: spec.name,
            applicationName: spec.applicationName,
            version: spec.version,
            kind: spec.kind,
            tier: spec.tier,
            capacityGroup: spec.capacityGroup,
            status: .active,
            desiredInstances: 120,
            createdAt: now,
            updatedAt: now,
            taskCounts: TaskStateCounts()
        )
        let detail = JobDetail(job: summary, spec: spec)
        #expect(try TitanJSON.decoder().decode(JobDetail.self, from: TitanJSON.encoder().encode(detail)) == detail)
    }

    @Test("a constraint decodes alone with problems relative to itself")
    func constraintAlone() throws {
        let constraint = try JSONDecoder().decode(
            JobConstraint.self,
            from: Data(#"{"type":"uniqueHostAttr","attribute":"zone"}"#.utf8)
        )
        #expect(constraint == .uniqueHostAttribute(attribute: "zone"))
        #expect(throws: ValidationError(problems: [FieldProblem(field: "attribute", message: "is required")])) {
            try JSONDecoder().decode(JobConstraint.self, from: Data(#"{"type":"uniqueHostAttr"}"#.utf8))
        }
    }

    @Test("task state counts index by state and total")
    func counts() {
        var counts = TaskStateCounts()
        for state in TaskState.allCases { counts[state] += 1 }
        counts[.started] += 1
        #expect(counts.total == 7 && counts.started == 2)
    }

    @Test("a near-miss name is suggested, a far one is not")
    func suggestions() {
        #expect(Suggestion.closest(to: "memroy", among: JobSpec.fieldNames) == "memory")
        #expect(Suggestion.closest(to: "instanecs", among: JobSpec.fieldNames) == "instances")
        #expect(Suggestion.closest(to: "xyz", among: JobSpec.fieldNames) == nil)
        #expect(Suggestion.editDistance("abc", "acb") == 1)
    }
}
