import Foundation

/// Something that happened, for the event stream (SSE) and `titanctl status`.
public struct EventRecord: Hashable, Codable, Sendable {
    /// Increases with every event and is never reused; resume a stream after the last one seen.
    public var id: Int64
    public var at: Date
    public var kind: EventKind
    public var jobID: JobID?
    public var taskID: TaskInstanceID?
    public var message: String

    public init(id: Int64, at: Date, kind: EventKind, jobID: JobID?, taskID: TaskInstanceID?, message: String) {
        self.id = id
        self.at = at
        self.kind = kind
        self.jobID = jobID
        self.taskID = taskID
        self.message = message
    }
}

/// What kind of event; an open set, so services may add their own.
public struct EventKind: StringIdentifier {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let jobCreated: EventKind = "jobCreated"
    public static let jobScaled: EventKind = "jobScaled"
    public static let jobKillRequested: EventKind = "jobKillRequested"
    public static let jobFinished: EventKind = "jobFinished"
    public static let taskStateChanged: EventKind = "taskStateChanged"
    public static let taskKillRequested: EventKind = "taskKillRequested"
    public static let taskRestarted: EventKind = "taskRestarted"
    public static let hostRegistered: EventKind = "hostRegistered"
    public static let hostStateChanged: EventKind = "hostStateChanged"
    public static let hostDisabled: EventKind = "hostDisabled"
    public static let hostEnabled: EventKind = "hostEnabled"
    /// A host left the fleet for good (the autoscaler removed it).
    public static let hostRemoved: EventKind = "hostRemoved"
    /// The autoscaler asked for more hosts.
    public static let autoscalerScaledUp: EventKind = "autoscalerScaledUp"
    /// The autoscaler removed hosts.
    public static let autoscalerScaledDown: EventKind = "autoscalerScaledDown"
    /// The scale provider refused or failed an autoscaler action.
    public static let autoscalerActionFailed: EventKind = "autoscalerActionFailed"
    public static let leaderChanged: EventKind = "leaderChanged"
}
