import Foundation
import Testing
import TitanDocker

/// The real Docker engine the daemon-backed tests use, as scripts/test describes it in the
/// environment: `TITAN_TEST_DOCKER_SOCKET` (its socket) and `TITAN_TEST_DOCKER_IMAGE` (a busybox
/// image it holds). Without a socket the tests are skipped, unless `TITAN_REQUIRE_DAEMONS=1`
/// says they must run, and then they fail saying how to get an engine.
enum DockerTestEngine {
    private static let environment = ProcessInfo.processInfo.environment

    static var socketPath: String? { environment["TITAN_TEST_DOCKER_SOCKET"].flatMap { $0.isEmpty ? nil : $0 } }
    static var image: ImageReference {
        ImageReference(environment["TITAN_TEST_DOCKER_IMAGE"] ?? "titan-test/busybox:latest")
    }
    static var daemonsRequired: Bool { environment["TITAN_REQUIRE_DAEMONS"] == "1" }

    /// Whether the daemon-backed suites run at all.
    static var isEnabled: Bool { socketPath != nil || daemonsRequired }

    static func client() throws -> DockerClient {
        guard let socketPath else {
            throw MissingDockerEngine()
        }
        return DockerClient(socketPath: socketPath)
    }
}

struct MissingDockerEngine: Error, CustomStringConvertible {
    var description: String {
        "TITAN_REQUIRE_DAEMONS=1 but TITAN_TEST_DOCKER_SOCKET is not set: run scripts/test, which installs and "
            + "starts a private Docker engine and imports the test image"
    }
}

/// One test's view of the engine: a label unique to the test on every container it makes, so
/// the test can find and remove them all afterwards.
struct DockerTestContext {
    let docker: DockerClient
    let image = DockerTestEngine.image
    let testLabel: [String: String] = ["titan.test.case": UUID().uuidString]

    /// A spec for the test image on the host network, labelled for clean-up.
    func spec(
        _ script: String,
        environment: [String: String] = [:],
        labels: [String: String] = [:],
        limits: ResourceLimits = ResourceLimits()
    ) -> ContainerSpec {
        ContainerSpec(
            image: image,
            command: ["sh", "-c", script],
            environment: environment,
            labels: labels.merging(testLabel) { mine, _ in mine },
            limits: limits,
            networkMode: .host
        )
    }

    /// Creates and starts a container running `script`.
    func run(
        _ script: String,
        environment: [String: String] = [:],
        labels: [String: String] = [:],
        limits: ResourceLimits = ResourceLimits()
    ) async throws -> ContainerID {
        let id = try await docker.createContainer(
            spec(script, environment: environment, labels: labels, limits: limits)
        )
        try await docker.startContainer(id)
        return id
    }

    func removeContainers() async {
        guard let containers = try? await docker.listContainers(labels: testLabel) else { return }
        for container in containers {
            try? await docker.removeContainer(container.id, force: true, removeVolumes: true)
        }
    }
}

/// Runs a daemon-backed test body and removes the containers it made, also when it fails.
func withDockerEngine(_ body: (DockerTestContext) async throws -> Void) async throws {
    let context = DockerTestContext(docker: try DockerTestEngine.client())
    do {
        try await body(context)
    } catch {
        await context.removeContainers()
        throw error
    }
    await context.removeContainers()
}
