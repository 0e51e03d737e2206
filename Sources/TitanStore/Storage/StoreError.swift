import TitanModel

/// Why a store operation was refused. Every implementation of ``TitanStorage`` throws the same
/// codes for the same situations; the message is for people.
public struct StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure; compare with the static members. New codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case jobNotFound, taskNotFound, hostNotFound, jobAlreadyExists, clientTokenConflict
            case transitionConflict, transitionNotAllowed, jobNotScalable, jobFinished
            case invalidArgument, invalidCursor, leaseNotHeld, corruptData
        }
        private let base: Base

        /// No job has that id.
        public static let jobNotFound = Code(base: .jobNotFound)
        /// No task has that id.
        public static let taskNotFound = Code(base: .taskNotFound)
        /// No host has that id.
        public static let hostNotFound = Code(base: .hostNotFound)
        /// A job with the id given to `createJob` exists already.
        public static let jobAlreadyExists = Code(base: .jobAlreadyExists)
        /// The client token was used before with a different spec.
        public static let clientTokenConflict = Code(base: .clientTokenConflict)
        /// The task is no longer in the state or attempt the caller expected (a stale update).
        public static let transitionConflict = Code(base: .transitionConflict)
        /// The task state machine does not allow the change.
        public static let transitionNotAllowed = Code(base: .transitionNotAllowed)
        /// Only service jobs can be scaled.
        public static let jobNotScalable = Code(base: .jobNotScalable)
        /// The job has finished or is being killed; it changes no more.
        public static let jobFinished = Code(base: .jobFinished)
        /// An argument is out of range (a negative count, a page limit of 0).
        public static let invalidArgument = Code(base: .invalidArgument)
        /// A page cursor that this store did not hand out.
        public static let invalidCursor = Code(base: .invalidCursor)
        /// The caller does not hold the leader lease (any more).
        public static let leaseNotHeld = Code(base: .leaseNotHeld)
        /// A stored value could not be read back (a spec JSON that no longer parses, say).
        public static let corruptData = Code(base: .corruptData)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    static func jobNotFound(_ id: JobID) -> StoreError { StoreError(.jobNotFound, "no job has id \(id)") }
    static func taskNotFound(_ id: TaskInstanceID) -> StoreError { StoreError(.taskNotFound, "no task has id \(id)") }
    static func hostNotFound(_ id: HostID) -> StoreError { StoreError(.hostNotFound, "no host has id \(id)") }
}
