import Foundation
import TitanModel
import Yams

/// A job spec file, read as the JSON body the API takes, with where each field is written so
/// mistakes can be shown as `file:line:column`.
///
/// JSON files are sent as they are. YAML files are turned into JSON under the YAML 1.2 core
/// schema: only `true`/`false` are booleans (`yes`, `no`, `on`, `off` stay strings), numbers
/// are decimal integers or floats, `null`/`~`/nothing is null, and quoted scalars are always
/// strings (quote a version such as `"1.10"` to keep it a string).
public struct SpecDocument: Sendable {
    /// The file format, from the name (`.yaml`, `.yml`, `.json`) or, failing that, the content.
    public enum Format: String, Sendable {
        case json
        case yaml
    }

    /// The name shown in messages (`<stdin>` for `-`).
    public var displayName: String
    public var format: Format
    /// The request body: the file itself for JSON, its conversion for YAML.
    public var body: Data
    /// Where each field path (`cpus`, `hardConstraints[1].type`, `environment.PATH`) is
    /// written; empty when positions are unknown.
    public var locations: [String: SourceLocation]

    public init(displayName: String, format: Format, body: Data, locations: [String: SourceLocation]) {
        self.displayName = displayName
        self.format = format
        self.body = body
        self.locations = locations
    }

    /// Where a problem's field is written: the field itself, else the nearest enclosing field
    /// that is (a missing `hardConstraints[0].attribute` points at `hardConstraints[0]`).
    public func location(of field: String) -> SourceLocation? {
        var path = field
        while !path.isEmpty {
            if let location = locations[path] { return location }
            path = Self.parent(of: path)
        }
        return nil
    }

    /// `file:line:column` for a field, or just the file when its position is unknown.
    public func prefix(for field: String) -> String {
        guard let location = location(of: field) else { return displayName }
        return "\(displayName):\(location.line):\(location.column)"
    }

    /// `a.b[2].c` → `a.b[2]` → `a.b` → `a` → ``.
    static func parent(of path: String) -> String {
        guard let last = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { return "" }
        return String(path[..<last])
    }

    /// Runs the API's own validation (`JobSpec.parse`) on the body, so mistakes are found
    /// without a network and shown with their positions.
    /// - Returns: every problem, empty when the spec is valid.
    public func validate() -> [FieldProblem] {
        do {
            _ = try JobSpec.parse(body)
            return []
        } catch {
            return error.problems
        }
    }

    /// Every problem, one per line: `file:line:column: field: message`, in file order (problems
    /// without a position first, in the order given).
    public func describe(_ problems: [FieldProblem]) -> String {
        let located = problems.enumerated().map {
            (offset: $0.offset, problem: $0.element, at: location(of: $0.element.field))
        }
        let ordered = located.sorted { lhs, rhs in
            let left = lhs.at.map { ($0.line, $0.column) } ?? (0, 0)
            let right = rhs.at.map { ($0.line, $0.column) } ?? (0, 0)
            return left != right ? left < right : lhs.offset < rhs.offset
        }
        return ordered.map { "\(prefix(for: $0.problem.field)): \($0.problem.description)" }.joined(separator: "\n")
    }
}

/// A position in a file, both counted from 1 (columns in Unicode scalars, as libyaml does).
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }
}

extension SpecDocument {
    /// Reads a spec file (`-` for standard input).
    /// - Throws: ``CommandFailure``: usage when the file cannot be read, refused (with every
    ///   position known) when it is not valid YAML or JSON at all.
    public static func load(
        path: String,
        readStandardInput: () -> Data = { FileHandle.standardInput.readDataToEndOfFile() }
    )
        throws(CommandFailure) -> SpecDocument
    {
        let data: Data
        let displayName: String
        if path == "-" {
            data = readStandardInput()
            displayName = "<stdin>"
        } else {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw .usage("cannot read \(path): no such file")
            }
            guard !isDirectory.boolValue else { throw .usage("cannot read \(path): it is a directory") }
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: path))
            } catch {
                throw .usage("cannot read \(path): \(error.localizedDescription)")
            }
            displayName = path
        }
        return try parse(data, displayName: displayName, format: format(ofPath: path, data: data))
    }

    /// The format a file's name says, else what its first character says (`{` is JSON).
    static func format(ofPath path: String, data: Data) -> Format {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "yaml", "yml": return .yaml
        case "json": return .json
        default:
            let first = data.first { !Set(" \t\r\n".utf8).contains($0) }
            return first == UInt8(ascii: "{") ? .json : .yaml
        }
    }

    /// Reads a spec from bytes in the given format.
    /// - Throws: ``CommandFailure`` (refused) for text that is not UTF-8, or YAML that does not
    ///   parse, with its line and column; JSON syntax errors are left to validation, which
    ///   reports them as the API would.
    public static func parse(_ data: Data, displayName: String, format: Format) throws(CommandFailure)
        -> SpecDocument
    {
        guard let text = String(data: data, encoding: .utf8) else {
            throw .refused("\(displayName): the file is not UTF-8 text")
        }
        switch format {
        case .json:
            // Positions come from reading the JSON as YAML (JSON is YAML's flow style); if
            // that fails, the problems are simply shown without them.
            let locations = (try? YAMLConversion.convert(text))?.locations ?? [:]
            return SpecDocument(displayName: displayName, format: .json, body: data, locations: locations)
        case .yaml:
            do {
                let converted = try YAMLConversion.convert(text)
                return SpecDocument(
                    displayName: displayName,
                    format: .yaml,
                    body: converted.json,
                    locations: converted.locations
                )
            } catch {
                throw .refused(
                    error.problems.map { problem in
                        let place = problem.location.map { "\(displayName):\($0)" } ?? displayName
                        return "\(place): \(problem.message)"
                    }.joined(separator: "\n")
                )
            }
        }
    }
}
