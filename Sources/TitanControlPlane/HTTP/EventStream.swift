import Foundation
import Hummingbird
import NIOCore
import TitanModel
import TitanStore

/// `GET /v1/events`: the store's events as server-sent events.
///
/// Events are read from the store a page at a time and written one page before the next is
/// read, so a slow client costs one page of memory, never a backlog: it simply falls behind
/// in the table and catches up at its own pace. Each event's `id` is its store id, so a client
/// that reconnects with `Last-Event-ID` (or `after`) misses nothing and repeats nothing.
enum EventStream {
    static let pageSize = 500
    static let pollInterval: Duration = .milliseconds(200)
    static let keepAliveInterval: Duration = .seconds(15)

    static func response(controlPlane: ControlPlane, after: Int64, follow: Bool) -> Response {
        let store = controlPlane.store
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                var last = after
                var lastWrite = ContinuousClock.now
                let encoder = TitanJSON.encoder()
                while !Task.isCancelled {
                    let events = try await store.events(after: last, limit: pageSize)
                    if !events.isEmpty {
                        var buffer = ByteBuffer()
                        for event in events {
                            buffer.writeString("id: \(event.id)\nevent: \(event.kind.rawValue)\ndata: ")
                            buffer.writeBytes(try encoder.encode(event))
                            buffer.writeString("\n\n")
                            last = event.id
                        }
                        try await writer.write(buffer)
                        lastWrite = ContinuousClock.now
                    }
                    if events.count == pageSize { continue }
                    if !follow { break }
                    if await controlPlane.isShuttingDown { break }
                    if ContinuousClock.now - lastWrite >= keepAliveInterval {
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                        lastWrite = ContinuousClock.now
                    }
                    try await Task.sleep(for: pollInterval)
                }
                try await writer.finish(nil)
            }
        )
    }
}
