import Foundation
import Hummingbird
import NIOCore
import Synchronization
import TitanModel
import TitanStore

/// An error answered as `{"error": {"code", "message", "problems"}}` with its status.
struct APIError: HTTPResponseError {
    var status: HTTPResponse.Status
    var body: APIErrorBody

    init(_ status: HTTPResponse.Status, code: String, _ message: String, problems: [FieldProblem] = []) {
        self.status = status
        self.body = APIErrorBody(code: code, message: message, problems: problems)
    }

    static func invalid(_ field: String, _ message: String) -> APIError {
        APIError(
            .badRequest,
            code: "invalidRequest",
            "the request has 1 problem",
            problems: [FieldProblem(field: field, message: message)]
        )
    }

    static func notFound(_ message: String) -> APIError { APIError(.notFound, code: "notFound", message) }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try JSONResponse.make(body, status: status)
        if status == .serviceUnavailable { response.headers[.retryAfter] = "1" }
        return response
    }

    /// Any error thrown below the routes, as the API answers it.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as ValidationError:
            return APIError(
                .badRequest,
                code: "invalidRequest",
                APIErrorBody(error).error.message,
                problems: error.problems
            )
        case let error as ControlPlaneError:
            switch error.code {
            case .notReady: return APIError(.serviceUnavailable, code: "notReady", error.message)
            case .unknownAgent: return APIError(.notFound, code: "unknownAgent", error.message)
            case .invalidRequest:
                return APIError(.badRequest, code: "invalidRequest", error.message, problems: error.problems)
            case .notFound: return APIError(.notFound, code: "notFound", error.message)
            default: return APIError(.conflict, code: "conflict", error.message)
            }
        case let error as StoreError:
            switch error.code {
            case .jobNotFound, .taskNotFound, .hostNotFound: return APIError(.notFound, code: "notFound", error.message)
            case .clientTokenConflict: return APIError(.conflict, code: "clientTokenConflict", error.message)
            case .transitionConflict, .transitionNotAllowed: return APIError(.conflict, code: "conflict", error.message)
            case .jobNotScalable: return APIError(.conflict, code: "jobNotScalable", error.message)
            case .jobFinished: return APIError(.conflict, code: "jobFinished", error.message)
            case .invalidArgument: return APIError(.badRequest, code: "invalidRequest", error.message)
            case .invalidCursor:
                return APIError(
                    .badRequest,
                    code: "invalidRequest",
                    "the request has 1 problem",
                    problems: [FieldProblem(field: "cursor", message: error.message)]
                )
            default: return APIError(.internalServerError, code: "internal", error.message)
            }
        case is NIOTooManyBytesError:
            return APIError(
                .contentTooLarge,
                code: "bodyTooLarge",
                "the request body is larger than \(JSONRequest.maximumBodyBytes) bytes"
            )
        case let error as DecodingError:
            return APIError(
                .badRequest,
                code: "invalidRequest",
                "the body is not what this endpoint takes: \(Self.describe(error))"
            )
        case let error as any HTTPResponseError:
            return APIError(error.status, code: "httpError", "\(error.status.reasonPhrase)")
        default:
            return APIError(.internalServerError, code: "internal", "internal error: \(error)")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return path.hasPrefix(".") ? String(path.dropFirst()) : path
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return "\(parent.isEmpty ? "" : parent + ".")\(key.stringValue) is required"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let where_ = path(context)
            return where_.isEmpty ? context.debugDescription : "\(where_): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}

/// The router's routes as path patterns (`/v1/jobs/{jobID}`) and their methods, so a request
/// for a known path with another method gets 405 and an `Allow` header, not 404.
final class RouteTable: Sendable {
    private let routes = Mutex<[(segments: [Substring], methods: Set<String>)]>([])

    func set(_ patterns: [(path: String, method: String)]) {
        var grouped: [String: Set<String>] = [:]
        for pattern in patterns { grouped[pattern.path, default: []].insert(pattern.method) }
        routes.withLock { routes in
            routes = grouped.map { (segments: $0.key.split(separator: "/"), methods: $0.value) }
        }
    }

    /// The methods a path answers to, or nil if no route matches it.
    func methods(for path: String) -> Set<String>? {
        let segments = path.split(separator: "/")
        return routes.withLock { routes in
            let matching = routes.filter { route in
                route.segments.count == segments.count
                    && zip(route.segments, segments).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
            }
            return matching.isEmpty ? nil : matching.reduce(into: Set<String>()) { $0.formUnion($1.methods) }
        }
    }
}

/// Turns every error a route throws into the API's error body, and counts requests by route.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ControlPlaneMetrics
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let started = ContinuousClock.now
        let route = context.endpointPath ?? "unmatched"
        do {
            let response = try await next(request, context)
            metrics.recordRequest(
                method: request.method.rawValue,
                route: context.endpointPath ?? route,
                status: response.status.code,
                duration: ContinuousClock.now - started
            )
            return response
        } catch {
            let apiError: APIError
            if let httpError = error as? HTTPError, httpError.status == .notFound,
                let allowed = routes.methods(for: request.uri.path)
            {
                var response = try APIError(
                    .methodNotAllowed,
                    code: "methodNotAllowed",
                    "\(request.method.rawValue) is not allowed on \(request.uri.path); use \(allowed.sorted().joined(separator: ", "))"
                ).response(from: request, context: context)
                response.headers[.allow] = allowed.sorted().joined(separator: ", ")
                metrics.recordRequest(
                    method: request.method.rawValue,
                    route: "unmatched",
                    status: 405,
                    duration: ContinuousClock.now - started
                )
                return response
            } else if let httpError = error as? HTTPError, httpError.status == .notFound {
                apiError = APIError.notFound("no route for \(request.method.rawValue) \(request.uri.path)")
            } else if let httpError = error as? HTTPError, httpError.status == .methodNotAllowed {
                apiError = APIError(
                    .methodNotAllowed,
                    code: "methodNotAllowed",
                    "\(request.method.rawValue) is not allowed on \(request.uri.path)"
                )
            } else {
                apiError = APIError.from(error)
            }
            metrics.recordRequest(
                method: request.method.rawValue,
                route: context.endpointPath ?? route,
                status: apiError.status.code,
                duration: ContinuousClock.now - started
            )
            return try apiError.response(from: request, context: context)
        }
    }
}
