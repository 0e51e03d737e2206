import Foundation
import Testing

@testable import TitanModel

@Suite("Decoding never crashes")
struct DecodingRobustnessTests {
    /// Values of every JSON type, including awkward numbers and deep nesting.
    static let awkwardValues = [
        "null", "true", "false", "0", "-0", "1e308", "-1e308", "1e-320", "1.5", "123456789012345678901234567890",
        "\"\"", "\"\\u0000\"", "\"\\ud800\"", "[]", "[null]", "{}", "{\"a\":{}}",
        String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
    ]

    @Test("any value in any field gives problems or a spec, never a crash", arguments: JobSpec.fieldNames)
    func anyValueInAnyField(field: String) {
        for value in Self.awkwardValues {
            let json = #"{"name": "app", "command": ["x"], "\#(field)": \#(value)}"#
            do {
                _ = try JobSpec.parse(Data(json.utf8))
            } catch {
                #expect(!error.problems.isEmpty)
                for problem in error.problems { #expect(!problem.message.isEmpty) }
            }
        }
    }

    @Test("random bytes and truncated specs give problems, never a crash")
    func randomBytes() {
        var generator = SplitMix64(seed: 42)
        let example = Data(JobSpecParsingTests.example.utf8)
        for round in 0..<2000 {
            var data: Data
            if round % 2 == 0 {
                data = Data((0..<Int(generator.next() % 64)).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
            } else {
                data = example.prefix(Int(generator.next() % UInt64(example.count)))
                if !data.isEmpty {
                    let position = Int(generator.next() % UInt64(data.count))
                    data[data.startIndex + position] = UInt8(truncatingIfNeeded: generator.next())
                }
            }
            do {
                _ = try JobSpec.parse(data)
            } catch {
                #expect(!error.problems.isEmpty)
            }
        }
    }
}

/// A small deterministic random number generator, so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
