import Foundation
import Yams

/// A mistake found while reading YAML, where the parser could say.
public struct LocatedMessage: Hashable, Sendable {
    public var location: SourceLocation?
    public var message: String

    public init(location: SourceLocation?, message: String) {
        self.location = location
        self.message = message
    }
}

/// Why a YAML document could not be turned into JSON: every mistake found.
struct YAMLConversionError: Error {
    var problems: [LocatedMessage]
}

/// Turns a YAML document into the JSON the API takes, remembering where each field is written.
enum YAMLConversion {
    /// Deeper documents are refused (a job spec nests three levels).
    static let maximumDepth = 64

    /// - Returns: the JSON bytes and each field path's position.
    static func convert(_ text: String) throws(YAMLConversionError) -> (json: Data, locations: [String: SourceLocation])
    {
        let root: Node?
        do {
            root = try Parser(yaml: text, resolver: try coreSchemaResolver()).singleRoot()
        } catch let error as YamlError {
            throw YAMLConversionError(problems: [describe(error)])
        } catch {
            throw YAMLConversionError(problems: [LocatedMessage(location: nil, message: "not valid YAML: \(error)")])
        }
        guard let root else {
            throw YAMLConversionError(problems: [
                LocatedMessage(location: nil, message: "the file is empty; expected a job spec such as `name: web`")
            ])
        }
        var writer = Writer()
        writer.write(root, path: "", depth: 0)
        if !writer.problems.isEmpty { throw YAMLConversionError(problems: writer.problems) }
        return (Data(writer.out), writer.locations)
    }

    /// YAML 1.2's core schema: `true`/`false` only, decimal numbers, `null`/`~`/empty.
    static func coreSchemaResolver() throws -> Resolver {
        try Resolver.basic
            .appending(.null, "^(?:~|null|Null|NULL|)$")
            .appending(.bool, "^(?:true|True|TRUE|false|False|FALSE)$")
            .appending(.int, "^[-+]?[0-9]+$")
            .appending(
                .float,
                "^(?:[-+]?(?:\\.[0-9]+|[0-9]+(?:\\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN))$"
            )
    }

    /// A parser error as `line:column` and words.
    static func describe(_ error: YamlError) -> LocatedMessage {
        func located(_ context: YamlError.Context?, _ problem: String, _ mark: Mark) -> LocatedMessage {
            var message = "not valid YAML: \(problem)"
            if let context {
                message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
            }
            return LocatedMessage(location: SourceLocation(line: mark.line, column: mark.column), message: message)
        }
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            return located(context, problem, mark)
        case .duplicatedKeysInMapping(let duplicates, let context):
            return LocatedMessage(
                location: SourceLocation(line: context.mark.line, column: context.mark.column),
                message: "\(duplicates.map { "\"\($0)\"" }.joined(separator: ", ")) given more than once in one mapping"
            )
        case .reader(let problem, _, _, _):
            return LocatedMessage(location: nil, message: "not valid YAML: \(problem)")
        case .dataCouldNotBeDecoded:
            return LocatedMessage(location: nil, message: "the file is not UTF-8 text")
        default:
            return LocatedMessage(location: nil, message: "not valid YAML: \(error)")
        }
    }

    /// Writes JSON for a node tree, with the same field paths as the API's validation uses.
    private struct Writer {
        var out: [UInt8] = []
        var locations: [String: SourceLocation] = [:]
        var problems: [LocatedMessage] = []

        mutating func write(_ node: Node, path: String, depth: Int) {
            guard depth < maximumDepth else {
                report(node, "nested more than \(maximumDepth) levels deep")
                out += Array("null".utf8)
                return
            }
            switch node {
            case .scalar(let scalar):
                writeScalar(scalar, node: node)
            case .sequence(let sequence):
                out.append(UInt8(ascii: "["))
                for (index, element) in sequence.enumerated() {
                    if index > 0 { out.append(UInt8(ascii: ",")) }
                    let elementPath = "\(path)[\(index)]"
                    note(elementPath, element)
                    write(element, path: elementPath, depth: depth + 1)
                }
                out.append(UInt8(ascii: "]"))
            case .mapping(let mapping):
                out.append(UInt8(ascii: "{"))
                for (index, pair) in mapping.enumerated() {
                    if index > 0 { out.append(UInt8(ascii: ",")) }
                    guard case .scalar(let key) = pair.key else {
                        report(pair.key, "a key must be a name, not a list or a mapping")
                        JSONText.appendString("", to: &out)
                        out.append(UInt8(ascii: ":"))
                        out += Array("null".utf8)
                        continue
                    }
                    let fieldPath = path.isEmpty ? key.string : "\(path).\(key.string)"
                    note(fieldPath, pair.key)
                    JSONText.appendString(key.string, to: &out)
                    out.append(UInt8(ascii: ":"))
                    write(pair.value, path: fieldPath, depth: depth + 1)
                }
                out.append(UInt8(ascii: "}"))
            case .alias:
                // The composer resolves aliases to the nodes they name; none reach here.
                out += Array("null".utf8)
            }
        }

        private mutating func writeScalar(_ scalar: Node.Scalar, node: Node) {
            let text = scalar.string
            switch node.tag.rawValue {
            case Tag.Name.null.rawValue:
                out += Array("null".utf8)
            case Tag.Name.bool.rawValue:
                switch text.lowercased() {
                case "true": out += Array("true".utf8)
                case "false": out += Array("false".utf8)
                default:
                    report(node, "\"\(text)\" is tagged as a boolean but is not true or false")
                    out += Array("null".utf8)
                }
            case Tag.Name.int.rawValue, Tag.Name.float.rawValue:
                let digits = text.hasPrefix("+") ? String(text.dropFirst()) : text
                if let integer = Int(digits) {
                    out += Array(String(integer).utf8)
                } else if let number = Double(digits), number.isFinite {
                    out += Array(JSONText.number(number).utf8)
                } else {
                    report(node, "\(text) is not a finite number; JSON, and so the API, takes only finite numbers")
                    out += Array("null".utf8)
                }
            default:
                JSONText.appendString(text, to: &out)
            }
        }

        private mutating func note(_ path: String, _ node: Node) {
            guard let mark = node.mark, locations[path] == nil else { return }
            locations[path] = SourceLocation(line: mark.line, column: mark.column)
        }

        private mutating func report(_ node: Node, _ message: String) {
            problems.append(
                LocatedMessage(
                    location: node.mark.map { SourceLocation(line: $0.line, column: $0.column) },
                    message: message
                )
            )
        }
    }
}

/// JSON text for strings and numbers, as `JSONEncoder` writes them.
enum JSONText {
    /// A number without a needless `.0`: `4`, `0.5`, `1e+20`.
    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    static func appendString(_ value: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
