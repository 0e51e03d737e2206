/// A slot in a named resource set that a task was given on its host (a network interface
/// for a security group, say). Mirrors FenzoCore's `ResourceSetAllocation`.
public struct ResourceSetAssignment: Hashable, Codable, Sendable {
    /// The set's name, such as `eni`.
    public var name: String
    /// Which of the host's sets of that name.
    public var index: Int
    /// The label the set holds (tasks with the same label share it).
    public var label: String
    /// How many of the set's slots the task holds.
    public var slots: Int

    public init(name: String, index: Int, label: String, slots: Int) {
        self.name = name
        self.index = index
        self.label = label
        self.slots = slots
    }
}
