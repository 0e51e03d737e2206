import FenzoBenchKit
import Foundation
import Testing

/// `../shared/workloads` (gen.py, validate.py), written independently of our code; nil
/// when absent (a user's fresh clone), and these cross-checks are skipped.
enum SharedWorkloads {
    static let directory: String? = {
        let environment = ProcessInfo.processInfo.environment["TITAN_SHARED_DIR"].map { $0 + "/workloads" }
        let repository = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let sibling = repository.deletingLastPathComponent().appendingPathComponent("shared/workloads").path
        for candidate in [environment, sibling].compactMap({ $0 }) {
            if FileManager.default.fileExists(atPath: candidate + "/validate.py") { return candidate }
        }
        return nil
    }()

    static var available: Bool { directory != nil }

    /// Runs a script of the shared folder with python3; returns its exit status and output.
    static func python(_ script: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", (directory ?? "") + "/" + script] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// validate.py's verdict and figures (`--json`).
    static func validate(workload: String, result: String) throws -> (valid: Bool, figures: [String: Any]) {
        let run = try python("validate.py", [workload, result, "--json"])
        let last = run.output.split(separator: "\n").last.map(String.init) ?? ""
        let object = try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any] ?? [:]
        #expect(run.status == ((object["valid"] as? Bool) == true ? 0 : 1), "validate.py said: \(run.output)")
        return ((object["valid"] as? Bool) == true, object)
    }
}

@Suite("Cross-checks with ../shared/workloads", .enabled(if: SharedWorkloads.available, "../shared is absent"))
struct SharedCrossCheckTests {
    let folder: String = {
        let path = NSTemporaryDirectory() + "fenzo-bench-cross-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    /// Checks that both validators give the same verdict and the same figures.
    @discardableResult
    private func expectAgreement(_ workload: Workload, _ result: PackingResult, _ label: String) throws -> Bool {
        let workloadPath = folder + "/\(label)-workload.json"
        let resultPath = folder + "/\(label)-result.json"
        try JSONFiles.write(workload, to: workloadPath)
        try JSONFiles.write(result, to: resultPath)
        let theirs = try SharedWorkloads.validate(workload: workloadPath, result: resultPath)
        let ours = ResultValidator(workload: try JSONFiles.readWorkload(workloadPath))
            .validate(try JSONFiles.readResult(resultPath))
        #expect(ours.isValid == theirs.valid, "\(label): ours \(ours.errors.prefix(2)), theirs \(theirs.valid)")
        func number(_ key: String) -> Double { (theirs.figures[key] as? NSNumber)?.doubleValue ?? .nan }
        #expect(Double(ours.placed) == number("placed"), "\(label) placed")
        #expect(Double(ours.failed) == number("failed"), "\(label) failed")
        #expect(Double(ours.hostsUsedPeak) == number("hostsUsedPeak"), "\(label) hostsUsedPeak")
        #expect(Double(ours.lowerBoundPeak) == number("lowerBoundPeak"), "\(label) lowerBoundPeak")
        #expect(abs(ours.ratio - number("ratio")) < 1.5e-4, "\(label) ratio")
        #expect(abs(ours.meanHostsUsed - number("meanHostsUsed")) < 0.015, "\(label) meanHostsUsed")
        #expect(abs(ours.meanLowerBound - number("meanLowerBound")) < 0.015, "\(label) meanLowerBound")
        #expect(abs(ours.cpuUtilOfUsedHosts - number("cpuUtilOfUsedHosts")) < 1.5e-4, "\(label) cpu util")
        #expect(abs(ours.memUtilOfUsedHosts - number("memUtilOfUsedHosts")) < 1.5e-4, "\(label) mem util")
        return ours.isValid && theirs.valid
    }

    @Test(
        "our generator's workloads, scheduled, validate under validate.py with the same figures",
        arguments: WorkloadShape.allCases
    )
    func ourWorkloads(shape: WorkloadShape) throws {
        let workload = WorkloadGenerator(shape: shape, hosts: 90, tasks: 360, seed: 21).generate()
        let replay = try WorkloadReplay(workload: workload)
        for name in ["default", "firstFit", "spread", "bestFitMemory"] {
            let run = replay.run(try PackingStrategy.named(name))
            #expect(try expectAgreement(workload, run.result, "\(shape)-\(name)"))
        }
    }

    @Test("gen.py's workloads load, schedule, and both validators agree", arguments: WorkloadShape.allCases)
    func theirWorkloads(shape: WorkloadShape) throws {
        let path = folder + "/gen-\(shape).json"
        let generated = try SharedWorkloads.python(
            "gen.py",
            [shape.rawValue, "80", "320", "--seed", "5", "--out", path]
        )
        #expect(generated.status == 0, "gen.py: \(generated.output)")
        let workload = try JSONFiles.readWorkload(path)
        #expect(workload.tasks.count == 320)
        let run = try WorkloadReplay(workload: workload).run(PackingStrategy.named("default"))
        #expect(try expectAgreement(workload, run.result, "gen-\(shape)"))
    }

    @Test("broken results are invalid under both validators")
    func brokenResults() throws {
        let zones = WorkloadGenerator(shape: .zones, hosts: 60, tasks: 240, seed: 3).generate()
        let valid = try WorkloadReplay(workload: zones).run(PackingStrategy.named("default")).result
        #expect(try expectAgreement(zones, valid, "valid"))

        var missing = valid
        missing.assignments.removeLast()
        #expect(try !expectAgreement(zones, missing, "missing"))

        var crowded = valid
        let firstHost = crowded.assignments[0].host
        for index in crowded.assignments.indices.prefix(40) { crowded.assignments[index].host = firstHost }
        #expect(try !expectAgreement(zones, crowded, "crowded"))

        var sharedPorts = valid
        if let withPort = sharedPorts.assignments.firstIndex(where: { !$0.ports.isEmpty }) {
            let host = sharedPorts.assignments[withPort].host
            if let other = sharedPorts.assignments.indices.first(where: {
                $0 != withPort && sharedPorts.assignments[$0].host == host && !sharedPorts.assignments[$0].ports.isEmpty
            }) {
                sharedPorts.assignments[other].ports[0] = sharedPorts.assignments[withPort].ports[0]
            } else {
                sharedPorts.assignments[withPort].ports[0] = 1
            }
        }
        #expect(try !expectAgreement(zones, sharedPorts, "ports"))

        var noReason = valid
        noReason.failures.append(ResultFailure(task: noReason.assignments[0].task, reasons: []))
        noReason.assignments.removeFirst()
        #expect(try !expectAgreement(zones, noReason, "no-reason"))

        var unique = valid
        let taskGroup = Dictionary(uniqueKeysWithValues: zones.tasks.map { ($0.id, $0) })
        if let service = unique.assignments.firstIndex(where: {
            taskGroup[$0.task]?.hardConstraints.contains(.uniqueHostAttr("name")) == true
                && taskGroup[$0.task]?.hardConstraints.count == 1
        }),
            let sibling = unique.assignments.indices.first(where: {
                $0 != service
                    && taskGroup[unique.assignments[$0].task]?.group
                        == taskGroup[unique.assignments[service].task]?.group
            })
        {
            unique.assignments[sibling].host = unique.assignments[service].host
            unique.assignments[sibling].ports = []
            #expect(try !expectAgreement(zones, unique, "unique"))
        }

        let churn = WorkloadGenerator(shape: .churn, hosts: 30, tasks: 150, seed: 3).generate()
        var early = try WorkloadReplay(workload: churn).run(PackingStrategy.named("default")).result
        if let late = early.assignments.firstIndex(where: { ($0.at ?? 0) > 1 }) { early.assignments[late].at = 0 }
        #expect(try !expectAgreement(churn, early, "early"))
    }
}
