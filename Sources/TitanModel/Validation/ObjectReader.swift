/// Reads the fields of one JSON object, recording a ``FieldProblem`` for every field that is
/// missing, of the wrong type, or unknown, instead of stopping at the first.
///
/// `null` reads as absent, so a field set to `null` takes its default.
struct ObjectReader {
    /// The path of the object itself: empty for the body, `hardConstraints[1]` for a nested one.
    let path: String
    let object: [String: JSONValue]
    private(set) var problems: [FieldProblem] = []
    /// Fields that had a problem here, so later checks skip their placeholder values.
    private(set) var fieldsWithProblems: Set<String> = []

    init(path: String, object: [String: JSONValue]) {
        self.path = path
        self.object = object
    }

    /// The full path of a field of this object.
    func fieldPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    mutating func report(_ key: String, _ message: String) {
        let field = fieldPath(key)
        problems.append(FieldProblem(field: field, message: message))
        fieldsWithProblems.insert(field)
    }

    /// Marks a field whose value is a placeholder because of a problem reported elsewhere, so
    /// later checks skip it.
    mutating func skipChecks(of key: String) { fieldsWithProblems.insert(fieldPath(key)) }

    /// Takes over the problems found in a nested object's reader.
    mutating func absorb(_ nested: ObjectReader) {
        problems += nested.problems
        fieldsWithProblems.formUnion(nested.fieldsWithProblems)
    }

    func isPresent(_ key: String) -> Bool { value(key) != nil }

    func value(_ key: String) -> JSONValue? {
        guard let value = object[key] else { return nil }
        if case .null = value { return nil }
        return value
    }

    mutating func required(_ key: String) -> JSONValue? {
        guard let value = value(key) else {
            report(key, "is required")
            return nil
        }
        return value
    }

    mutating func string(_ key: String, required: Bool = false) -> String? {
        guard let value = required ? self.required(key) : value(key) else { return nil }
        guard case .string(let string) = value else {
            report(key, "expected a string, got \(value.kindDescription)")
            return nil
        }
        return string
    }

    mutating func bool(_ key: String) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let bool) = value else {
            report(key, "expected true or false, got \(value.kindDescription)")
            return nil
        }
        return bool
    }

    mutating func number(_ key: String) -> Double? {
        guard let value = value(key) else { return nil }
        guard case .number(let number) = value, number.isFinite else {
            report(key, "expected a number, got \(value.kindDescription)")
            return nil
        }
        return number
    }

    /// A whole number; `3200.0` is accepted, `3200.5` is not. Magnitudes beyond 10^15 are
    /// refused here, far above any limit, so conversion to `Int` is always exact.
    mutating func integer(_ key: String) -> Int? {
        guard let value = value(key) else { return nil }
        guard case .number(let number) = value, number.isFinite else {
            report(key, "expected a whole number, got \(value.kindDescription)")
            return nil
        }
        guard number == number.rounded(), abs(number) <= 1e15 else {
            report(key, "must be a whole number (got \(formatNumber(number)))")
            return nil
        }
        return Int(number)
    }

    mutating func stringArray(_ key: String, required: Bool = false) -> [String]? {
        guard let value = required ? self.required(key) : value(key) else { return nil }
        guard case .array(let elements) = value else {
            report(key, "expected an array of strings, got \(value.kindDescription)")
            return nil
        }
        var strings: [String] = []
        var failed = false
        for (index, element) in elements.enumerated() {
            guard case .string(let string) = element else {
                report("\(key)[\(index)]", "expected a string, got \(element.kindDescription)")
                failed = true
                continue
            }
            strings.append(string)
        }
        if failed { fieldsWithProblems.insert(fieldPath(key)) }
        return failed ? nil : strings
    }

    mutating func stringMap(_ key: String) -> [String: String]? {
        guard let value = value(key) else { return nil }
        guard case .object(let members) = value else {
            report(key, "expected an object of string values, got \(value.kindDescription)")
            return nil
        }
        var map: [String: String] = [:]
        var failed = false
        for (name, member) in members.sorted(by: { $0.key < $1.key }) {
            guard case .string(let string) = member else {
                report("\(key).\(name)", "expected a string, got \(member.kindDescription)")
                failed = true
                continue
            }
            map[name] = string
        }
        if failed { fieldsWithProblems.insert(fieldPath(key)) }
        return failed ? nil : map
    }

    mutating func array(_ key: String) -> [JSONValue]? {
        guard let value = value(key) else { return nil }
        guard case .array(let elements) = value else {
            report(key, "expected an array, got \(value.kindDescription)")
            return nil
        }
        return elements
    }

    /// Reports every field not in `known`, with a "did you mean" when one is close, or the
    /// message in `explanations` for fields that are refused for a known reason.
    mutating func refuseUnknownFields(known: [String], explanations: [String: String] = [:]) {
        for key in object.keys.sorted() where !known.contains(key) {
            if let explanation = explanations[key] {
                report(key, explanation)
            } else if let suggestion = Suggestion.closest(to: key, among: known) {
                report(key, "unknown field; did you mean \(quoted(suggestion))?")
            } else {
                report(key, "unknown field")
            }
        }
    }
}
