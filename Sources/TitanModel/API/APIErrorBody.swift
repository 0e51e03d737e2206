/// The body of every error response: `{"error": {"code", "message", "problems": [{field, message}]}}`.
public struct APIErrorBody: Hashable, Codable, Sendable {
    public var error: APIErrorDetail

    public init(error: APIErrorDetail) { self.error = error }

    public init(code: String, message: String, problems: [FieldProblem] = []) {
        self.error = APIErrorDetail(code: code, message: message, problems: problems)
    }

    /// The body for a request that failed validation (code `invalidRequest`).
    public init(_ validation: ValidationError) {
        let count = validation.problems.count
        self.init(
            code: "invalidRequest",
            message: count == 1 ? "the request has 1 problem" : "the request has \(count) problems",
            problems: validation.problems
        )
    }
}

/// What went wrong: a stable machine code (`invalidRequest`, `notFound`, `conflict`, …), a
/// sentence for people, and for validation failures every field problem.
public struct APIErrorDetail: Hashable, Codable, Sendable {
    public var code: String
    public var message: String
    public var problems: [FieldProblem]

    public init(code: String, message: String, problems: [FieldProblem] = []) {
        self.code = code
        self.message = message
        self.problems = problems
    }
}
