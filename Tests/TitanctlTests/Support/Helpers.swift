import Foundation
import Testing
import TitanModel

/// Writes `text` to a file named `name` in `directory` and returns its path.
@discardableResult
func writeFile(_ text: String, named name: String, in directory: URL) throws -> String {
    let url = directory.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url.path
}

/// Decodes titanctl's JSON output as the API's type.
func decode<Value: Decodable>(_ type: Value.Type, from result: RunResult) throws -> Value {
    do {
        return try TitanJSON.decoder().decode(Value.self, from: Data(result.stdout.utf8))
    } catch {
        throw TestFailure("stdout is not a \(Value.self): \(error)\n\(result)")
    }
}

/// Creates a job from a JSON spec through titanctl and returns it.
func createJob(_ spec: String, api: TitanAPIProcess, extra: [String] = []) async throws -> JobDetail {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = try writeFile(spec, named: "job.json", in: directory)
    let result = try await titanctl(["job", "create", path, "--api", api.url, "-o", "json"] + extra)
    guard result.status == 0 else { throw TestFailure("job create failed: \(result)") }
    return try decode(JobDetail.self, from: result)
}

/// The escape character that starts every ANSI colour code.
let escape = "\u{1B}["
