import CurlHTTP
import Foundation
import Testing
import TitanDocker

@Suite(
    "Docker engine: images and the engine",
    .enabled(if: DockerTestEngine.isEnabled, "no Docker engine; scripts/test starts one"),
    .timeLimit(.minutes(2))
)
struct DockerEngineTests {
    @Test("ping answers and the engine speaks API 1.41")
    func pingAndVersion() async throws {
        try await withDockerEngine { engine in
            try await engine.docker.ping()
            let version = try await engine.docker.version()
            #expect(version.apiVersion == "1.41")
            #expect(version.operatingSystem == "linux")
        }
    }

    @Test("the test image is listed and carries PATH=/bin")
    func testImageIsListed() async throws {
        try await withDockerEngine { engine in
            let images = try await engine.docker.listImages()
            #expect(images.contains { $0.references.contains(engine.image) })
            let details = try await engine.docker.inspectImage(engine.image)
            #expect(details.environment["PATH"] == "/bin")
            #expect(details.references.contains(engine.image))
        }
    }

    @Test("a tarball imports as an image with the requested changes, and can be removed")
    func importImage() async throws {
        try await withDockerEngine { engine in
            let reference = ImageReference("titan-test/imported:\(UUID().uuidString.prefix(8).lowercased())")
            let id = try await engine.docker.importImage(
                rootFileSystemTarball: try makeTarball(files: ["etc/motd": "hello from titan\n"]),
                as: reference,
                changes: ["ENV PATH=/bin", "WORKDIR /etc"]
            )
            #expect(id.rawValue.hasPrefix("sha256:"))
            let details = try await engine.docker.inspectImage(reference)
            #expect(details.id == id)
            #expect(details.environment["PATH"] == "/bin")
            #expect(details.workingDirectory == "/etc")
            try await engine.docker.removeImage(reference)
            let error = await #expect(throws: DockerError.self) { try await engine.docker.inspectImage(reference) }
            #expect(error?.code == .imageNotFound)
        }
    }

    @Test("creating a container from a missing image fails at once with imageNotFound")
    func missingImage() async throws {
        try await withDockerEngine { engine in
            let started = ContinuousClock.now
            let spec = ContainerSpec(image: "busybox:titan", command: ["true"], networkMode: .host)
            let error = await #expect(throws: DockerError.self) { try await engine.docker.createContainer(spec) }
            #expect(error?.code == .imageNotFound)
            #expect(error?.subject == "busybox:titan")
            #expect(error?.message.contains("image busybox:titan is not present") == true)
            #expect(ContinuousClock.now - started < .seconds(10))
        }
    }

    @Test("an engine socket nobody listens on gives engineUnavailable naming the socket")
    func engineUnavailable() async throws {
        let socket = "/tmp/titan-no-engine-\(UUID().uuidString.prefix(8)).sock"
        let docker = DockerClient(
            socketPath: socket,
            httpClient: HTTPClient(configuration: .init(retryPolicy: .never))
        )
        let error = await #expect(throws: DockerError.self) { try await docker.ping() }
        #expect(error?.code == .engineUnavailable)
        #expect(error?.message.contains("cannot connect to unix socket \(socket): no such file or directory") == true)
    }

    @Test("operations on a container that does not exist fail with containerNotFound")
    func missingContainer() async throws {
        try await withDockerEngine { engine in
            let id = ContainerID("titan-no-such-container")
            let inspect = await #expect(throws: DockerError.self) { try await engine.docker.inspectContainer(id) }
            #expect(inspect?.code == .containerNotFound)
            let remove = await #expect(throws: DockerError.self) { try await engine.docker.removeContainer(id) }
            #expect(remove?.code == .containerNotFound)
            #expect(remove?.subject == id.rawValue)
        }
    }
}

/// A tar archive of the given files, made with the system's tar.
func makeTarball(files: [String: String]) throws -> [UInt8] {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("titan-tar-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    for (path, content) in files {
        let file = directory.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(content.utf8).write(to: file)
    }
    let archive = directory.appendingPathExtension("tar")
    defer { try? FileManager.default.removeItem(at: archive) }
    let tar = Process()
    tar.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    tar.arguments = ["tar", "-C", directory.path, "-cf", archive.path, "."]
    try tar.run()
    tar.waitUntilExit()
    guard tar.terminationStatus == 0 else {
        throw TestSetupFailure(description: "tar failed to archive \(directory.path)")
    }
    return Array(try Data(contentsOf: archive))
}

struct TestSetupFailure: Error, CustomStringConvertible {
    let description: String
}
