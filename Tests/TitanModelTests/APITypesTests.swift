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

    @Test("a host summary round-trips with its resources and port ranges")
    func hostSummaryRoundTrip() throws {
        let host = HostSummary(
            id: "h1",
            address: "10.0.0.1:7102",
            resources: HostResources(
                cpus: 7.5,
                memoryMB: 30_000,
                diskGB: 400,
                networkMbps: 10_000,
                portRanges: [PortRange(first: 31000, last: 32000)]
            ),
            attributes: ["zone": "a"],
            state: .up,
            disabledUntil: nil,
            lastHeartbeatAt: Date(timeIntervalSince1970: 1_800_000_000.5),
            registeredAt: Date(timeIntervalSince1970: 1_800_000_000),
            taskCount: 3
        )
        let json = String(decoding: try TitanJSON.encoder().encode(host), as: UTF8.self)
        #expect(json.contains(#""portRanges":[{"first":31000,"last":32000}]"#))
        #expect(try TitanJSON.decoder().decode(HostSummary.self, from: Data(json.utf8)) == host)
        let event = EventRecord(
            id: 7,
            at: Date(timeIntervalSince1970: 0),
            kind: .jobCreated,
            jobID: "j",
            taskID: nil,
            message: "m"
        )
        let eventJSON = String(decoding: try TitanJSON.encoder().encode(event), as: UTF8.self)
        #expect(eventJSON == #"{"at":"1970-01-01T00:00:00.000Z","id":7,"jobID":"j","kind":"jobCreated","message":"m"}"#)
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

@Suite("Fast task JSON")
struct TaskJSONTests {
    static func task(_ index: Int, message: String?, date: Date) -> TaskSummary {
        TaskSummary(
            id: TaskInstanceID(job: "job/1", index: index),
            jobID: "job/1",
            instanceIndex: index,
            cell: "dc1",
            attempt: index % 3,
            retriesUsed: 0,
            state: index % 2 == 0 ? .started : .finished,
            finishReason: index % 2 == 0 ? nil : .oomKilled,
            host: index % 2 == 0 ? "h1" : nil,
            ports: index % 2 == 0 ? [31000, 31001] : [],
            pendingReason: index % 4 == 1 ? "cpus: asked 4, most free 2" : nil,
            exitCode: index % 2 == 0 ? nil : -137,
            message: message,
            killRequested: index % 5 == 0,
            createdAt: date,
            updatedAt: date.addingTimeInterval(0.001),
            launchedAt: index % 2 == 0 ? date : nil,
            startedAt: nil,
            finishedAt: index % 2 == 0 ? nil : date,
            nextRestartAt: index % 3 == 0 ? .distantFuture : nil
        )
    }

    static let messages: [String?] = [
        nil, "", "plain", "quote \" backslash \\ slash /", "lines\n\r\ttabs\u{8}\u{c}", "control \u{1}\u{1f}",
        "unicode é 😀 \u{2028} \u{7f}",
    ]

    static let dates = [
        Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 1_800_000_000.123),
        Date(timeIntervalSince1970: 1_709_164_800.999),  // 2024-02-29, a leap day
        Date(timeIntervalSince1970: -0.001), Date(timeIntervalSince1970: 951_782_400),  // 2000-02-29
        Date(timeIntervalSince1970: 4_102_444_799.5),
    ]

    @Test("the fast writer gives exactly JSONEncoder's bytes")
    func sameBytesAsJSONEncoder() throws {
        var tasks: [TaskSummary] = []
        for (index, message) in Self.messages.enumerated() {
            for (offset, date) in Self.dates.enumerated() {
                tasks.append(Self.task(index * 10 + offset, message: message, date: date))
            }
        }
        for cursor in [nil, "42", "a\"b"] as [String?] {
            let page = Page(items: tasks, nextCursor: cursor)
            let expected = try TitanJSON.encoder().encode(page)
            let actual = TitanJSON.encode(page)
            #expect(String(decoding: actual, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
        }
        let empty = Page<TaskSummary>(items: [], nextCursor: nil)
        #expect(TitanJSON.encode(empty) == (try TitanJSON.encoder().encode(empty)))
    }

    @Test("dates are written as ISO 8601 UTC with milliseconds")
    func dates() {
        #expect(TitanJSON.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(TitanJSON.format(Date(timeIntervalSince1970: -0.001)) == "1969-12-31T23:59:59.999Z")
        #expect(TitanJSON.format(Date(timeIntervalSince1970: 1_709_164_800.999)) == "2024-02-29T00:00:00.999Z")
        #expect(TitanJSON.format(.distantFuture) == "4001-01-01T00:00:00.000Z")
    }
}
