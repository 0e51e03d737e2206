import CurlHTTP
import Foundation
import Logging
import Testing
import TitanControlPlane
import TitanModel

/// Intervals short enough for tests: heartbeats every 0.2 s, runs missing from reports lost
/// after 0.6 s. Hosts are lost only after a minute: test agents heartbeat when the test drives
/// them, and a machine running every suite at once can pause a test for seconds. Tests of lost
/// hosts use ``fastHostLoss``.
extension ControlPlaneConfiguration {
    static let fast = ControlPlaneConfiguration(
        schedulingInterval: .milliseconds(100),
        heartbeatInterval: .milliseconds(200),
        lostAfter: .seconds(60),
        missingRunGrace: .milliseconds(600),
        reconcileInterval: .milliseconds(500),
        restartCheckInterval: .milliseconds(50),
        killGracePeriod: .seconds(1),
        heartbeatWriteInterval: .seconds(1),
        maximumOrdersWait: .seconds(5)
    )

    /// As ``fast``, with hosts lost after 3 s without a heartbeat.
    static var fastHostLoss: ControlPlaneConfiguration {
        var configuration = fast
        configuration.lostAfter = .seconds(3)
        return configuration
    }
}

/// The real server, in this process, on a free port of 127.0.0.1, with a real SQLite file in
/// a fresh directory. Stopped (cancelled) by `stop()`.
final class TestServer: APIEndpoint {
    let port: Int
    let controlPlane: ControlPlane
    let databasePath: String
    private let task: Task<Void, any Error>
    let client = HTTPClient(configuration: HTTPClient.Configuration(retryPolicy: .never))

    var baseURL: String { "http://127.0.0.1:\(port)" }

    private init(port: Int, controlPlane: ControlPlane, databasePath: String, task: Task<Void, any Error>) {
        self.port = port
        self.controlPlane = controlPlane
        self.databasePath = databasePath
        self.task = task
    }

    static func start(
        configuration: ControlPlaneConfiguration = .fast,
        simulatedHosts: Int = 0,
        autoscaling: AutoscalingSettings? = nil,
        simulatedBootDelay: Duration = .milliseconds(200),
        databasePath: String? = nil
    ) async throws -> TestServer {
        let path = try databasePath ?? TestFiles.directory().appendingPathComponent("titan.db").path
        var options = TitanAPIServer.Options(
            port: 0,
            databasePath: path,
            controlPlane: configuration,
            simulatedHosts: simulatedHosts,
            simulatedBootDelay: simulatedBootDelay,
            autoscaling: autoscaling
        )
        options.host = "127.0.0.1"
        var logger = Logger(label: "titan-api-test")
        logger.logLevel = .critical
        let server = TitanAPIServer(options: options, logger: logger)
        let (listening, continuation) = AsyncStream.makeStream(of: (Int, ControlPlane).self)
        let task = Task {
            try await server.run { port, controlPlane in
                continuation.yield((port, controlPlane))
                continuation.finish()
            }
        }
        var iterator = listening.makeAsyncIterator()
        guard let (port, controlPlane) = await iterator.next() else {
            task.cancel()
            throw TestFailure("the server did not start")
        }
        let testServer = TestServer(port: port, controlPlane: controlPlane, databasePath: path, task: task)
        try await testServer.waitUntilReady()
        return testServer
    }

    func stop() async {
        task.cancel()
        _ = await task.result
    }

    func waitUntilReady() async throws {
        try await eventually("the server becomes ready") {
            (try? await self.get("/readyz").statusCode) == 200
        }
    }
}

/// Something that answers the API over HTTP: the in-process server or a `titan-api` child process.
protocol APIEndpoint: Sendable {
    var baseURL: String { get }
    var client: HTTPClient { get }
}

extension APIEndpoint {
    func request(
        _ method: HTTPMethod,
        _ path: String,
        body: [UInt8]? = nil,
        headers: HTTPHeaders = [:]
    ) async throws -> HTTPResponse {
        var headers = headers
        if body != nil, headers["Content-Type"] == nil { headers.add(name: "Content-Type", value: "application/json") }
        return try await client.execute(HTTPRequest(method: method, url: baseURL + path, headers: headers, body: body))
    }

    func get(_ path: String) async throws -> HTTPResponse { try await request(.get, path) }

    func post(_ path: String, json: String, headers: HTTPHeaders = [:]) async throws -> HTTPResponse {
        try await request(.post, path, body: Array(json.utf8), headers: headers)
    }

    func post<Body: Encodable>(_ path: String, _ body: Body) async throws -> HTTPResponse {
        try await request(.post, path, body: Array(try TitanJSON.encoder().encode(body)))
    }

    /// GET and decode a 200 answer.
    func fetch<T: Decodable>(_ type: T.Type, _ path: String) async throws -> T {
        let response = try await get(path)
        guard response.statusCode == 200 else {
            throw TestFailure("GET \(path) answered \(response.statusCode): \(response.bodyText)")
        }
        return try TitanJSON.decoder().decode(T.self, from: Data(response.body))
    }

    /// Creates a job from spec JSON and returns it.
    func createJob(_ spec: String, token: String? = nil) async throws -> JobDetail {
        let response = try await post("/v1/jobs", json: spec, headers: token.map { ["Idempotency-Key": $0] } ?? [:])
        guard response.statusCode == 201 || response.statusCode == 200 else {
            throw TestFailure("POST /v1/jobs answered \(response.statusCode): \(response.bodyText)")
        }
        return try TitanJSON.decoder().decode(JobDetail.self, from: Data(response.body))
    }

    func task(_ id: TaskInstanceID) async throws -> TaskDetail { try await fetch(TaskDetail.self, "/v1/tasks/\(id)") }

    func tasks(of job: JobID) async throws -> [TaskSummary] {
        try await fetch(Page<TaskSummary>.self, "/v1/jobs/\(job)/tasks?limit=10000").items
    }

    func job(_ id: JobID) async throws -> JobDetail { try await fetch(JobDetail.self, "/v1/jobs/\(id)") }
}

extension HTTPResponse {
    /// The body as the API's error body.
    var apiError: APIErrorBody? { try? TitanJSON.decoder().decode(APIErrorBody.self, from: Data(body)) }

    func decoded<T: Decodable>(_ type: T.Type) throws -> T {
        try TitanJSON.decoder().decode(T.self, from: Data(body))
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Waits until `condition` holds, checking every 20 ms, for at most `timeout`.
func eventually(
    _ what: String,
    timeout: Duration = .seconds(30),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw TestFailure("timed out waiting until \(what)")
}

/// Temporary directories, removed at process exit (servers may hold files open until then).
enum TestFiles {
    static func directory() throws -> URL {
        let url = root.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    private static let root: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("titan-api-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: TestFiles.rootURL) }
        return url
    }()

    fileprivate static var rootURL: URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("titan-api-tests-\(getpid())")
    }
}

/// Runs `body` with a fresh server and stops it afterwards, also on failure.
func withServer<T>(
    configuration: ControlPlaneConfiguration = .fast,
    simulatedHosts: Int = 0,
    autoscaling: AutoscalingSettings? = nil,
    _ body: (TestServer) async throws -> T
) async throws -> T {
    let server = try await TestServer.start(
        configuration: configuration,
        simulatedHosts: simulatedHosts,
        autoscaling: autoscaling
    )
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}
