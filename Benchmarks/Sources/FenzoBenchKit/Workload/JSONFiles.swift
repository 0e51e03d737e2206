import Foundation

/// Reading and writing workloads and results as JSON files, with errors that name the
/// field at fault.
public enum JSONFiles {
    /// Reads a workload and checks it can be scheduled as written.
    public static func readWorkload(_ path: String) throws(BenchError) -> Workload {
        let data = try read(path)
        let workload: Workload
        do {
            workload = try JSONDecoder().decode(Workload.self, from: data)
        } catch {
            throw .malformedWorkload(path, [describe(error)])
        }
        let problems = workload.problems()
        guard problems.isEmpty else { throw .malformedWorkload(path, problems) }
        return workload
    }

    /// Reads a result file.
    public static func readResult(_ path: String) throws(BenchError) -> PackingResult {
        let data = try read(path)
        do {
            return try JSONDecoder().decode(PackingResult.self, from: data)
        } catch {
            throw .malformedResult(path, describe(error))
        }
    }

    /// Writes a value as compact JSON, atomically (a crash never leaves half a file).
    public static func write(_ value: some Encodable, to path: String, pretty: Bool = false) throws(BenchError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
        do {
            let data = try encoder.encode(value)
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .unwritableFile(path, "\(error)")
        }
    }

    /// Writes text atomically.
    public static func write(text: String, to path: String) throws(BenchError) {
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .unwritableFile(path, "\(error)")
        }
    }

    private static func read(_ path: String) throws(BenchError) -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "\(error)" : "no such file"
            throw .unreadableFile(path, reason)
        }
    }

    /// A decoding error as `field.path: what was wrong`.
    static func describe(_ error: any Error) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            var text = ""
            for key in keys {
                if let index = key.intValue {
                    text += "[\(index)]"
                } else {
                    text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
                }
            }
            return text.isEmpty ? "(top level)" : text
        }
        guard let decoding = error as? DecodingError else { return "not valid JSON: \(error)" }
        switch decoding {
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(describe(type)); \(context.debugDescription)"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): expected \(describe(type)), found null"
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): required field is missing"
        case .dataCorrupted(let context):
            let underlying = (context.underlyingError).map { " (\($0))" } ?? ""
            return "\(path(context.codingPath)): \(context.debugDescription)\(underlying)"
        @unknown default:
            return "\(decoding)"
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Double.Type, is Int.Type: "a number"
        case is String.Type: "a string"
        default: "\(type)"
        }
    }
}
