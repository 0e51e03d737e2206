import FenzoBenchKit
import Foundation
import Testing

@Suite("Reading workloads")
struct WorkloadFileTests {
    private func load(_ json: String) throws -> Workload {
        let path = NSTemporaryDirectory() + "/fenzo-bench-\(UUID().uuidString).json"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try JSONFiles.readWorkload(path)
    }

    private func problem(_ json: String) -> String {
        do {
            _ = try load(json)
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test("fields left out are 0 or empty; a task without a group is a group of its own")
    func defaults() throws {
        let workload = try load(#"{"name":"w","hosts":[{"name":"a","cpus":4}],"tasks":[{"id":"t","cpus":1}]}"#)
        #expect(workload.hosts[0].memoryMB == 0)
        #expect(workload.hosts[0].ports.isEmpty)
        #expect(workload.tasks[0].groupKey == "t")
        #expect(!workload.isTimed)
    }

    @Test("a wrong type names the field at fault")
    func wrongType() {
        let message = problem(#"{"name":"w","hosts":[],"tasks":[{"id":"t","cpus":"two"}]}"#)
        #expect(message.contains("tasks[0].cpus"))
        #expect(message.contains("malformed"))
    }

    @Test("an unknown constraint type is named")
    func unknownConstraint() {
        let message = problem(
            #"{"name":"w","hosts":[],"tasks":[{"id":"t","cpus":1,"hardConstraints":[{"type":"nearby"}]}]}"#
        )
        #expect(message.contains("tasks[0].hardConstraints[0].type"))
    }

    @Test("negative amounts, duplicate ids and constraints missing fields are all listed")
    func semanticProblems() {
        let message = problem(
            #"{"name":"w","hosts":[{"name":"a","cpus":-1},{"name":"a","cpus":1,"ports":[[5,2]]}],"#
                + #""tasks":[{"id":"t","cpus":1},{"id":"t","cpus":1,"ports":-2,"#
                + #""hardConstraints":[{"type":"hostAttrValue","attribute":"zone"}]}]}"#
        )
        #expect(message.contains("cpus is -1.0"))
        #expect(message.contains("listed twice"))
        #expect(message.contains("port range 5-2"))
        #expect(message.contains("ports is -2"))
        #expect(message.contains("values is missing"))
    }

    @Test("a file that is not JSON or not there says so")
    func unreadable() {
        #expect(problem("{not json").contains("malformed"))
        #expect(throws: BenchError.self) { try JSONFiles.readWorkload("/nonexistent/w.json") }
    }

    @Test("a generated workload survives writing and reading")
    func roundTrip() throws {
        let workload = WorkloadGenerator(shape: .zones, hosts: 20, tasks: 100, seed: 5).generate()
        let path = NSTemporaryDirectory() + "/fenzo-bench-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try JSONFiles.write(workload, to: path)
        let read = try JSONFiles.readWorkload(path)
        #expect(read.tasks == workload.tasks)
        #expect(read.hosts == workload.hosts)
    }
}
