import TitanModel

/// One run of a task, `(taskID, attempt)`, as every order and status update names it.
public struct RunKey: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public var taskID: TaskInstanceID
    public var attempt: Int

    public init(taskID: TaskInstanceID, attempt: Int) {
        self.taskID = taskID
        self.attempt = attempt
    }

    /// `<taskID>.<attempt>`: the run's directory and container name part.
    public var fileName: String { "\(taskID.rawValue).\(attempt)" }

    public var description: String { "\(taskID.rawValue)/\(attempt)" }

    public static func < (lhs: RunKey, rhs: RunKey) -> Bool {
        (lhs.taskID.rawValue, lhs.attempt) < (rhs.taskID.rawValue, rhs.attempt)
    }

    /// Why this run cannot be used in file and container names, or nil when it can.
    ///
    /// Task ids are `<job id>-<index>` with a UUID job id; anything else (a slash, a space) would
    /// let an order name a path outside the agent's directories.
    public var unusableReason: String? {
        let id = taskID.rawValue
        guard !id.isEmpty, id.count <= 200 else {
            return "task id \(id.debugDescription) must have 1 to 200 characters"
        }
        guard attempt >= 0 else { return "attempt \(attempt) of task \(id) is negative" }
        let allowed = id.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "_")
        }
        guard allowed, id.first != "-" else {
            return
                "task id \(id.debugDescription) may only contain letters, digits, '-' and '_' (and not start with '-')"
        }
        return nil
    }

    /// Reads `<taskID>.<attempt>` back.
    public init?(fileName: String) {
        guard let dot = fileName.lastIndex(of: "."), let attempt = Int(fileName[fileName.index(after: dot)...]) else {
            return nil
        }
        let key = RunKey(taskID: TaskInstanceID(String(fileName[..<dot])), attempt: attempt)
        guard key.unusableReason == nil else { return nil }
        self = key
    }
}
