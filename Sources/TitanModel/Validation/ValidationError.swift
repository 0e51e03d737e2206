/// One thing wrong with a request, and where it is.
///
/// `field` is a path into the JSON body (`cpus`, `location`, `hardConstraints[1].type`,
/// `environment.PATH`); it is empty when the problem is with the body as a whole.
public struct FieldProblem: Hashable, Codable, Sendable, CustomStringConvertible {
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    /// `field: message`, or just the message for the body as a whole.
    public var description: String { field.isEmpty ? message : "\(field): \(message)" }
}

/// Every problem found in a request, so a user can fix them all in one go.
public struct ValidationError: Error, Hashable, Sendable, CustomStringConvertible {
    public var problems: [FieldProblem]

    public init(problems: [FieldProblem]) { self.problems = problems }

    /// One problem per line.
    public var description: String {
        problems.map(\.description).joined(separator: "\n")
    }
}
