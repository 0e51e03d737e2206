import CurlHTTP
import Foundation
import Testing

@Suite("Streaming response bodies")
struct HTTPStreamingTests {
    @Test("the first chunk of a stream arrives while the server is still holding the rest back")
    func firstChunkArrivesEarly() async throws {
        let client = HTTPClient()
        try await withTestServer { server in
            let response = try await client.stream(
                HTTPRequest(url: "\(server.baseURL)/held-stream", timeouts: HTTPTimeouts(total: .seconds(30)))
            )
            #expect(response.statusCode == 200)
            var lines = response.body.lines.makeAsyncIterator()
            #expect(try await lines.next() == "first")
            // The server sends the rest only after this request, so "first" was streamed.
            let release = try await client.execute(HTTPRequest(method: .post, url: "\(server.baseURL)/release"))
            #expect(release.statusCode == 204)
            #expect(try await lines.next() == "second")
            #expect(try await lines.next() == nil)
        }
    }

    @Test("a chunked body split into lines yields every line in order")
    func chunkedLines() async throws {
        let client = HTTPClient()
        try await withTestServer { server in
            let response = try await client.stream(HTTPRequest(url: "\(server.baseURL)/stream?chunks=5&delay=0.05"))
            var lines: [String] = []
            for try await line in response.body.lines { lines.append(line) }
            #expect(lines == (0..<5).map { "chunk \($0)" })
        }
    }

    @Test("a large body read slowly through a small buffer arrives intact")
    func slowReaderGetsEveryByte() async throws {
        let client = HTTPClient(configuration: .init(receiveBufferLimitBytes: 64 * 1024))
        try await withTestServer { server in
            let count = 4 * 1024 * 1024
            let response = try await client.stream(HTTPRequest(url: "\(server.baseURL)/bytes?count=\(count)"))
            var received = 0
            var intact = true
            var chunks = 0
            for try await chunk in response.body {
                for (offset, byte) in chunk.enumerated() where byte != UInt8((received + offset) % 251) {
                    intact = false
                }
                received += chunk.count
                chunks += 1
                if chunks % 16 == 0 { try await Task.sleep(for: .milliseconds(5)) }
            }
            #expect(received == count)
            #expect(intact)
        }
    }

    @Test("cancelling the task that reads a stream ends it promptly")
    func cancellingTheReaderEndsTheStream() async throws {
        let client = HTTPClient()
        try await withTestServer { server in
            let response = try await client.stream(
                HTTPRequest(url: "\(server.baseURL)/stream?chunks=100&delay=0.2", timeouts: HTTPTimeouts(total: nil))
            )
            let reader = Task {
                var lines = 0
                for try await _ in response.body.lines { lines += 1 }
                return lines
            }
            try await Task.sleep(for: .milliseconds(500))
            let started = ContinuousClock.now
            reader.cancel()
            let error = await #expect(throws: HTTPClientError.self) { try await reader.value }
            #expect(error?.code == .cancelled)
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }

    @Test("a stream that is dropped unread does not keep the client busy")
    func droppedStreamIsClosed() async throws {
        let client = HTTPClient()
        try await withTestServer { server in
            for _ in 0..<3 {
                _ = try await client.stream(
                    HTTPRequest(
                        url: "\(server.baseURL)/stream?chunks=100&delay=0.2",
                        timeouts: HTTPTimeouts(total: nil)
                    )
                )
            }
            let response = try await client.execute(HTTPRequest(url: "\(server.baseURL)/hello"))
            #expect(response.bodyText == "hello")
        }
    }

    @Test("collect refuses a body larger than the limit")
    func collectLimit() async throws {
        let client = HTTPClient()
        try await withTestServer { server in
            let response = try await client.stream(HTTPRequest(url: "\(server.baseURL)/bytes?count=100000"))
            let error = await #expect(throws: HTTPClientError.self) { try await response.body.collect(upTo: 1000) }
            #expect(error?.message.contains("1000 bytes") == true)
        }
    }
}
