import Foundation
import Testing

@testable import TitanModel

/// Parses `json`, expecting failure, and returns the problems as `field: message` lines.
func problems(_ json: String) -> [String] {
    do {
        _ = try JobSpec.parse(Data(json.utf8))
        return []
    } catch {
        return error.problems.map(\.description)
    }
}

func parse(_ json: String) throws -> JobSpec {
    try JobSpec.parse(Data(json.utf8))
}

@Suite("Job spec parsing")
struct JobSpecParsingTests {
    static let example = """
        { "name": "rocker", "applicationName": "nf-rocker", "version": "1.06",
          "location": "dc1:20,dc2:40,dc5:60", "image": "nf/rocker:1.06",
          "cpus": 4, "memory": 3200, "disk": 40, "ports": 2,
          "restartOnFailure": true, "numRetries": 10, "restartOnSuccess": false }
        """

    @Test("the example spec from the design parses with every field as written")
    func exampleParses() throws {
        let spec = try parse(Self.example)
        #expect(spec.name == "rocker")
        #expect(spec.applicationName == "nf-rocker")
        #expect(spec.version == "1.06")
        #expect(
            spec.location == [
                CellInstances(cell: "dc1", instances: 20), CellInstances(cell: "dc2", instances: 40),
                CellInstances(cell: "dc5", instances: 60),
            ]
        )
        #expect(spec.instances == 120)
        #expect(spec.cpus == 4)
        #expect(spec.memoryMB == 3200)
        #expect(spec.diskGB == 40)
        #expect(spec.ports == 2)
        #expect(spec.restartOnFailure)
        #expect(spec.numRetries == 10)
        #expect(!spec.restartOnSuccess)
        #expect(spec.workload == .image("nf/rocker:1.06"))
        #expect(spec.kind == .service)
        #expect(spec.tier == .flex)
    }

    @Test("a spec with only a name and a command takes every default")
    func defaults() throws {
        let spec = try parse(#"{"name": "tiny", "command": ["/bin/true"]}"#)
        #expect(spec.applicationName == "tiny")
        #expect(spec.version == "")
        #expect(spec.location == [CellInstances(cell: .defaultCell, instances: 1)])
        #expect(spec.cpus == 1)
        #expect(spec.memoryMB == 512)
        #expect(spec.diskGB == 10)
        #expect(spec.ports == 0)
        #expect(spec.networkMbps == nil)
        #expect(spec.restartOnFailure)
        #expect(spec.numRetries == 10)
        #expect(spec.restartOnSuccess)
        #expect(spec.environment.isEmpty)
        #expect(spec.kind == .service)
        #expect(spec.tier == .flex)
        #expect(spec.tier.number == 1)
        #expect(spec.capacityGroup == "default")
        #expect(spec.hardConstraints.isEmpty && spec.softConstraints.isEmpty)
        #expect(spec.durationSeconds == nil)
    }

    @Test("a batch job defaults to not restarting on success")
    func batchDefaults() throws {
        let spec = try parse(#"{"name": "b", "command": ["x"], "kind": "batch", "tier": "critical"}"#)
        #expect(!spec.restartOnSuccess)
        #expect(spec.tier.number == 0)
    }

    @Test("instances without location puts them all in the default cell")
    func instancesOnly() throws {
        let spec = try parse(#"{"name": "a", "command": ["x"], "instances": 7}"#)
        #expect(spec.location == [CellInstances(cell: "default", instances: 7)])
    }

    @Test("instances and location together are accepted when they agree")
    func instancesAgreeingWithLocation() throws {
        let spec = try parse(#"{"name": "a", "command": ["x"], "instances": 5, "location": "dc1:2, dc2 : 3"}"#)
        #expect(spec.instances == 5)
        #expect(spec.location.map(\.cell) == ["dc1", "dc2"])
    }

    @Test("null fields take their defaults")
    func nullIsAbsent() throws {
        let spec = try parse(#"{"name": "a", "command": ["x"], "cpus": null, "networkMbps": null}"#)
        #expect(spec.cpus == 1)
        #expect(spec.networkMbps == nil)
    }

    @Test("a whole number written with a fraction of zero is accepted")
    func integralDouble() throws {
        #expect(try parse(#"{"name": "a", "command": ["x"], "memory": 3200.0}"#).memoryMB == 3200)
    }

    @Test("constraints of every type parse")
    func constraints() throws {
        let spec = try parse(
            """
            {"name": "a", "command": ["x"],
             "hardConstraints": [{"type":"uniqueHostAttr","attribute":"zone"},
                                 {"type":"hostAttrValue","attribute":"instanceType","values":["m5"]},
                                 {"type":"exclusiveHost"}],
             "softConstraints": [{"type":"balancedHostAttr","attribute":"zone","expectedValues":3},
                                 {"type":"balancedHostAttr","attribute":"rack"},
                                 {"type":"hostname","values":["h1"]}]}
            """
        )
        #expect(
            spec.hardConstraints == [
                .uniqueHostAttribute(attribute: "zone"),
                .hostAttributeValue(attribute: "instanceType", values: ["m5"]), .exclusiveHost,
            ]
        )
        #expect(
            spec.softConstraints == [
                .balancedHostAttribute(attribute: "zone", expectedValues: 3),
                .balancedHostAttribute(attribute: "rack", expectedValues: nil), .hostname(values: ["h1"]),
            ]
        )
    }

    @Test("a spec written out and read back is equal to the original")
    func roundTrip() throws {
        let spec = try parse(
            """
            {"name": "a", "command": ["/bin/sh", "-c", "echo hi"], "location": "dc1:1,dc2:0",
             "environment": {"A": "1"}, "networkMbps": 100, "durationSeconds": 2.5, "kind": "batch",
             "hardConstraints": [{"type":"balancedHostAttr","attribute":"zone"}],
             "softConstraints": [{"type":"hostname","values":["h1"]}]}
            """
        )
        let data = try JSONEncoder().encode(spec)
        #expect(try JobSpec.parse(data) == spec)
        #expect(try JSONDecoder().decode(JobSpec.self, from: data) == spec)
        let instancesOnly = try parse(#"{"name": "a", "image": "busybox", "instances": 3}"#)
        #expect(try JobSpec.parse(JSONEncoder().encode(instancesOnly)) == instancesOnly)
    }

    @Test("decoding through JSONDecoder throws the same validation error")
    func decoderThrowsValidationError() {
        #expect(throws: ValidationError.self) {
            try JSONDecoder().decode(JobSpec.self, from: Data(#"{"name": 1}"#.utf8))
        }
    }
}
