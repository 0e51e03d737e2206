/// Where one attempt of a task is in its life.
///
/// Allowed transitions (✓ any finish reason; `killed` only that reason; – refused):
///
/// | from \ to      | accepted | launched | startInitiated | started | killInitiated | finished |
/// |----------------|----------|----------|----------------|---------|---------------|----------|
/// | accepted       | –        | ✓        | –              | –       | –             | `killed` |
/// | launched       | –        | –        | ✓              | ✓       | ✓             | ✓        |
/// | startInitiated | –        | –        | –              | ✓       | ✓             | ✓        |
/// | started        | –        | –        | –              | –       | ✓             | ✓        |
/// | killInitiated  | –        | –        | –              | –       | –             | ✓        |
/// | finished       | –        | –        | –              | –       | –             | –        |
///
/// States only move forward; a state never moves to itself. `finished` ends the attempt: a
/// restart is a new attempt of the same instance, starting again in `accepted` (see
/// `RestartPolicy`), not a transition. A task that was never launched can only be killed.
/// `launched → started` skips `startInitiated` because agents may report only "running".
/// `Docs/task-lifecycle.md` has the same table with the reasons.
public enum TaskState: String, Hashable, Codable, CaseIterable, Sendable {
    /// Stored and queued, waiting for a host.
    case accepted
    /// Assigned to a host; the launch was sent.
    case launched
    /// The host is starting it (pulling the image, creating the container).
    case startInitiated
    /// Running.
    case started
    /// A kill was sent; waiting for the host to confirm.
    case killInitiated
    /// Ended, with a ``FinishReason``.
    case finished

    /// Whether the attempt can still change state (every state but `finished`).
    public var isActive: Bool { self != .finished }

    /// Whether the attempt holds resources on a host (launched through kill-initiated).
    public var isOnHost: Bool { self != .accepted && self != .finished }

    /// The state after moving to `target`, or why that move is not allowed.
    /// - Parameters:
    ///   - target: the state the task reports or the scheduler decides.
    ///   - reason: why the task finished; required when `target` is `finished`, refused otherwise.
    public func transition(to target: TaskState, reason: FinishReason? = nil) throws(TaskTransitionError) -> TaskState {
        if let problem = TaskTransitionError.Code.check(from: self, to: target, reason: reason) {
            throw TaskTransitionError(code: problem, from: self, to: target, reason: reason)
        }
        return target
    }

    /// Whether ``transition(to:reason:)`` would succeed.
    public func canTransition(to target: TaskState, reason: FinishReason? = nil) -> Bool {
        TaskTransitionError.Code.check(from: self, to: target, reason: reason) == nil
    }
}

/// Why a task attempt finished.
///
/// An out-of-memory kill is its own reason (`oomKilled`) rather than a detail of `failed`, so
/// that users and the scheduler see it without parsing messages; restart policy treats it
/// exactly like `failed`.
public enum FinishReason: String, Hashable, Codable, CaseIterable, Sendable {
    /// Exited with status 0.
    case succeeded
    /// Exited with a non-zero status, or could not be started.
    case failed
    /// Killed by the kernel for exceeding its memory limit.
    case oomKilled
    /// Killed on request: a user, a job kill, or a scale-down.
    case killed
    /// Its host stopped answering, or reconciliation found it missing.
    case lost

    /// Whether the task itself failed (`failed` or `oomKilled`): these count against `numRetries`.
    public var isFailure: Bool { self == .failed || self == .oomKilled }
}

/// A task state change that the state machine refuses, and why.
public struct TaskTransitionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of refusal; compare with the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case sameState, fromFinished, backwards, notAllowed, reasonRequired, reasonNotExpected, reasonNotPossible
        }
        private let base: Base

        /// The task is already in that state (a duplicate status update, usually).
        public static let sameState = Code(base: .sameState)
        /// The attempt has finished; nothing follows but a restart as a new attempt.
        public static let fromFinished = Code(base: .fromFinished)
        /// The target state comes before the current one.
        public static let backwards = Code(base: .backwards)
        /// The states are in order but the step is not in the table (`accepted → started`).
        public static let notAllowed = Code(base: .notAllowed)
        /// Moving to `finished` needs a reason.
        public static let reasonRequired = Code(base: .reasonRequired)
        /// A reason was given for a state other than `finished`.
        public static let reasonNotExpected = Code(base: .reasonNotExpected)
        /// A task that never launched can only finish as `killed`.
        public static let reasonNotPossible = Code(base: .reasonNotPossible)

        public var description: String { "\(base)" }

        /// The refusal for this change, or nil when the table allows it.
        static func check(from: TaskState, to: TaskState, reason: FinishReason?) -> Code? {
            if to == .finished && reason == nil { return .reasonRequired }
            if to != .finished && reason != nil { return .reasonNotExpected }
            if from == to { return .sameState }
            if from == .finished { return .fromFinished }
            guard let fromRank = order.firstIndex(of: from), let toRank = order.firstIndex(of: to) else {
                return .notAllowed
            }
            if toRank < fromRank { return .backwards }
            switch (from, to) {
            case (.accepted, .launched): return nil
            case (.accepted, .finished): return reason == .killed ? nil : .reasonNotPossible
            case (.accepted, _): return .notAllowed
            case (.launched, _), (.startInitiated, _), (.started, _), (.killInitiated, _): return nil
            case (.finished, _): return .fromFinished
            }
        }

        private static let order: [TaskState] = [
            .accepted, .launched, .startInitiated, .started, .killInitiated, .finished,
        ]
    }

    public var code: Code
    public var from: TaskState
    public var to: TaskState
    public var reason: FinishReason?

    public init(code: Code, from: TaskState, to: TaskState, reason: FinishReason?) {
        self.code = code
        self.from = from
        self.to = to
        self.reason = reason
    }

    /// A sentence saying what was refused and why.
    public var description: String {
        let target = reason.map { "\(to.rawValue) (\($0.rawValue))" } ?? to.rawValue
        switch code {
        case .sameState: return "task is already \(from.rawValue)"
        case .fromFinished: return "task has finished; it cannot move to \(target) (a restart is a new attempt)"
        case .backwards: return "task cannot move back from \(from.rawValue) to \(target)"
        case .reasonRequired: return "moving to finished needs a finish reason"
        case .reasonNotExpected: return "a finish reason is only given when moving to finished, not to \(to.rawValue)"
        case .reasonNotPossible:
            return "a task that was never launched can only finish as killed, not \(reason?.rawValue ?? "?")"
        default: return "task cannot move from \(from.rawValue) to \(target)"
        }
    }
}
