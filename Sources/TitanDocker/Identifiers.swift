/// A container's id as the engine assigned it (64 hex digits), or any prefix or name the engine
/// accepts in its place.
public struct ContainerID: Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }
    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
    /// The first 12 characters, as `docker ps` shows them.
    public var short: String { String(rawValue.prefix(12)) }
    public var description: String { rawValue }
}

/// An image's content id (`sha256:…`).
public struct ImageID: Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }
    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
    public var description: String { rawValue }
}

/// A name an image is known by, `repository[:tag]` (`titan-test/busybox:latest`).
public struct ImageReference: Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }
    public init(repository: String, tag: String) { rawValue = "\(repository):\(tag)" }
    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// The part before the tag (`titan-test/busybox`); a registry port's colon is not a tag.
    public var repository: String { splitTag().repository }
    /// The tag, `latest` when none is written.
    public var tag: String { splitTag().tag ?? "latest" }

    private func splitTag() -> (repository: String, tag: String?) {
        let lastSlash = rawValue.lastIndex(of: "/") ?? rawValue.startIndex
        guard let colon = rawValue[lastSlash...].lastIndex(of: ":") else { return (rawValue, nil) }
        return (String(rawValue[..<colon]), String(rawValue[rawValue.index(after: colon)...]))
    }

    public var description: String { rawValue }
}
