import Foundation
import Testing
import TitanCLI
import TitanModel

/// Spec files: YAML turned into the API's JSON, and field paths mapped to lines.
@Suite("spec files")
struct SpecDocumentTests {
    private func yaml(_ text: String) throws -> SpecDocument {
        try SpecDocument.parse(Data(text.utf8), displayName: "spec.yaml", format: .yaml)
    }

    private func object(_ document: SpecDocument) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: document.body) as? [String: Any])
    }

    @Test("YAML scalars follow the core schema: only true/false are booleans, quoted values stay strings")
    func coreSchema() throws {
        let document = try yaml(
            """
            name: web
            a: yes
            b: true
            c: "true"
            d: 1.10
            e: "1.10"
            f: 007
            g: ~
            h:
            i: 1e3
            j: -4
            k: off
            """
        )
        let body = try object(document)
        #expect(body["a"] as? String == "yes")
        #expect(body["b"] as? Bool == true)
        #expect(body["c"] as? String == "true")
        #expect(body["d"] as? Double == 1.1)
        #expect(body["e"] as? String == "1.10")
        #expect(body["f"] as? Int == 7)
        #expect(body["g"] is NSNull && body["h"] is NSNull)
        #expect(body["i"] as? Int == 1000)
        #expect(body["j"] as? Int == -4)
        #expect(body["k"] as? String == "off")
    }

    @Test("anchors and aliases are expanded")
    func aliases() throws {
        let document = try yaml(
            """
            name: web
            image: nginx
            environment: &common
              REGION: eu
            softConstraints:
              - type: hostAttrValue
                attribute: region
                values: [*common]
            """
        )
        #expect(document.validate().map(\.field) == ["softConstraints[0].values[0]"])
        let body = try object(document)
        #expect((body["environment"] as? [String: String]) == ["REGION": "eu"])
    }

    @Test("every field path, nested ones included, maps to its line and column")
    func locations() throws {
        let document = try yaml(
            """
            name: web
            command: ["/bin/sh", "-c", "echo hi"]
            environment:
              PATH: /bin
            hardConstraints:
              - type: hostAttrValue
                attribute: zone
            """
        )
        #expect(document.location(of: "name") == SourceLocation(line: 1, column: 1))
        #expect(document.location(of: "command[2]") == SourceLocation(line: 2, column: 28))
        #expect(document.location(of: "environment.PATH") == SourceLocation(line: 4, column: 3))
        #expect(document.location(of: "hardConstraints[0]") == SourceLocation(line: 6, column: 5))
        #expect(document.location(of: "hardConstraints[0].attribute") == SourceLocation(line: 7, column: 5))
        // A missing field points at the object it is missing from.
        #expect(document.location(of: "hardConstraints[0].values") == SourceLocation(line: 6, column: 5))
        #expect(document.location(of: "image") == nil)
        #expect(document.prefix(for: "image") == "spec.yaml")
    }

    @Test("validation finds every mistake, listed in file order")
    func validation() throws {
        let document = try yaml(
            """
            name: web
            cpus: 0
            image: nginx
            ports: 100
            bogus: 1
            """
        )
        let problems = document.validate()
        #expect(Set(problems.map(\.field)) == ["cpus", "ports", "bogus"])
        #expect(
            document.describe(problems).split(separator: "\n").map { $0.prefix(while: { $0 != " " }) } == [
                "spec.yaml:2:1:", "spec.yaml:4:1:", "spec.yaml:5:1:",
            ]
        )
        let valid = try yaml("name: web\nimage: nginx\n")
        #expect(valid.validate().isEmpty)
    }

    @Test(
        "YAML that does not parse is refused with its position",
        arguments: [
            (
                "name: web\n  image: nginx\n",
                "spec.yaml:2:8: not valid YAML: mapping values are not allowed in this context"
            ),
            ("name: [web\n", "spec.yaml:2:1: not valid YAML"),
            ("a: 1\na: 2\n", "spec.yaml:1:1: \"a\" given more than once in one mapping"),
            ("name: web\n---\nname: other\n", "spec.yaml:2:1: not valid YAML: but found another document"),
            ("", "spec.yaml: the file is empty"),
            ("cpus: .inf\n", "spec.yaml:1:7: .inf is not a finite number"),
        ]
    )
    func syntaxErrors(text: String, expected: String) throws {
        #expect {
            _ = try yaml(text)
        } throws: { error in
            let failure = error as? CommandFailure
            return failure?.exitCode == 1 && failure?.message.hasPrefix(expected) == true
        }
    }

    @Test("JSON files are sent as written, with positions for their fields")
    func json() throws {
        let text = "{\n  \"name\": \"web\",\n  \"image\": \"nginx\"\n}\n"
        let document = try SpecDocument.parse(Data(text.utf8), displayName: "web.json", format: .json)
        #expect(document.body == Data(text.utf8))
        #expect(document.location(of: "image") == SourceLocation(line: 3, column: 3))
        // JSON that does not parse is left to validation, which says so as the API would.
        let broken = try SpecDocument.parse(Data("{\"name\": ".utf8), displayName: "web.json", format: .json)
        #expect(broken.validate().first?.message.hasPrefix("the body is not valid JSON") == true)
    }

    @Test("a missing file is a usage error")
    func missingFile() {
        #expect {
            _ = try SpecDocument.load(path: "/no/such/file.yaml")
        } throws: { error in
            (error as? CommandFailure)?.exitCode == 2
        }
    }

    @Test("the example specs under Examples/ are valid job specs", arguments: ["hello.yaml", "rocker.json"])
    func examplesAreValid(file: String) throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let document = try SpecDocument.load(path: repository.appendingPathComponent("Examples/\(file)").path)
        #expect(document.validate().isEmpty, "\(document.describe(document.validate()))")
        #expect(throws: Never.self) { try JobSpec.parse(document.body) }
    }
}
