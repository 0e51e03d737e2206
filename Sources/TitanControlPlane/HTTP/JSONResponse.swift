import Foundation
import Hummingbird
import NIOCore
import TitanModel

/// JSON responses, written with the shared coders (ISO 8601 dates with milliseconds, sorted keys).
enum JSONResponse {
    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        bytes(try TitanJSON.encoder().encode(value), status: status)
    }

    static func bytes(_ data: Data, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}

/// Reading request bodies and query parameters, with errors that name the field.
enum JSONRequest {
    /// Bodies larger than this are refused with 413. A job spec at its limits (argv and
    /// environment of 128 KiB each, 64 constraints of 1,000 values) stays well under it.
    static let maximumBodyBytes = 1 << 20

    static func body(_ request: Request) async throws -> Data {
        let buffer = try await request.body.collect(upTo: maximumBodyBytes)
        return Data(buffer.readableBytesView)
    }

    /// Decodes an agent body with the shared decoder; unknown fields are ignored (agents may be newer).
    static func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        let data = try await body(request)
        do {
            return try TitanJSON.decoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw error
        } catch {
            throw APIError(.badRequest, code: "invalidRequest", "the body is not valid JSON")
        }
    }

    /// A JSON object whose keys must all be in `allowed`: every unknown key is a problem.
    static func object(_ request: Request, allowed: Set<String>) async throws -> [String: BodyValue] {
        let data = try await body(request)
        if data.isEmpty { return [:] }
        let object: [String: BodyValue]
        do {
            object = try JSONDecoder().decode([String: BodyValue].self, from: data)
        } catch {
            throw APIError.invalid("", "the body must be a JSON object")
        }
        let unknown = object.keys.filter { !allowed.contains($0) }.sorted()
        if !unknown.isEmpty {
            throw APIError(
                .badRequest,
                code: "invalidRequest",
                "the request has \(unknown.count) problem(s)",
                problems: unknown.map {
                    FieldProblem(
                        field: $0,
                        message: "unknown field; expected one of \(allowed.sorted().joined(separator: ", "))"
                    )
                }
            )
        }
        return object
    }
}

/// One value of a small request body, read without coercion.
enum BodyValue: Decodable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case other

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else {
            self = .other
        }
    }

    /// A whole number (3 and 3.0, not 3.5 or "3"); nil for null or absent.
    func integer(field: String) throws -> Int? {
        switch self {
        case .null: return nil
        case .number(let value):
            guard value.isFinite, value == value.rounded(), abs(value) < 1e15 else {
                throw APIError.invalid(field, "expected a whole number, got \(value)")
            }
            return Int(value)
        default: throw APIError.invalid(field, "expected a whole number")
        }
    }
}

extension Request {
    /// The query parameter, or nil when absent or empty.
    func query(_ name: String) -> String? {
        guard let value = uri.queryParameters[Substring(name)], !value.isEmpty else { return nil }
        return String(value).removingPercentEncoding ?? String(value)
    }

    /// A query parameter that must be an integer in `range` when given.
    func integerQuery(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = query(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw APIError.invalid(
                name,
                "must be a whole number from \(range.lowerBound) to \(range.upperBound) (got \"\(text)\")"
            )
        }
        return value
    }

    /// Rejects query parameters the endpoint does not take.
    func checkQuery(allowed: Set<String>) throws {
        let unknown = Set(uri.queryParameters.map { String($0.key) }).subtracting(allowed).sorted()
        guard !unknown.isEmpty else { return }
        throw APIError(
            .badRequest,
            code: "invalidRequest",
            "the request has \(unknown.count) problem(s)",
            problems: unknown.map {
                FieldProblem(
                    field: $0,
                    message: allowed.isEmpty
                        ? "unknown query parameter; this endpoint takes none"
                        : "unknown query parameter; expected one of \(allowed.sorted().joined(separator: ", "))"
                )
            }
        )
    }
}
