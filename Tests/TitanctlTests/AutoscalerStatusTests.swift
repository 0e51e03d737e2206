import CurlHTTP
import Foundation
import Testing
import TitanModel
import TitanTestSupport

@Suite("titanctl status with titan-api's autoscaler, and titan-api's autoscaling options")
struct AutoscalerStatusTests {
    @Test("status shows the autoscaler on, its group and its actions from a live titan-api")
    func statusShowsActions() async throws {
        let options = [
            "--autoscale-min-idle", "2", "--autoscale-max-idle", "2", "--autoscale-cooldown", "1",
            "--autoscale-interval", "0.2", "--simulate-boot-delay", "0.1",
        ]
        // An empty simulated fleet (the child waits for no host), grown by the autoscaler.
        try await withAPI(simulatedHosts: 0, arguments: options) { api in
            try await eventually("the autoscaler added two hosts and they registered", timeout: .seconds(60)) {
                let status = try decode(
                    FleetStatus.self,
                    from: try await titanctl(["status", "--api", api.url, "-o", "json"])
                )
                return status.hosts.up == 2 && !status.autoscaler.actions.isEmpty
                    && status.autoscaler.groups.first?.idle == 2
            }
            // The answer, with groups and actions, matches the OpenAPI document's schema.
            let client = HTTPClient()
            let document = try JSONValue.parse(
                try await client.execute(HTTPRequest(url: api.url + "/openapi.json")).body
            )
            let value = try JSONValue.parse(try await client.execute(HTTPRequest(url: api.url + "/v1/status")).body)
            let schema = JSONValue.object(["$ref": .string("#/components/schemas/FleetStatus")])
            let problems = SchemaValidator(document: document).problems(value, against: schema, at: "")
            #expect(problems.isEmpty, "\(problems)")
            let groups = value["autoscaler"]?["groups"].map { "\($0)" } ?? ""
            #expect(groups.contains("simulated"), "\(groups)")

            let text = try await titanctl(["status", "--api", api.url])
            #expect(text.status == 0)
            #expect(text.stdout.contains("Autoscaler:  on (simulated provider)"), "\(text)")
            #expect(
                text.stdout.contains(
                    "Autoscaler:  on (simulated provider)\n             simulated: 2 hosts (2 idle, 0 busy, 0 draining, 0 coming); keeps 2-2 idle, 0-100 hosts, cool-down 1s"
                ),
                "\(text)"
            )
            #expect(!text.stdout.contains("not running"))
            #expect(text.stdout.contains("Autoscaler actions:\nWHEN"), "\(text)")
            #expect(
                text.stdout.contains("simulated   scale up   +2      0 idle host(s), fewer than the minimum of 2"),
                "\(text)"
            )
        }
    }

    @Test("titan-api refuses autoscaling options it cannot use, saying what to change")
    func invalidOptions() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("titan.db").path

        let noProvider = try await titanAPI(["--db", database, "--autoscale-min-idle", "1"])
        #expect(noProvider.status == 64)
        #expect(
            noProvider.stderr.contains(
                "autoscaling needs a scale provider, and titan-api has one only for its SIMULATED fleet: add --simulate-hosts N"
            ),
            "\(noProvider)"
        )

        let inverted = try await titanAPI([
            "--db", database, "--simulate-hosts", "0", "--autoscale-min-idle", "3", "--autoscale-max-idle", "1",
            "--autoscale-cooldown=-5", "--autoscale-max-hosts", "0",
        ])
        #expect(inverted.status == 64)
        #expect(inverted.stderr.contains("--autoscale-cooldown must be a number of seconds, 0 or more"), "\(inverted)")
        #expect(inverted.stderr.contains("--autoscale-max-idle (1) must be at least --autoscale-min-idle (3)"))
        #expect(inverted.stderr.contains("--autoscale-max-hosts must be 1 or more (got 0)"))

        let badEnvironment = try await titanAPI(
            ["--db", database, "--simulate-hosts", "1"],
            environment: ["TITAN_AUTOSCALE_MAX_HOSTS": "lots"]
        )
        #expect(badEnvironment.status == 64)
        #expect(
            badEnvironment.stderr.contains("TITAN_AUTOSCALE_MAX_HOSTS=lots is not a whole number"),
            "\(badEnvironment)"
        )

        let bootDelayAlone = try await titanAPI([
            "--db", database, "--simulate-hosts", "1", "--simulate-boot-delay", "1",
        ])
        #expect(bootDelayAlone.status == 64)
        #expect(bootDelayAlone.stderr.contains("--simulate-boot-delay applies only to hosts the autoscaler adds"))
        #expect(!FileManager.default.fileExists(atPath: database), "no option error may create the database")
    }
}
