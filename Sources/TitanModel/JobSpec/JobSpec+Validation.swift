extension JobSpec {
    /// Limits a spec must keep to; `Docs/job-spec.md` explains each.
    public enum Limits {
        public static let maxCPUs: Double = 1024
        public static let maxMemoryMB = 16 * 1024 * 1024
        public static let maxDiskGB = 65_536
        public static let maxPorts = 64
        public static let maxNetworkMbps = 400_000
        public static let maxRetries = 1000
        public static let maxInstances = 100_000
        public static let maxCells = 64
        public static let maxEnvironmentVariables = 512
        public static let maxEnvironmentBytes = 128 * 1024
        public static let maxCommandArguments = 4096
        public static let maxCommandBytes = 128 * 1024
        public static let maxImageLength = 512
        public static let maxVersionLength = 128
        public static let maxConstraints = 32
        public static let maxConstraintValues = 1000
        public static let maxAttributeLength = 128
        public static let maxValueLength = 255
        public static let maxExpectedValues = 10_000
        public static let maxDurationSeconds: Double = 365 * 24 * 3600
    }

    /// Every problem with the spec's values, with the JSON field each is in.
    ///
    /// ``parse(_:)`` runs this after reading the JSON; call it yourself on a spec built in code.
    public func problems() -> [FieldProblem] {
        var found = ProblemList()
        checkName(name, field: "name", into: &found)
        // An application name equal to the name (its default) would only repeat the name's problem.
        if applicationName != name { checkName(applicationName, field: "applicationName", into: &found) }
        checkName(capacityGroup, field: "capacityGroup", into: &found)
        if version.count > Limits.maxVersionLength || !version.unicodeScalars.allSatisfy(Self.isVersionCharacter) {
            found.add(
                "version",
                "must be at most \(Limits.maxVersionLength) of A-Z, a-z, 0-9, \".\", \"_\", \"+\" and \"-\" (got \(quoted(version)))"
            )
        }
        checkLocation(into: &found)
        checkResources(into: &found)
        checkWorkload(into: &found)
        checkEnvironment(into: &found)
        checkConstraints(hardConstraints, field: "hardConstraints", into: &found)
        checkConstraints(softConstraints, field: "softConstraints", into: &found)
        if let durationSeconds, !(durationSeconds > 0 && durationSeconds <= Limits.maxDurationSeconds) {
            found.add(
                "durationSeconds",
                "must be greater than 0 and at most \(formatNumber(Limits.maxDurationSeconds)) (one year) "
                    + "(got \(formatNumber(durationSeconds)))"
            )
        }
        return found.problems
    }

    private func checkLocation(into found: inout ProblemList) {
        if location.isEmpty {
            found.add("location", "must name at least one cell, such as \"dc1:20\"")
            return
        }
        if location.count > Limits.maxCells {
            found.add("location", "names \(location.count) cells; at most \(Limits.maxCells) are allowed")
        }
        var seen: Set<CellName> = []
        for entry in location {
            if !Self.isName(entry.cell.rawValue) {
                found.add("location", "cell name \(quoted(entry.cell.rawValue)) \(Self.nameRule)")
            }
            if !seen.insert(entry.cell).inserted {
                found.add("location", "cell \(quoted(entry.cell.rawValue)) appears more than once")
            }
            if entry.instances < 0 || entry.instances > Limits.maxInstances {
                found.add(
                    "location",
                    "cell \(quoted(entry.cell.rawValue)) has \(entry.instances) instances; "
                        + "each cell takes 0 to \(Limits.maxInstances)"
                )
            }
        }
        let total = instances
        if location.allSatisfy({ $0.instances >= 0 && $0.instances <= Limits.maxInstances }) {
            if total > Limits.maxInstances {
                found.add("location", "adds up to \(total) instances; a job may have at most \(Limits.maxInstances)")
            } else if total == 0 && kind == .batch {
                found.add("location", "a batch job needs at least 1 instance (got 0)")
            }
        }
    }

    private func checkResources(into found: inout ProblemList) {
        if !(cpus > 0) {
            found.add("cpus", "must be greater than 0 (got \(formatNumber(cpus)))")
        } else if cpus > Limits.maxCPUs {
            found.add("cpus", "must be at most \(formatNumber(Limits.maxCPUs)) (got \(formatNumber(cpus)))")
        }
        found.range("memory", memoryMB, 1...Limits.maxMemoryMB, unit: "MB")
        found.range("disk", diskGB, 0...Limits.maxDiskGB, unit: "GB")
        found.range("ports", ports, 0...Limits.maxPorts, unit: nil)
        if let networkMbps { found.range("networkMbps", networkMbps, 1...Limits.maxNetworkMbps, unit: "Mbps") }
        found.range("numRetries", numRetries, 0...Limits.maxRetries, unit: nil)
        if kind == .batch && restartOnSuccess {
            found.add(
                "restartOnSuccess",
                "a batch job finishes when its tasks succeed, so it cannot restart them on success; "
                    + "leave it out or use kind \"service\""
            )
        }
    }

    private func checkWorkload(into found: inout ProblemList) {
        switch workload {
        case .image(let image):
            if image.isEmpty {
                found.add("image", "must not be empty")
            } else if image.count > Limits.maxImageLength || image.hasPrefix("-")
                || image.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 })
            {
                found.add(
                    "image",
                    "must be a Docker image reference of at most \(Limits.maxImageLength) characters, "
                        + "without spaces, such as \"nginx:1.27\" (got \(quoted(image)))"
                )
            }
        case .command(let arguments):
            if arguments.isEmpty {
                found.add("command", "must have at least the program to run, such as [\"/bin/echo\", \"hi\"]")
            } else if arguments[0].isEmpty {
                found.add("command[0]", "the program to run must not be empty")
            }
            if arguments.count > Limits.maxCommandArguments {
                found.add(
                    "command",
                    "has \(arguments.count) arguments; at most \(Limits.maxCommandArguments) are allowed"
                )
            }
            if arguments.reduce(0, { $0 + $1.utf8.count }) > Limits.maxCommandBytes {
                found.add("command", "is longer than \(Limits.maxCommandBytes) bytes in all")
            }
            for (index, argument) in arguments.enumerated() where argument.utf8.contains(0) {
                found.add("command[\(index)]", "must not contain a NUL character")
            }
        }
    }

    private func checkEnvironment(into found: inout ProblemList) {
        if environment.count > Limits.maxEnvironmentVariables {
            found.add(
                "environment",
                "has \(environment.count) variables; at most \(Limits.maxEnvironmentVariables) are allowed"
            )
        }
        var bytes = 0
        for (key, value) in environment.sorted(by: { $0.key < $1.key }) {
            bytes += key.utf8.count + value.utf8.count
            if !Self.isEnvironmentName(key) {
                found.add(
                    "environment.\(key)",
                    "is not a valid variable name: use A-Z, a-z, 0-9 and \"_\", not starting with a digit"
                )
            }
            if value.utf8.contains(0) { found.add("environment.\(key)", "the value must not contain a NUL character") }
        }
        if bytes > Limits.maxEnvironmentBytes {
            found.add("environment", "is \(bytes) bytes in all; at most \(Limits.maxEnvironmentBytes) are allowed")
        }
    }

    private func checkConstraints(_ constraints: [JobConstraint], field: String, into found: inout ProblemList) {
        if constraints.count > Limits.maxConstraints {
            found.add(field, "has \(constraints.count) constraints; at most \(Limits.maxConstraints) are allowed")
        }
        for (index, constraint) in constraints.enumerated() {
            let path = "\(field)[\(index)]"
            switch constraint {
            case .uniqueHostAttribute(let attribute):
                checkAttribute(attribute, field: "\(path).attribute", into: &found)
            case .balancedHostAttribute(let attribute, let expected):
                checkAttribute(attribute, field: "\(path).attribute", into: &found)
                if let expected {
                    found.range("\(path).expectedValues", expected, 1...Limits.maxExpectedValues, unit: nil)
                }
            case .hostAttributeValue(let attribute, let values):
                checkAttribute(attribute, field: "\(path).attribute", into: &found)
                checkValues(values, field: "\(path).values", into: &found)
            case .exclusiveHost:
                break
            case .hostname(let values):
                checkValues(values, field: "\(path).values", into: &found)
            }
        }
    }

    private func checkAttribute(_ attribute: String, field: String, into found: inout ProblemList) {
        if attribute.isEmpty || attribute.count > Limits.maxAttributeLength
            || attribute.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 })
        {
            found.add(
                field,
                "must be an attribute name of 1 to \(Limits.maxAttributeLength) characters without spaces "
                    + "(got \(quoted(attribute)))"
            )
        }
    }

    private func checkValues(_ values: [String], field: String, into found: inout ProblemList) {
        if values.isEmpty {
            found.add(field, "must list at least one value, or no host could match")
        } else if values.count > Limits.maxConstraintValues {
            found.add(field, "has \(values.count) values; at most \(Limits.maxConstraintValues) are allowed")
        }
        for (index, value) in values.enumerated() where value.isEmpty || value.count > Limits.maxValueLength {
            found.add("\(field)[\(index)]", "must be 1 to \(Limits.maxValueLength) characters (got \(quoted(value)))")
        }
    }

    private func checkName(_ value: String, field: String, into found: inout ProblemList) {
        if !Self.isName(value) { found.add(field, "\(Self.nameRule) (got \(quoted(value)))") }
    }

    static let nameRule = "must be 1 to 63 characters of a-z, 0-9 and \"-\", starting with a letter or digit"

    /// `^[a-z0-9][a-z0-9-]{0,62}$`: names of jobs, applications, capacity groups and cells.
    static func isName(_ value: String) -> Bool {
        let scalars = value.unicodeScalars
        guard let first = scalars.first, scalars.count <= 63, isLowerAlphanumeric(first) else { return false }
        return scalars.allSatisfy { isLowerAlphanumeric($0) || $0 == "-" }
    }

    private static func isLowerAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
    }

    private static func isVersionCharacter(_ scalar: Unicode.Scalar) -> Bool {
        isLowerAlphanumeric(scalar) || ("A"..."Z").contains(scalar) || ".-_+".unicodeScalars.contains(scalar)
    }

    private static func isEnvironmentName(_ value: String) -> Bool {
        let scalars = value.unicodeScalars
        guard let first = scalars.first, !("0"..."9").contains(first), scalars.count <= 256 else { return false }
        return scalars.allSatisfy { isVersionCharacter($0) && $0 != "." && $0 != "-" && $0 != "+" }
    }
}

/// Collects problems for ``JobSpec/problems()``.
private struct ProblemList {
    var problems: [FieldProblem] = []

    mutating func add(_ field: String, _ message: String) {
        problems.append(FieldProblem(field: field, message: message))
    }

    /// Reports `value` outside `range` as "must be …", naming the unit when there is one.
    mutating func range(_ field: String, _ value: Int, _ range: ClosedRange<Int>, unit: String?) {
        guard !range.contains(value) else { return }
        let unitText = unit.map { " \($0)" } ?? ""
        if value < range.lowerBound {
            let bound = range.lowerBound == 1 ? "greater than 0" : "at least \(range.lowerBound)"
            add(field, "must be \(bound)\(unitText) (got \(value))")
        } else {
            add(field, "must be at most \(range.upperBound)\(unitText) (got \(value))")
        }
    }
}
