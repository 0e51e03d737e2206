import Foundation
import TitanModel

/// A job as stored: its spec and the state the control plane keeps for it.
public struct JobRecord: Hashable, Sendable {
    public var id: JobID
    /// The validated spec, in canonical form.
    public var spec: JobSpec
    public var status: JobStatus
    /// How many instances the job should have now; starts at the spec's total.
    public var desiredInstances: Int
    /// The first instance index never used by this job; new instances take indexes from here.
    public var nextInstanceIndex: Int
    /// The client token the job was created with, for idempotent creation.
    public var clientToken: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: JobID,
        spec: JobSpec,
        status: JobStatus,
        desiredInstances: Int,
        nextInstanceIndex: Int,
        clientToken: String?,
        createdAt: Date,
        updatedAt: Date
    ) {
        self.id = id
        self.spec = spec
        self.status = status
        self.desiredInstances = desiredInstances
        self.nextInstanceIndex = nextInstanceIndex
        self.clientToken = clientToken
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Whether a kill was requested (the job is `killing` or `killed`).
    public var killRequested: Bool { status == .killing || status == .killed }

    /// The API's list view of the job.
    public func summary(taskCounts: TaskStateCounts? = nil) -> JobSummary {
        JobSummary(
            id: id,
            name: spec.name,
            applicationName: spec.applicationName,
            version: spec.version,
            kind: spec.kind,
            tier: spec.tier,
            capacityGroup: spec.capacityGroup,
            status: status,
            desiredInstances: desiredInstances,
            createdAt: createdAt,
            updatedAt: updatedAt,
            taskCounts: taskCounts
        )
    }

    /// The API's full view of the job.
    public func detail(taskCounts: TaskStateCounts? = nil) -> JobDetail {
        JobDetail(job: summary(taskCounts: taskCounts), spec: spec)
    }
}
