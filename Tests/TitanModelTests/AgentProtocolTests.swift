import Foundation
import Testing
import TitanModel

@Suite("Agent protocol bodies")
struct AgentProtocolTests {
    @Test("a registration decodes from the JSON in Docs/agent-protocol.md")
    func registrationFromDocs() throws {
        let json = """
            {
              "agentID": "host-17",
              "address": "http://10.0.3.17:7070",
              "agentVersion": "0.1.0",
              "resources": {"cpus": 16, "memoryMB": 65536, "diskGB": 500, "networkMbps": 10000,
                            "portRanges": [{"first": 31000, "last": 31999}], "scalars": {"gpu": 1}},
              "attributes": {"zone": "zone-a", "instanceType": "m5.4xlarge", "group": "main"},
              "runningTasks": [
                {"taskID": "0192f1c4-aa-3", "attempt": 1, "state": "started", "ports": [31002],
                 "startedAt": "2026-11-23T20:40:00.000Z"}
              ]
            }
            """
        let registration = try TitanJSON.decoder().decode(AgentRegistration.self, from: Data(json.utf8))
        #expect(registration.agentID == "host-17")
        #expect(registration.resources.scalars == ["gpu": 1])
        #expect(registration.resources.portRanges == [PortRange(first: 31000, last: 31999)])
        #expect(registration.runningTasks.first?.state == .started)
        #expect(registration.runningTasks.first?.taskID.parts?.index == 3)
    }

    @Test("host resources written before scalars existed still decode")
    func resourcesWithoutScalars() throws {
        let json = #"{"cpus": 2, "memoryMB": 1024, "diskGB": 10}"#
        let resources = try TitanJSON.decoder().decode(HostResources.self, from: Data(json.utf8))
        #expect(resources.scalars.isEmpty)
        #expect(resources.portRanges.isEmpty)
        #expect(resources.networkMbps == 0)
    }

    @Test("orders and status updates survive a round trip through the wire format")
    func roundTrip() throws {
        let orders = AgentOrders(orders: [
            AgentOrder(
                seq: 41,
                taskID: "job-3",
                attempt: 2,
                launch: LaunchSpec(
                    jobID: "job",
                    jobName: "rocker",
                    image: "titan/rocker:1.06",
                    command: nil,
                    environment: ["LOG_LEVEL": "info"],
                    cpus: 4,
                    memoryMB: 3200,
                    diskGB: 40,
                    networkMbps: 0,
                    ports: [31002, 31003],
                    durationSeconds: nil,
                    labels: ["titan.job": "rocker"]
                )
            ),
            AgentOrder(
                seq: 42,
                taskID: "job-5",
                attempt: 0,
                kill: KillSpec(gracePeriodSeconds: 10, reason: "scaled down")
            ),
        ])
        let data = try TitanJSON.encoder().encode(orders)
        #expect(try TitanJSON.decoder().decode(AgentOrders.self, from: data) == orders)

        let status = AgentStatusBatch(updates: [
            AgentStatusUpdate(
                taskID: "job-3",
                attempt: 1,
                state: .finished,
                reason: .oomKilled,
                exitCode: 137,
                message: "out of memory (limit 3200 MB)",
                at: Date(timeIntervalSince1970: 1_795_000_000.123)
            )
        ])
        let statusData = try TitanJSON.encoder().encode(status)
        let text = String(decoding: statusData, as: UTF8.self)
        #expect(text.contains(#""reason":"oomKilled""#))
        #expect(try TitanJSON.decoder().decode(AgentStatusBatch.self, from: statusData) == status)
    }
}
