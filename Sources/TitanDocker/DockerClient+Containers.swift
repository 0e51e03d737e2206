import CurlHTTP
import Foundation

extension DockerClient {
    /// Creates a container (not started) from a spec.
    /// - Parameter name: a unique name, or nil for one the engine makes up.
    /// - Throws: ``DockerError/Code/imageNotFound`` when the image is not on the engine (it is
    ///   never pulled), ``DockerError/Code/conflict`` when the name is taken.
    public func createContainer(_ spec: ContainerSpec, name: String? = nil) async throws -> ContainerID {
        let created = try await callJSON(
            .post,
            "/containers/create",
            query: name.map { [("name", $0)] } ?? [],
            body: WireCreateContainer(spec),
            as: WireCreatedContainer.self,
            failures: Failures(notFound: .imageNotFound(spec.image))
        )
        return ContainerID(created.Id)
    }

    /// Starts a created or stopped container; starting a running one does nothing.
    public func startContainer(_ id: ContainerID) async throws {
        _ = try await call(
            .post,
            "/containers/\(percentEncodedPath(id.rawValue))/start",
            failures: Failures(notFound: .containerNotFound(id), notModifiedIsSuccess: true)
        )
    }

    /// Waits until the container is not running and returns how it ended.
    ///
    /// Returns at once for a container that has already stopped, or has not been started.
    /// No timeout: cancel the task to stop waiting.
    public func waitForExit(of id: ContainerID) async throws -> ContainerExit {
        let path = "/containers/\(percentEncodedPath(id.rawValue))/wait"
        let response = try await call(
            .post,
            path,
            query: [("condition", "not-running")],
            totalTimeout: .some(nil),
            failures: Failures(notFound: .containerNotFound(id))
        )
        let wire = try decode(WireWaitResult.self, from: response.body, path: path)
        return ContainerExit(
            exitCode: wire.StatusCode,
            errorMessage: wire.Error?.Message.flatMap { $0.isEmpty ? nil : $0 }
        )
    }

    /// Stops a container: SIGTERM (or the image's stop signal), then SIGKILL once the grace
    /// period has passed. Returns when it has stopped; stopping a stopped one does nothing.
    /// - Parameter gracePeriod: time to exit cleanly, rounded up to whole seconds.
    public func stopContainer(_ id: ContainerID, gracePeriod: Duration = .seconds(10)) async throws {
        let (seconds, attoseconds) = gracePeriod.components
        let wholeSeconds = max(0, seconds + (attoseconds > 0 ? 1 : 0))
        _ = try await call(
            .post,
            "/containers/\(percentEncodedPath(id.rawValue))/stop",
            query: [("t", String(wholeSeconds))],
            totalTimeout: .some(.seconds(wholeSeconds) + requestTimeout),
            failures: Failures(notFound: .containerNotFound(id), notModifiedIsSuccess: true)
        )
    }

    /// Sends a signal to the container's main process.
    /// - Parameter signal: a name (`SIGKILL`, `SIGTERM`, `SIGHUP`) or number.
    /// - Throws: ``DockerError/Code/conflict`` when the container is not running.
    public func killContainer(_ id: ContainerID, signal: String = "SIGKILL") async throws {
        _ = try await call(
            .post,
            "/containers/\(percentEncodedPath(id.rawValue))/kill",
            query: [("signal", signal)],
            failures: Failures(notFound: .containerNotFound(id))
        )
    }

    /// Removes a container.
    /// - Parameters:
    ///   - force: kill it first if it is running.
    ///   - removeVolumes: also remove its anonymous volumes.
    public func removeContainer(_ id: ContainerID, force: Bool = false, removeVolumes: Bool = false) async throws {
        _ = try await call(
            .delete,
            "/containers/\(percentEncodedPath(id.rawValue))",
            query: [("force", force ? "true" : "false"), ("v", removeVolumes ? "true" : "false")],
            failures: Failures(notFound: .containerNotFound(id))
        )
    }

    /// A container's configuration, limits and state as the engine holds them.
    public func inspectContainer(_ id: ContainerID) async throws -> ContainerDetails {
        let path = "/containers/\(percentEncodedPath(id.rawValue))/json"
        let response = try await call(.get, path, failures: Failures(notFound: .containerNotFound(id)))
        return ContainerDetails(try decode(WireContainerInspect.self, from: response.body, path: path))
    }

    /// Containers carrying all the given labels.
    /// - Parameter includeStopped: also list created and exited ones, not only running ones.
    public func listContainers(
        labels: [String: String] = [:],
        includeStopped: Bool = true
    ) async throws -> [ContainerSummary] {
        var query = [("all", includeStopped ? "true" : "false")]
        let filters = EventFilter(labels: labels).engineFilters
        if !filters.isEmpty { query.append(("filters", try encodeFilters(filters))) }
        let response = try await call(.get, "/containers/json", query: query)
        return try decode([WireContainerSummary].self, from: response.body, path: "/containers/json")
            .map(ContainerSummary.init)
    }

    func encodeFilters(_ filters: [String: [String]]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        do {
            return String(decoding: try encoder.encode(filters), as: UTF8.self)
        } catch {
            throw DockerError(code: .invalidRequest, message: "cannot encode the filters \(filters): \(error)")
        }
    }
}
