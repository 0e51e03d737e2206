import Foundation

/// Where titanctl sends requests, and where that choice came from (for messages).
///
/// The first of these wins: `--api URL`, the `TITAN_API` environment variable, `"api"` in the
/// config file (`$XDG_CONFIG_HOME/titan/config.json`, else `~/.config/titan/config.json`), then
/// ``defaultURL``. The config file is read only when neither of the first two is set, so a
/// broken file never blocks `--api`.
public struct APIAddress: Hashable, Sendable {
    /// Where an address came from.
    public enum Source: Hashable, Sendable {
        case flag
        case environment
        case configFile(path: String)
        case builtInDefault
    }

    /// The base URL, without a trailing slash, such as `http://127.0.0.1:8080`.
    public var baseURL: String
    public var source: Source

    public init(baseURL: String, source: Source) {
        self.baseURL = baseURL
        self.source = source
    }

    /// The address used when nothing else names one: where `titan-api` listens by default.
    public static let defaultURL = "http://127.0.0.1:8080"
    /// The environment variable that names the API.
    public static let environmentVariable = "TITAN_API"

    /// "from --api", "from TITAN_API", … for messages.
    public var sourceDescription: String {
        switch source {
        case .flag: "from --api"
        case .environment: "from \(Self.environmentVariable)"
        case .configFile(let path): "from \(path)"
        case .builtInDefault: "the default"
        }
    }

    /// The config file's path for an environment: `$XDG_CONFIG_HOME/titan/config.json`, else
    /// `$HOME/.config/titan/config.json`; nil when neither variable is set.
    public static func configFilePath(environment: [String: String]) -> String? {
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg).appendingPathComponent("titan/config.json").path
        }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return URL(fileURLWithPath: home).appendingPathComponent(".config/titan/config.json").path
    }

    /// Picks the address by the order above.
    /// - Parameters:
    ///   - flag: the value of `--api`, if given.
    ///   - environment: the process environment.
    ///   - readFile: reads a file's bytes, or returns nil when it does not exist.
    /// - Throws: ``CommandFailure`` (usage) for a malformed URL or config file.
    public static func resolve(
        flag: String?,
        environment: [String: String],
        readFile: (String) throws -> Data? = APIAddress.readFileIfPresent
    ) throws(CommandFailure) -> APIAddress {
        if let flag {
            return APIAddress(baseURL: try normalize(flag, from: "--api"), source: .flag)
        }
        if let value = environment[environmentVariable], !value.trimmingCharacters(in: .whitespaces).isEmpty {
            return APIAddress(baseURL: try normalize(value, from: environmentVariable), source: .environment)
        }
        if let path = configFilePath(environment: environment) {
            let data: Data?
            do {
                data = try readFile(path)
            } catch {
                throw .usage("cannot read the config file \(path): \(error.localizedDescription)")
            }
            if let data, let api = try ConfigFile.parse(data, path: path).api {
                return APIAddress(
                    baseURL: try normalize(api, from: "\"api\" in \(path)"),
                    source: .configFile(path: path)
                )
            }
        }
        return APIAddress(baseURL: defaultURL, source: .builtInDefault)
    }

    /// `http://host:port` without a trailing slash; a bare `host:port` gets `http://`.
    static func normalize(_ text: String, from origin: String) throws(CommandFailure) -> String {
        var url = text.trimmingCharacters(in: .whitespaces)
        if !url.contains("://") { url = "http://" + url }
        while url.hasSuffix("/") { url.removeLast() }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            ["http", "https"].contains(scheme), let host = components.host, !host.isEmpty,
            components.query == nil, components.fragment == nil
        else {
            throw .usage(
                "\(origin) is \"\(text)\", which is not an HTTP URL; write it like http://127.0.0.1:8080"
            )
        }
        return url
    }

    /// The file's bytes, or nil if there is no file at `path`.
    public static func readFileIfPresent(_ path: String) throws -> Data? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }
}

/// titanctl's config file: a JSON object; today it has one field, `"api"`.
public struct ConfigFile: Hashable, Sendable {
    /// The API's URL.
    public var api: String?

    /// Every field the file may have.
    public static let fieldNames = ["api"]

    /// Reads the file, refusing anything but a JSON object of known fields.
    public static func parse(_ data: Data, path: String) throws(CommandFailure) -> ConfigFile {
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw CommandFailure.usage(
                    "the config file \(path) must be a JSON object such as {\"api\": \"http://127.0.0.1:8080\"}"
                )
            }
            object = parsed
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw .usage(
                "the config file \(path) is not valid JSON; write it like {\"api\": \"http://127.0.0.1:8080\"}"
            )
        }
        let unknown = object.keys.filter { !fieldNames.contains($0) }.sorted()
        if !unknown.isEmpty {
            throw .usage(
                "the config file \(path) has unknown field(s) \(unknown.joined(separator: ", ")); "
                    + "it may have: \(fieldNames.joined(separator: ", "))"
            )
        }
        var config = ConfigFile()
        if let value = object["api"], !(value is NSNull) {
            guard let text = value as? String else {
                throw .usage("\"api\" in the config file \(path) must be a string such as \"http://127.0.0.1:8080\"")
            }
            config.api = text
        }
        return config
    }
}
