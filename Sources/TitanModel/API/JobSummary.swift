import Foundation

/// A job in a list: what it is and how it is doing, without its full spec.
public struct JobSummary: Hashable, Codable, Sendable {
    public var id: JobID
    public var name: String
    public var applicationName: String
    public var version: String
    public var kind: JobKind
    public var tier: JobTier
    public var capacityGroup: String
    public var status: JobStatus
    /// The number of instances the job should have now (its spec's total until scaled).
    public var desiredInstances: Int
    public var createdAt: Date
    public var updatedAt: Date
    /// Tasks per state, when the server counted them.
    public var taskCounts: TaskStateCounts?

    public init(
        id: JobID,
        name: String,
        applicationName: String,
        version: String,
        kind: JobKind,
        tier: JobTier,
        capacityGroup: String,
        status: JobStatus,
        desiredInstances: Int,
        createdAt: Date,
        updatedAt: Date,
        taskCounts: TaskStateCounts? = nil
    ) {
        self.id = id
        self.name = name
        self.applicationName = applicationName
        self.version = version
        self.kind = kind
        self.tier = tier
        self.capacityGroup = capacityGroup
        self.status = status
        self.desiredInstances = desiredInstances
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.taskCounts = taskCounts
    }
}

/// One job in full: its summary and the spec it was created with (in canonical form).
public struct JobDetail: Hashable, Codable, Sendable {
    public var job: JobSummary
    public var spec: JobSpec

    public init(job: JobSummary, spec: JobSpec) {
        self.job = job
        self.spec = spec
    }
}

/// One page of a list, and where the next one starts.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    /// Pass back to get the next page; nil on the last page.
    public var nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

extension Page: Equatable where Item: Equatable {}
extension Page: Hashable where Item: Hashable {}
extension Page: Codable where Item: Codable {}
