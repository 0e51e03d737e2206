import ArgumentParser
import Foundation
import TitanCLI
import TitanModel

extension OutputFormat: ExpressibleByArgument {}
extension ColorChoice: ExpressibleByArgument {}

/// The options every command takes: where the API is, how to print, when to colour.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .customLong("api"),
        help: ArgumentHelp(
            "The titan-api URL. Else TITAN_API, else \"api\" in ~/.config/titan/config.json, else http://127.0.0.1:8080.",
            valueName: "url"
        )
    )
    var api: String?

    @Option(name: [.short, .long], help: "table (aligned columns, for people) or json (for scripts).")
    var output: OutputFormat = .table

    @Option(help: "auto (colour only on a terminal), always or never.")
    var color: ColorChoice = .auto

    /// The API client for the address these options (and the environment) name.
    func client() throws(CommandFailure) -> TitanAPIClient {
        TitanAPIClient(
            address: try APIAddress.resolve(flag: api, environment: ProcessInfo.processInfo.environment)
        )
    }

    /// How to style standard output.
    var style: TextStyle {
        TextStyle.decide(
            color,
            isTerminal: Terminal.isTerminal(STDOUT_FILENO),
            environment: ProcessInfo.processInfo.environment
        )
    }

    /// How to style standard error (progress).
    var errorStyle: TextStyle {
        TextStyle.decide(
            color,
            isTerminal: Terminal.isTerminal(STDERR_FILENO),
            environment: ProcessInfo.processInfo.environment
        )
    }

    /// Prints a value as JSON, or as the text `table` makes of it.
    func emit<Value: Encodable>(_ value: Value, table: (TextStyle) -> String) throws(CommandFailure) {
        switch output {
        case .json:
            do {
                Console.out(try JSONOutput.render(value))
            } catch {
                throw .refused("could not write JSON: \(error)")
            }
        case .table:
            Console.out(table(style))
        }
    }
}

/// Calls the API, turning its errors into titanctl's.
func call<Value: Sendable>(_ work: () async throws(APICallError) -> Value) async throws(CommandFailure) -> Value {
    do {
        return try await work()
    } catch {
        throw error.failure
    }
}

/// A path segment with anything but unreserved characters percent-encoded.
func segment(_ text: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
}

/// A query string from names and values (nil values left out), with `?` when not empty.
func query(_ items: [(String, String?)]) -> String {
    var components = URLComponents()
    components.queryItems = items.compactMap { name, value in value.map { URLQueryItem(name: name, value: $0) } }
    guard let text = components.percentEncodedQuery, !text.isEmpty else { return "" }
    return "?" + text
}
