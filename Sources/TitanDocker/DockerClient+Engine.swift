import CurlHTTP

extension DockerClient {
    /// Checks that the engine answers.
    public func ping() async throws {
        _ = try await call(.get, "/_ping")
    }

    /// The engine's version and API version.
    public func version() async throws -> EngineVersion {
        let response = try await call(.get, "/version")
        let wire = try decode(WireVersion.self, from: response.body, path: "/version")
        return EngineVersion(
            version: wire.Version,
            apiVersion: wire.ApiVersion,
            minimumAPIVersion: wire.MinAPIVersion ?? "",
            operatingSystem: wire.Os,
            architecture: wire.Arch,
            kernelVersion: wire.KernelVersion ?? ""
        )
    }
}
