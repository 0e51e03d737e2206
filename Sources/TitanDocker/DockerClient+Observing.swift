import CurlHTTP
import Foundation

extension DockerClient {
    /// A container's log, frame by frame, each marked stdout or stderr.
    ///
    /// With `options.follow` the stream stays open, delivering new output, until the container
    /// stops; drop it or cancel its task to stop earlier.
    public func logs(of id: ContainerID, options: LogOptions = LogOptions()) async throws -> ContainerLogStream {
        var query = [
            ("stdout", options.includeStdout ? "true" : "false"),
            ("stderr", options.includeStderr ? "true" : "false"),
            ("follow", options.follow ? "true" : "false"),
            ("timestamps", options.timestamps ? "true" : "false"),
        ]
        if let tail = options.tailLines { query.append(("tail", String(tail))) }
        if let since = options.since { query.append(("since", since.engineQueryValue)) }
        let response = try await openStream(
            "/containers/\(percentEncodedPath(id.rawValue))/logs",
            query: query,
            failures: Failures(notFound: .containerNotFound(id))
        )
        return ContainerLogStream(body: response.body)
    }

    /// Everything the container has written so far, split into stdout and stderr.
    public func output(of id: ContainerID) async throws -> ContainerOutput {
        var output = ContainerOutput()
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        for try await frame in try await logs(of: id) {
            switch frame.source {
            case .stdout: stdout += frame.bytes
            case .stderr: stderr += frame.bytes
            case .stdin: break
            }
        }
        output.stdout = String(decoding: stdout, as: UTF8.self)
        output.stderr = String(decoding: stderr, as: UTF8.self)
        return output
    }

    /// One sample of the container's CPU and memory use, at once (no previous sample, so no
    /// ``ContainerStats/coresInUse``).
    public func stats(of id: ContainerID) async throws -> ContainerStats {
        let path = "/containers/\(percentEncodedPath(id.rawValue))/stats"
        let response = try await call(
            .get,
            path,
            query: [("stream", "false"), ("one-shot", "true")],
            failures: Failures(notFound: .containerNotFound(id))
        )
        return ContainerStats(try decode(WireStats.self, from: response.body, path: path))
    }

    /// The container's CPU and memory use, a sample about every second while it runs.
    public func statsStream(of id: ContainerID) async throws -> ContainerStatsStream {
        let path = "/containers/\(percentEncodedPath(id.rawValue))/stats"
        let response = try await openStream(
            path,
            query: [("stream", "true")],
            failures: Failures(notFound: .containerNotFound(id))
        )
        return ContainerStatsStream(lines: response.body.lines) { line in
            let wire = try JSONDecoder().decode(WireStats.self, from: Data(line.utf8))
            return ContainerStats(wire)
        }
    }

    /// Engine events as they happen, from the moment this returns (or from `since`).
    ///
    /// Subscribe before acting (starting a container) to be sure to see what it causes. With
    /// `until`, the stream ends at that time; otherwise drop it or cancel its task.
    public func events(
        matching filter: EventFilter = EventFilter(),
        since: Date? = nil,
        until: Date? = nil
    ) async throws -> DockerEventStream {
        var query: [(String, String)] = []
        let filters = filter.engineFilters
        if !filters.isEmpty { query.append(("filters", try encodeFilters(filters))) }
        if let since { query.append(("since", engineTime(since))) }
        if let until { query.append(("until", engineTime(until))) }
        let response = try await openStream("/events", query: query)
        return DockerEventStream(lines: response.body.lines) { line in
            DockerEvent(try JSONDecoder().decode(WireEvent.self, from: Data(line.utf8)))
        }
    }

    /// The engine's `seconds.nanoseconds` form of an instant.
    private func engineTime(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        let seconds = interval.rounded(.down)
        let nanoseconds = Int(((interval - seconds) * 1_000_000_000).rounded(.down))
        let padded = String(repeating: "0", count: max(0, 9 - String(nanoseconds).count)) + String(nanoseconds)
        return "\(Int64(seconds)).\(padded)"
    }
}
