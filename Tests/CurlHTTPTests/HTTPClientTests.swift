import CurlHTTP
import Foundation
import Testing

@Suite("HTTP client against a local server")
struct HTTPClientTests {
    let client = HTTPClient(configuration: .init(timeouts: HTTPTimeouts(connect: .seconds(5), total: .seconds(20))))

    @Test("a GET returns the status, headers and body the server sent")
    func getReturnsResponse() async throws {
        try await withTestServer { server in
            let response = try await client.execute(HTTPRequest(url: "\(server.baseURL)/hello"))
            #expect(response.statusCode == 200)
            #expect(response.headers["content-type"] == "text/plain")
            #expect(response.bodyText == "hello")
        }
    }

    @Test("a POST sends its method, headers and body")
    func postSendsHeadersAndBody() async throws {
        try await withTestServer { server in
            let request = HTTPRequest(
                method: .post,
                url: "\(server.baseURL)/echo",
                headers: ["Content-Type": "application/json", "X-Titan-Test": "yes"],
                body: Array(#"{"name":"rocker"}"#.utf8)
            )
            let echo = try await echoed(client.execute(request))
            #expect(echo.method == "POST")
            #expect(echo.headers["x-titan-test"] == "yes")
            #expect(echo.headers["content-type"] == "application/json")
            #expect(echo.body == #"{"name":"rocker"}"#)
        }
    }

    @Test(
        "PUT, PATCH and DELETE are sent with their own method and body",
        arguments: [HTTPMethod.put, .patch, .delete]
    )
    func otherMethodsWithBody(method: HTTPMethod) async throws {
        try await withTestServer { server in
            let request = HTTPRequest(method: method, url: "\(server.baseURL)/echo", body: Array("payload".utf8))
            let echo = try await echoed(client.execute(request))
            #expect(echo.method == method.rawValue)
            #expect(echo.body == "payload")
        }
    }

    @Test("a POST without a body sends an empty one")
    func postWithoutBody() async throws {
        try await withTestServer { server in
            let echo = try await echoed(client.execute(HTTPRequest(method: .post, url: "\(server.baseURL)/echo")))
            #expect(echo.method == "POST")
            #expect(echo.headers["content-length"] == "0")
            #expect(echo.headers["expect"] == nil)
        }
    }

    @Test("a HEAD request returns headers and no body")
    func headRequest() async throws {
        try await withTestServer { server in
            let response = try await client.execute(HTTPRequest(method: .head, url: "\(server.baseURL)/hello"))
            #expect(response.statusCode == 200)
            #expect(response.headers["content-length"] == "5")
            #expect(response.body.isEmpty)
        }
    }

    @Test("error statuses are responses, not thrown errors", arguments: [201, 204, 400, 404, 409, 500, 503])
    func statusCodes(code: Int) async throws {
        try await withTestServer { server in
            let response = try await client.execute(HTTPRequest(url: "\(server.baseURL)/status/\(code)"))
            #expect(response.statusCode == code)
            #expect(response.isSuccess == (200..<300).contains(code))
            if code != 204 { #expect(response.bodyText == "status \(code)") }
        }
    }

    @Test("repeated response headers are all kept and names match case-insensitively")
    func repeatedHeaders() async throws {
        try await withTestServer { server in
            let response = try await client.execute(HTTPRequest(url: "\(server.baseURL)/headers"))
            #expect(response.headers["x-titan-one"] == "1")
            #expect(response.headers.values(for: "X-TITAN-MANY") == ["a", "b"])
        }
    }

    @Test("requests over a unix-domain socket reach the server listening on it")
    func unixSocket() async throws {
        try await withTestServer { server in
            let get = try await client.execute(
                HTTPRequest(url: "http://localhost/hello", unixSocketPath: server.unixSocketPath)
            )
            #expect(get.bodyText == "hello")
            let post = try await client.execute(
                HTTPRequest(
                    method: .post,
                    url: "http://localhost/echo",
                    body: Array("over the socket".utf8),
                    unixSocketPath: server.unixSocketPath
                )
            )
            #expect(try echoed(post).body == "over the socket")
        }
    }

    @Test("concurrent streams are served side by side, not one after another")
    func concurrentStreams() async throws {
        try await withTestServer { server in
            // Each stream sends its first line and then waits for the release: served one after
            // another, the second stream would never get its first line.
            var streams: [HTTPStreamingResponse] = []
            var firstLines: [String?] = []
            for _ in 0..<5 {
                let response = try await client.stream(HTTPRequest(url: "\(server.baseURL)/held-stream"))
                var lines = response.body.lines.makeAsyncIterator()
                firstLines.append(try await lines.next())
                streams.append(response)
            }
            #expect(firstLines == Array(repeating: "first", count: 5))
            _ = try await client.execute(HTTPRequest(method: .post, url: "\(server.baseURL)/release"))
        }
    }

    @Test("a request slower than its total timeout fails with timedOut instead of waiting for the answer")
    func totalTimeout() async throws {
        try await withTestServer { server in
            // The server answers after 5 s; only the 300 ms timeout can make this fail.
            let request = HTTPRequest(
                url: "\(server.baseURL)/slow?seconds=5",
                timeouts: HTTPTimeouts(connect: .seconds(1), total: .milliseconds(300))
            )
            let error = await #expect(throws: HTTPClientError.self) { try await client.execute(request) }
            #expect(error?.code == .timedOut)
            #expect(error?.message.contains("timed out") == true)
        }
    }

    @Test("a refused TCP connection fails with couldNotConnect, naming the target")
    func connectionRefused() async throws {
        let port = try unusedPort()
        let request = HTTPRequest(url: "http://127.0.0.1:\(port)/hello", retryPolicy: .never)
        let error = await #expect(throws: HTTPClientError.self) { try await client.execute(request) }
        #expect(error?.code == .couldNotConnect)
        #expect(error?.message == "cannot connect to http://127.0.0.1:\(port)/hello: connection refused")
    }

    @Test("a missing unix socket fails with a message naming the socket and the reason")
    func missingUnixSocket() async throws {
        let path = "/tmp/titan-no-such-\(UUID().uuidString.prefix(8)).sock"
        let request = HTTPRequest(url: "http://localhost/_ping", unixSocketPath: path, retryPolicy: .never)
        let error = await #expect(throws: HTTPClientError.self) { try await client.execute(request) }
        #expect(error?.code == .couldNotConnect)
        #expect(error?.message == "cannot connect to unix socket \(path): no such file or directory")
    }

    @Test("an idempotent request is retried until the server starts listening")
    func retriesUntilListening() async throws {
        let port = try unusedPort()
        let server = try TestHTTPServer.start(port: port, listenAfter: 0.6)
        defer { server.stop() }
        let request = HTTPRequest(
            url: "http://127.0.0.1:\(port)/hello",
            retryPolicy: RetryPolicy(maxAttempts: 8, initialBackoff: .milliseconds(100), multiplier: 2)
        )
        let response = try await client.execute(request)
        #expect(response.bodyText == "hello")
    }

    @Test("retries give up after the last attempt and say how many were made")
    func retriesGiveUp() async throws {
        let port = try unusedPort()
        let request = HTTPRequest(
            url: "http://127.0.0.1:\(port)/hello",
            retryPolicy: RetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(50))
        )
        let started = ContinuousClock.now
        let error = await #expect(throws: HTTPClientError.self) { try await client.execute(request) }
        #expect(error?.message.hasSuffix("(after 3 attempts)") == true)
        #expect(ContinuousClock.now - started >= .milliseconds(150))
    }

    @Test("a POST is not retried, since the server may have acted on it")
    func postNotRetried() async throws {
        let port = try unusedPort()
        let request = HTTPRequest(
            method: .post,
            url: "http://127.0.0.1:\(port)/echo",
            retryPolicy: RetryPolicy(maxAttempts: 5, initialBackoff: .seconds(30))
        )
        let started = ContinuousClock.now
        let error = await #expect(throws: HTTPClientError.self) { try await client.execute(request) }
        #expect(error?.code == .couldNotConnect)
        #expect(error?.message.contains("attempts") == false)
        // A retry would have waited 30 s first.
        #expect(ContinuousClock.now - started < .seconds(15))
    }

    @Test("a header with a line break is refused before anything is sent")
    func headerInjectionRefused() async throws {
        let request = HTTPRequest(url: "http://127.0.0.1:1/", headers: ["X-Bad": "a\r\nX-Injected: b"])
        let error = await #expect(throws: HTTPClientError.self) { try await client.execute(request) }
        #expect(error?.code == .invalidRequest)
    }

    private struct Echo: Decodable {
        var method: String
        var path: String
        var headers: [String: String]
        var body: String
    }

    private func echoed(_ response: HTTPResponse) throws -> Echo {
        try JSONDecoder().decode(Echo.self, from: Data(response.body))
    }
}
