import Foundation

/// One line of an image listing.
public struct ImageSummary: Hashable, Sendable, Codable {
    public var id: ImageID
    public var references: [ImageReference]
    public var createdAt: Date
    public var sizeBytes: Int64
}

/// An image as the engine reports it on inspection.
public struct ImageDetails: Hashable, Sendable, Codable {
    public var id: ImageID
    public var references: [ImageReference]
    public var createdAt: Date?
    public var sizeBytes: Int64
    /// The environment every container of the image starts with (`ENV` changes included).
    public var environment: [String: String]
    public var command: [String]?
    public var workingDirectory: String
    public var operatingSystem: String
    public var architecture: String
}

/// The engine's versions, for compatibility checks and diagnostics.
public struct EngineVersion: Hashable, Sendable, Codable {
    public var version: String
    public var apiVersion: String
    public var minimumAPIVersion: String
    public var operatingSystem: String
    public var architecture: String
    public var kernelVersion: String
}
