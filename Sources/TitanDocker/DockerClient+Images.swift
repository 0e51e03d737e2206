import CurlHTTP
import Foundation

extension DockerClient {
    /// Creates an image from a root file system tarball (what `docker import` does).
    ///
    /// No registry is involved, which is how images are made where none is reachable.
    /// - Parameters:
    ///   - tarball: a tar archive of the root file system (optionally gzip-compressed).
    ///   - reference: the name and tag to give the image.
    ///   - changes: Dockerfile instructions to apply, e.g. `ENV PATH=/bin`; an imported image
    ///     has no `PATH` otherwise.
    /// - Returns: the new image's id.
    public func importImage(
        rootFileSystemTarball tarball: [UInt8],
        as reference: ImageReference,
        changes: [String] = []
    ) async throws -> ImageID {
        var query = [("fromSrc", "-"), ("repo", reference.repository), ("tag", reference.tag)]
        query += changes.map { ("changes", $0) }
        let response = try await call(
            .post,
            "/images/create",
            query: query,
            body: tarball,
            contentType: "application/x-tar"
        )
        // The answer is a progress stream of JSON lines; a failure arrives as a line with
        // "error" under a 200 status.
        var imageID: ImageID?
        for line in response.bodyText.split(separator: "\n") where !line.isEmpty {
            let progress = try decode(WireProgress.self, from: Array(line.utf8), path: "/images/create")
            if let error = progress.error ?? progress.errorDetail?.message {
                throw DockerError(
                    code: .engineError,
                    message: "the Docker engine could not import \(reference): \(error)",
                    subject: reference.rawValue
                )
            }
            if let status = progress.status, status.hasPrefix("sha256:") { imageID = ImageID(status) }
        }
        if let imageID { return imageID }
        return try await inspectImage(reference).id
    }

    /// Every image on the engine.
    public func listImages() async throws -> [ImageSummary] {
        let response = try await call(.get, "/images/json")
        return try decode([WireImageSummary].self, from: response.body, path: "/images/json").map { wire in
            ImageSummary(
                id: ImageID(wire.Id),
                references: (wire.RepoTags ?? []).filter { $0 != "<none>:<none>" }.map { ImageReference($0) },
                createdAt: Date(timeIntervalSince1970: Double(wire.Created)),
                sizeBytes: wire.Size
            )
        }
    }

    /// One image's details.
    /// - Throws: ``DockerError/Code/imageNotFound`` when the engine does not have it.
    public func inspectImage(_ reference: ImageReference) async throws -> ImageDetails {
        let path = "/images/\(percentEncodedPath(reference.rawValue))/json"
        let response = try await call(.get, path, failures: Failures(notFound: .imageNotFound(reference)))
        let wire = try decode(WireImageInspect.self, from: response.body, path: path)
        return ImageDetails(
            id: ImageID(wire.Id),
            references: (wire.RepoTags ?? []).map { ImageReference($0) },
            createdAt: wire.Created.flatMap(EngineTimestamp.parse),
            sizeBytes: wire.Size,
            environment: environmentDictionary(wire.Config?.Env),
            command: wire.Config?.Cmd,
            workingDirectory: wire.Config?.WorkingDir ?? "",
            operatingSystem: wire.Os ?? "",
            architecture: wire.Architecture ?? ""
        )
    }

    /// Removes an image (untags it; the layers go when nothing else uses them).
    /// - Parameter force: remove it even while stopped containers use it.
    public func removeImage(_ reference: ImageReference, force: Bool = false) async throws {
        _ = try await call(
            .delete,
            "/images/\(percentEncodedPath(reference.rawValue))",
            query: [("force", force ? "true" : "false")],
            failures: Failures(notFound: .imageNotFound(reference))
        )
    }
}

/// An image or container name inside a URL path: `/`, `:` and `@` (as in `repo/name:tag` and
/// digests) stay, anything else unsafe is escaped.
func percentEncodedPath(_ name: String) -> String {
    percentEncoded(name, alsoKeeping: "/:@")
}
