extension JobSpec: Codable {
    private enum CodingKeys: String, CodingKey {
        case name, applicationName, version, location, cpus, memory, disk, ports, networkMbps, restartOnFailure
        case numRetries, restartOnSuccess, image, command, environment, kind, tier, capacityGroup
        case hardConstraints, softConstraints, durationSeconds
    }

    /// Decodes with the same validation as ``parse(_:)``; throws ``ValidationError``.
    public init(from decoder: any Decoder) throws {
        self = try JobSpec.parse(JSONValue(from: decoder))
    }

    /// Writes the spec in its canonical form: every field with its value (defaults filled in),
    /// `location` as `CELL:COUNT,…` (a spec given as `instances: N` writes `default:N`).
    /// Reading the canonical form back gives an equal spec.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(applicationName, forKey: .applicationName)
        try container.encode(version, forKey: .version)
        try container.encode(locationText, forKey: .location)
        try container.encode(cpus, forKey: .cpus)
        try container.encode(memoryMB, forKey: .memory)
        try container.encode(diskGB, forKey: .disk)
        try container.encode(ports, forKey: .ports)
        try container.encodeIfPresent(networkMbps, forKey: .networkMbps)
        try container.encode(restartOnFailure, forKey: .restartOnFailure)
        try container.encode(numRetries, forKey: .numRetries)
        try container.encode(restartOnSuccess, forKey: .restartOnSuccess)
        switch workload {
        case .image(let image): try container.encode(image, forKey: .image)
        case .command(let arguments): try container.encode(arguments, forKey: .command)
        }
        try container.encode(environment, forKey: .environment)
        try container.encode(kind, forKey: .kind)
        try container.encode(tier, forKey: .tier)
        try container.encode(capacityGroup, forKey: .capacityGroup)
        try container.encode(hardConstraints, forKey: .hardConstraints)
        try container.encode(softConstraints, forKey: .softConstraints)
        try container.encodeIfPresent(durationSeconds, forKey: .durationSeconds)
    }

    /// `location` as the spec writes it: `dc1:20,dc2:40`.
    public var locationText: String {
        location.map { "\($0.cell.rawValue):\($0.instances)" }.joined(separator: ",")
    }
}

extension JobConstraint: Codable {
    private enum CodingKeys: String, CodingKey {
        case type, attribute, expectedValues, values
    }

    /// Decodes one constraint object with the same checks as a job spec's constraints.
    public init(from decoder: any Decoder) throws {
        let value = try JSONValue(from: decoder)
        guard case .object(let object) = value else {
            throw ValidationError(problems: [
                FieldProblem(field: "", message: "expected a constraint object, got \(value.kindDescription)")
            ])
        }
        // Read it as the only hard constraint of a minimal spec, so it gets exactly the checks
        // a spec's constraints get; problems are reported relative to the constraint itself.
        let wrapper = JSONValue.object([
            "name": .string("constraint"), "command": .array([.string("true")]),
            "hardConstraints": .array([.object(object)]),
        ])
        let spec: JobSpec
        do {
            spec = try JobSpec.parse(wrapper)
        } catch {
            let prefix = "hardConstraints[0]"
            throw ValidationError(
                problems: error.problems.map { problem in
                    var field =
                        problem.field.hasPrefix(prefix) ? String(problem.field.dropFirst(prefix.count)) : problem.field
                    if field.hasPrefix(".") { field.removeFirst() }
                    return FieldProblem(field: field, message: problem.message)
                }
            )
        }
        guard let constraint = spec.hardConstraints.first else {
            throw ValidationError(problems: [FieldProblem(field: "", message: "not a constraint")])
        }
        self = constraint
    }

    /// Writes the JSON form: `{"type":"uniqueHostAttr","attribute":"zone"}` and so on.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(typeName, forKey: .type)
        switch self {
        case .uniqueHostAttribute(let attribute):
            try container.encode(attribute, forKey: .attribute)
        case .balancedHostAttribute(let attribute, let expected):
            try container.encode(attribute, forKey: .attribute)
            try container.encodeIfPresent(expected, forKey: .expectedValues)
        case .hostAttributeValue(let attribute, let values):
            try container.encode(attribute, forKey: .attribute)
            try container.encode(values, forKey: .values)
        case .exclusiveHost:
            break
        case .hostname(let values):
            try container.encode(values, forKey: .values)
        }
    }
}
