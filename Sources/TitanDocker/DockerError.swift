/// Why a Docker Engine API call failed.
///
/// Match on ``code``; show ``message`` to a person: it names the image or container and what to
/// do. ``subject`` is the image reference or container id the error is about, when there is one.
public struct DockerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case imageNotFound
            case containerNotFound
            case conflict
            case invalidRequest
            case engineUnavailable
            case engineError
            case unexpectedResponse
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The image is not present on the engine (no registry is asked).
        public static var imageNotFound: Code { Code(.imageNotFound) }
        /// No container has that id or name.
        public static var containerNotFound: Code { Code(.containerNotFound) }
        /// The container is not in a state that allows this (not running, name in use).
        public static var conflict: Code { Code(.conflict) }
        /// The engine rejected the request as malformed (HTTP 400).
        public static var invalidRequest: Code { Code(.invalidRequest) }
        /// The engine's socket could not be reached, or the call timed out.
        public static var engineUnavailable: Code { Code(.engineUnavailable) }
        /// The engine failed to do what was asked (HTTP 500).
        public static var engineError: Code { Code(.engineError) }
        /// The engine answered with something this client does not understand.
        public static var unexpectedResponse: Code { Code(.unexpectedResponse) }

        public var description: String { String(describing: wrapped) }
    }

    public let code: Code
    public let message: String
    /// The image reference or container id concerned, if any.
    public let subject: String?

    package init(code: Code, message: String, subject: String? = nil) {
        self.code = code
        self.message = message
        self.subject = subject
    }

    public var description: String { message }

    /// The image is not on the engine.
    public static func imageNotFound(_ image: ImageReference) -> DockerError {
        DockerError(
            code: .imageNotFound,
            message: "image \(image) is not present on the Docker engine; import or pull it first",
            subject: image.rawValue
        )
    }

    /// No container with this id or name exists.
    public static func containerNotFound(_ container: ContainerID) -> DockerError {
        DockerError(
            code: .containerNotFound,
            message: "no container \(container) on the Docker engine; it was removed or never created",
            subject: container.rawValue
        )
    }
}
