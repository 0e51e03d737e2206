import Foundation

extension JobSpec {
    /// Every top-level field a spec may have, in the order they are documented.
    public static let fieldNames = [
        "name", "applicationName", "version", "location", "instances", "cpus", "memory", "disk", "ports",
        "networkMbps", "restartOnFailure", "numRetries", "restartOnSuccess", "image", "command", "environment",
        "kind", "tier", "capacityGroup", "hardConstraints", "softConstraints", "durationSeconds",
    ]

    /// Fields refused for a reason worth saying.
    static let refusedFieldExplanations = [
        "clientToken": "is not part of the job spec; send the client token as a request header"
    ]

    /// Decodes and validates a job spec from a JSON body.
    ///
    /// Never crashes and never stops at the first problem: malformed JSON, wrong types, unknown
    /// fields and out-of-range values all come back together in one ``ValidationError``.
    /// - Parameter data: the request body.
    public static func parse(_ data: Data) throws(ValidationError) -> JobSpec {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw ValidationError(problems: [problem(decoding: error, isEmpty: data.isEmpty)])
        }
        return try parse(value)
    }

    static func parse(_ value: JSONValue) throws(ValidationError) -> JobSpec {
        guard case .object(let object) = value else {
            throw ValidationError(problems: [
                FieldProblem(field: "", message: "the job spec must be a JSON object, got \(value.kindDescription)")
            ])
        }
        var reader = ObjectReader(path: "", object: object)
        let spec = readFields(&reader)
        let countsFromInstances = !reader.isPresent("location")
        var problems = reader.problems
        for problem in spec.problems() where !reader.fieldsWithProblems.contains(problem.field) {
            var problem = problem
            if countsFromInstances && problem.field == "location" { problem.field = "instances" }
            problems.append(problem)
        }
        if !problems.isEmpty { throw ValidationError(problems: problems) }
        return spec
    }

    private static func readFields(_ reader: inout ObjectReader) -> JobSpec {
        let name = reader.string("name", required: true) ?? ""
        let applicationName = reader.string("applicationName")
        let version = reader.string("version") ?? ""
        let location = readLocation(&reader)
        let cpus = reader.number("cpus") ?? Defaults.cpus
        let memoryMB = reader.integer("memory") ?? Defaults.memoryMB
        let diskGB = reader.integer("disk") ?? Defaults.diskGB
        let ports = reader.integer("ports") ?? 0
        let networkMbps = reader.integer("networkMbps")
        let restartOnFailure = reader.bool("restartOnFailure") ?? true
        let numRetries = reader.integer("numRetries") ?? Defaults.numRetries
        let restartOnSuccess = reader.bool("restartOnSuccess")
        let workload = readWorkload(&reader)
        let environment = reader.stringMap("environment") ?? [:]
        let kind = readEnum("kind", JobKind.self, &reader) ?? .service
        let tier = readEnum("tier", JobTier.self, &reader) ?? .flex
        let capacityGroup = reader.string("capacityGroup") ?? Defaults.capacityGroup
        let hardConstraints = readConstraints("hardConstraints", &reader)
        let softConstraints = readConstraints("softConstraints", &reader)
        let durationSeconds = reader.number("durationSeconds")
        reader.refuseUnknownFields(known: fieldNames, explanations: refusedFieldExplanations)
        return JobSpec(
            name: name,
            applicationName: applicationName,
            version: version,
            location: location,
            cpus: cpus,
            memoryMB: memoryMB,
            diskGB: diskGB,
            ports: ports,
            networkMbps: networkMbps,
            restartOnFailure: restartOnFailure,
            numRetries: numRetries,
            restartOnSuccess: restartOnSuccess,
            workload: workload,
            environment: environment,
            kind: kind,
            tier: tier,
            capacityGroup: capacityGroup,
            hardConstraints: hardConstraints,
            softConstraints: softConstraints,
            durationSeconds: durationSeconds
        )
    }

    /// `location` (`"dc1:20,dc2:40"`) and `instances` (a count in the default cell): either,
    /// or both when they agree, or neither for one instance in the default cell.
    private static func readLocation(_ reader: inout ObjectReader) -> [CellInstances] {
        let instances = reader.integer("instances")
        guard reader.isPresent("location") else {
            guard let instances else { return [CellInstances(cell: .defaultCell, instances: 1)] }
            return [CellInstances(cell: .defaultCell, instances: instances)]
        }
        guard let text = reader.string("location") else { return [] }
        let parsed = parseLocation(text)
        for message in parsed.problems { reader.report("location", message) }
        if parsed.problems.isEmpty, let instances {
            let total = parsed.cells.reduce(0) { $0 + $1.instances }
            if instances != total {
                reader.report(
                    "instances",
                    "is \(instances) but location adds up to \(total); give one of them, or make them agree"
                )
            }
        }
        return parsed.cells
    }

    /// Splits `CELL:COUNT,CELL:COUNT`; spaces around entries and parts are ignored.
    static func parseLocation(_ text: String) -> (cells: [CellInstances], problems: [String]) {
        var cells: [CellInstances] = []
        var problems: [String] = []
        if text.trimmingCharacters(in: .whitespaces).isEmpty {
            return ([], ["must not be empty; write CELL:COUNT entries separated by commas, such as \"dc1:20,dc2:40\""])
        }
        for (position, rawEntry) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            let entry = rawEntry.trimmingCharacters(in: .whitespaces)
            if entry.isEmpty {
                problems.append("entry \(position + 1) is empty; write CELL:COUNT entries separated by commas")
                continue
            }
            let parts = entry.split(separator: ":", omittingEmptySubsequences: false)
            let count = parts.count == 2 ? Int(parts[1].trimmingCharacters(in: .whitespaces)) : nil
            let cell = parts.first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard let count, !cell.isEmpty else {
                problems.append("\(quoted(entry)) is not CELL:COUNT (such as \"dc1:20\")")
                continue
            }
            cells.append(CellInstances(cell: CellName(cell), instances: count))
        }
        return (cells, problems)
    }

    private static func readWorkload(_ reader: inout ObjectReader) -> Workload {
        let hasImage = reader.isPresent("image")
        let hasCommand = reader.isPresent("command")
        if hasImage && hasCommand {
            reader.report("command", "give either image or command, not both")
            reader.skipChecks(of: "image")
            return .image("")
        }
        if hasImage { return .image(reader.string("image") ?? "") }
        if hasCommand {
            if case .string(let line)? = reader.value("command") {
                reader.report(
                    "command",
                    "expected an array of strings (argv), got a string; for a shell line write "
                        + "[\"/bin/sh\", \"-c\", \(quoted(line, limit: 40))]"
                )
                return .command([])
            }
            return .command(reader.stringArray("command") ?? [])
        }
        reader.report("image", "a job needs an image or a command; give one of them")
        reader.skipChecks(of: "command")
        return .image("")
    }

    private static func readEnum<Value: RawRepresentable & CaseIterable>(
        _ key: String,
        _ type: Value.Type,
        _ reader: inout ObjectReader
    ) -> Value? where Value.RawValue == String {
        guard let text = reader.string(key) else { return nil }
        if let value = Value(rawValue: text) { return value }
        let names = Value.allCases.map(\.rawValue)
        var message = "unknown value \(quoted(text)); expected one of \(names.joined(separator: ", "))"
        if let suggestion = Suggestion.closest(to: text, among: names) {
            message += " (did you mean \(quoted(suggestion))?)"
        }
        reader.report(key, message)
        return nil
    }

    private static func readConstraints(_ key: String, _ reader: inout ObjectReader) -> [JobConstraint] {
        guard let elements = reader.array(key) else { return [] }
        var constraints: [JobConstraint] = []
        for (index, element) in elements.enumerated() {
            let path = reader.fieldPath("\(key)[\(index)]")
            guard case .object(let object) = element else {
                reader.report(
                    "\(key)[\(index)]",
                    "expected a constraint object such as {\"type\":\"exclusiveHost\"}, got \(element.kindDescription)"
                )
                continue
            }
            var nested = ObjectReader(path: path, object: object)
            if let constraint = readConstraint(&nested) { constraints.append(constraint) }
            reader.absorb(nested)
        }
        return constraints
    }

    private static func readConstraint(_ reader: inout ObjectReader) -> JobConstraint? {
        guard let type = reader.string("type", required: true) else {
            reader.refuseUnknownFields(known: ["type", "attribute", "values", "expectedValues"])
            return nil
        }
        let constraint: JobConstraint?
        let known: [String]
        switch type {
        case "uniqueHostAttr":
            known = ["type", "attribute"]
            constraint = reader.string("attribute", required: true).map { .uniqueHostAttribute(attribute: $0) }
        case "balancedHostAttr":
            known = ["type", "attribute", "expectedValues"]
            let attribute = reader.string("attribute", required: true)
            let expected = reader.integer("expectedValues")
            let expectedOK = !reader.fieldsWithProblems.contains(reader.fieldPath("expectedValues"))
            constraint = attribute.flatMap {
                expectedOK ? .balancedHostAttribute(attribute: $0, expectedValues: expected) : nil
            }
        case "hostAttrValue":
            known = ["type", "attribute", "values"]
            let attribute = reader.string("attribute", required: true)
            let values = reader.stringArray("values", required: true)
            if let attribute, let values {
                constraint = .hostAttributeValue(attribute: attribute, values: values)
            } else {
                constraint = nil
            }
        case "exclusiveHost":
            known = ["type"]
            constraint = .exclusiveHost
        case "hostname":
            known = ["type", "values"]
            constraint = reader.stringArray("values", required: true).map { .hostname(values: $0) }
        default:
            var message =
                "unknown constraint type \(quoted(type)); expected one of \(JobConstraint.typeNames.joined(separator: ", "))"
            if let suggestion = Suggestion.closest(to: type, among: JobConstraint.typeNames) {
                message += " (did you mean \(quoted(suggestion))?)"
            }
            reader.report("type", message)
            return nil
        }
        reader.refuseUnknownFields(known: known)
        return constraint
    }

    /// The problem to report when the body could not be read as JSON at all.
    private static func problem(decoding error: any Error, isEmpty: Bool) -> FieldProblem {
        if isEmpty { return FieldProblem(field: "", message: "the body is empty; expected a JSON object") }
        guard let error = error as? DecodingError else {
            return FieldProblem(field: "", message: "the body is not valid JSON")
        }
        let context: DecodingError.Context
        switch error {
        case .dataCorrupted(let found), .typeMismatch(_, let found), .valueNotFound(_, let found),
            .keyNotFound(_, let found):
            context = found
        @unknown default:
            return FieldProblem(field: "", message: "the body is not valid JSON")
        }
        let path = fieldPath(context.codingPath)
        if path.isEmpty {
            let detail =
                (context.underlyingError as? any CustomStringConvertible)?.description ?? context.debugDescription
            return FieldProblem(field: "", message: "the body is not valid JSON (\(detail))")
        }
        return FieldProblem(field: path, message: "is not a value this parser can read (a number too large?)")
    }

    private static func fieldPath(_ codingPath: [any CodingKey]) -> String {
        var path = ""
        for key in codingPath {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return path
    }
}
