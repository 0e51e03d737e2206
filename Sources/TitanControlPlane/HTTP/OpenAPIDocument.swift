import Foundation

/// The OpenAPI 3 document served at `/openapi.json`, written by hand in `openapi.json` beside
/// this file and shipped as a resource. A test checks it lists exactly the router's routes and
/// that its examples are valid.
public enum OpenAPIDocument {
    /// The document's bytes.
    public static func data() throws -> Data {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json") else {
            throw CocoaError(.fileNoSuchFile)
        }
        return try Data(contentsOf: url)
    }
}
