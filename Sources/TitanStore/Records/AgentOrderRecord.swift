import Foundation
import TitanModel

/// An order for an agent (launch or kill a run), before the store gives it a sequence number.
public struct NewAgentOrder: Hashable, Sendable {
    public var hostID: HostID
    public var kind: AgentOrder.Kind
    public var taskID: TaskInstanceID
    public var attempt: Int
    /// For kills: SIGTERM first, SIGKILL after this long.
    public var gracePeriodSeconds: Double?
    /// For kills: why, in words the agent logs.
    public var reason: String?

    public init(
        hostID: HostID,
        kind: AgentOrder.Kind,
        taskID: TaskInstanceID,
        attempt: Int,
        gracePeriodSeconds: Double? = nil,
        reason: String? = nil
    ) {
        self.hostID = hostID
        self.kind = kind
        self.taskID = taskID
        self.attempt = attempt
        self.gracePeriodSeconds = gracePeriodSeconds
        self.reason = reason
    }
}

/// An order as stored, waiting for its agent to acknowledge it.
///
/// Sequence numbers only grow, across restarts too, so an agent that acknowledged up to N
/// before the API restarted is never handed an order numbered N or lower again.
public struct QueuedAgentOrder: Hashable, Sendable {
    public var seq: Int64
    public var order: NewAgentOrder
    public var createdAt: Date

    public init(seq: Int64, order: NewAgentOrder, createdAt: Date) {
        self.seq = seq
        self.order = order
        self.createdAt = createdAt
    }
}
