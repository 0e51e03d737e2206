import CurlHTTP
import FenzoCore
import Foundation
import Logging
import Testing
import TitanControlPlane
import TitanModel

/// titan-api's autoscaler over the simulated fleet, against the real server: hosts boot after
/// 0.2 s, the cool-down is 2 s, the autoscaler evaluates every 0.1 s.
@Suite("The autoscaler grows and shrinks the simulated fleet")
struct AutoscalingTests {
    static let coolDownSeconds = 2.0

    static var settings: AutoscalingSettings {
        AutoscalingSettings(
            minIdleHosts: 0,
            maxIdleHosts: 1,
            coolDown: .seconds(coolDownSeconds),
            minHosts: 0,
            maxHosts: 10,
            evaluationInterval: .milliseconds(100)
        )
    }

    @Test(
        "a job that does not fit grows the fleet and starts; killing it removes idle hosts down to the idle maximum, none within a cool-down of joining"
    )
    func growsAndShrinks() async throws {
        try await withServer(simulatedHosts: 1, autoscaling: Self.settings) { server in
            let before = try await server.fetch(FleetStatus.self, "/v1/status")
            #expect(before.autoscaler.enabled)
            #expect(before.autoscaler.provider == "simulated")
            #expect(
                before.autoscaler.groups.map(\.group) == ["simulated"]
                    && before.autoscaler.groups.first?.maxIdleHosts == 1
            )
            // Three tasks of 12 cpus: one per 16-cpu host.
            let job = try await server.createJob(Specs.service("big", instances: 3, cpus: 12)).job.id
            try await eventually("the fleet grows and all three tasks start", timeout: .seconds(90)) {
                try await server.tasks(of: job).allSatisfy { $0.state == .started }
            }
            let grown = try await server.fetch(FleetStatus.self, "/v1/status")
            let scaleUps = grown.autoscaler.actions.filter { $0.direction == .up }
            #expect(!scaleUps.isEmpty)
            #expect(scaleUps.allSatisfy { $0.error == nil && $0.group == "simulated" && $0.hosts.isEmpty })
            #expect(scaleUps.contains { $0.reason.contains("waiting task(s) need") }, "\(scaleUps)")
            #expect(grown.hosts.up >= 3)
            let hostsOfTasks = Set(try await server.tasks(of: job).compactMap(\.host))
            #expect(hostsOfTasks.count == 3)

            _ = try await server.post("/v1/jobs/\(job)/kill", json: "")
            try await eventually("idle hosts are removed down to one", timeout: .seconds(90)) {
                let status = try await server.fetch(FleetStatus.self, "/v1/status")
                let group = status.autoscaler.groups.first
                return status.hosts.total == 1 && status.tasks.total == 0 && group?.hosts == 1 && group?.draining == 0
            }
            let shrunk = try await server.fetch(FleetStatus.self, "/v1/status")
            let scaleDowns = shrunk.autoscaler.actions.filter { $0.direction == .down }
            let removed = scaleDowns.flatMap(\.hosts)
            #expect(!removed.isEmpty)
            #expect(scaleDowns.allSatisfy { $0.error == nil && $0.hostCount == $0.hosts.count })
            #expect(scaleDowns.allSatisfy { $0.reason.contains("more than the maximum of 1") }, "\(scaleDowns)")
            #expect(shrunk.autoscaler.actions == shrunk.autoscaler.actions.sorted { $0.at > $1.at })
            #expect(shrunk.autoscaler.groups.first?.hosts == 1 && shrunk.autoscaler.groups.first?.idle == 1)
            // Removed hosts are gone from the host list and may not come back under their id.
            let hosts = try await server.fetch(Page<HostSummary>.self, "/v1/hosts").items.map(\.id)
            #expect(Set(hosts).isDisjoint(with: removed))
            if let gone = removed.first, let number = Int(gone.rawValue.dropFirst(4)) {
                let again = try await server.post(
                    "/v1/agents/register",
                    SimulatedFleet.registration(index: number - 1)
                )
                #expect(again.statusCode == 409)
                #expect(again.bodyText.contains("removed from the fleet by the autoscaler"), "\(again.bodyText)")
            }

            // Cool-down, from the server's own records: a removal comes at least a cool-down
            // after the latest scale-up before it, and no host leaves within a cool-down of
            // registering.
            for down in scaleDowns {
                if let lastUp = scaleUps.filter({ $0.at <= down.at }).map(\.at).max() {
                    #expect(down.at.timeIntervalSince(lastUp) >= Self.coolDownSeconds - 0.01, "\(down) after \(lastUp)")
                }
            }
            let events = try await eventRecords(server)
            for host in removed {
                let registered = events.first { $0.kind == .hostRegistered && $0.message.hasPrefix("host \(host) ") }
                let gone = events.first { $0.kind == .hostRemoved && $0.message.hasPrefix("host \(host) ") }
                guard let registered, let gone else {
                    Issue.record("no registration or removal event for \(host)")
                    continue
                }
                #expect(gone.at.timeIntervalSince(registered.at) >= Self.coolDownSeconds - 0.01)
            }
            #expect(events.contains { $0.kind == .autoscalerScaledUp && $0.message.contains("scale up simulated") })
            #expect(events.contains { $0.kind == .autoscalerScaledDown && $0.message.contains("scale down simulated") })

            let metrics = try await server.get("/metrics").bodyText
            #expect(
                metrics.contains(
                    "titan_autoscaler_actions_total{group=\"simulated\",direction=\"up\"} \(scaleUps.count)"
                ),
                "\(metrics)"
            )
            #expect(
                metrics.contains(
                    "titan_autoscaler_actions_total{group=\"simulated\",direction=\"down\"} \(scaleDowns.count)"
                )
            )
            #expect(metrics.contains("titan_autoscaler_hosts{group=\"simulated\",state=\"idle\"} 1"))
        }
    }

    @Test("an empty simulated fleet grows to its minimum idle hosts in one action")
    func growsFromNothing() async throws {
        var settings = Self.settings
        settings.minIdleHosts = 2
        settings.maxIdleHosts = 2
        try await withServer(simulatedHosts: 0, autoscaling: settings) { server in
            try await eventually("two idle hosts are up", timeout: .seconds(60)) {
                let status = try await server.fetch(FleetStatus.self, "/v1/status")
                return status.hosts.up == 2 && status.autoscaler.groups.first?.idle == 2
            }
            let status = try await server.fetch(FleetStatus.self, "/v1/status")
            #expect(status.autoscaler.actions.map(\.direction) == [.up])
            #expect(status.autoscaler.actions.first?.hostCount == 2)
            #expect(status.autoscaler.actions.first?.reason == "0 idle host(s), fewer than the minimum of 2")
        }
    }

    @Test("a provider that refuses is shown with its error, and is not asked again within a cool-down")
    func refusingProvider() async throws {
        var quietLogger = Logger(label: "titan-api-test")
        quietLogger.logLevel = .critical
        try await withServer(simulatedHosts: 0) { server in
            var settings = Self.settings
            settings.minIdleHosts = 1
            let autoscaler = try FleetAutoscaler(
                settings: settings,
                groups: [ScaledHostGroup(group: "main", hostShape: SimulatedFleet.hostShape)],
                provider: RefusingProvider(),
                providerName: "refusing",
                controlPlane: server.controlPlane,
                logger: quietLogger
            )
            server.controlPlane.attach(autoscaler)
            let loop = Task { await autoscaler.run() }
            defer { loop.cancel() }
            try await eventually("two refused scale-ups are recorded", timeout: .seconds(60)) {
                try await server.fetch(FleetStatus.self, "/v1/status").autoscaler.actions.count >= 2
            }
            let actions = try await server.fetch(FleetStatus.self, "/v1/status").autoscaler.actions
            #expect(actions.allSatisfy { $0.direction == .up && $0.error == "no capacity in main" }, "\(actions)")
            for (newer, older) in zip(actions, actions.dropFirst()) {
                #expect(newer.at.timeIntervalSince(older.at) >= Self.coolDownSeconds - 0.01)
            }
            let events = try await eventRecords(server)
            #expect(
                events.contains {
                    $0.kind == .autoscalerActionFailed
                        && $0.message.hasSuffix("the refusing provider failed: no capacity in main")
                }
            )
            let metrics = try await server.get("/metrics").bodyText
            #expect(metrics.contains("titan_autoscaler_action_failures_total{group=\"main\",direction=\"up\"}"))
        }
    }

    @Test("without an autoscaler, status says it is off")
    func offByDefault() async throws {
        try await withServer(simulatedHosts: 1) { server in
            let status = try await server.fetch(FleetStatus.self, "/v1/status")
            #expect(status.autoscaler == AutoscalerStatus(enabled: false, actions: []))
            #expect(!(try await server.get("/metrics").bodyText.contains("titan_autoscaler_")))
        }
    }

    /// A provider with no capacity: it refuses every action.
    struct RefusingProvider: ScaleProvider {
        struct NoCapacity: Error, CustomStringConvertible {
            var group: HostGroup
            var description: String { "no capacity in \(group)" }
        }

        func scaleUp(group: HostGroup, count: Int) async throws { throw NoCapacity(group: group) }
        func scaleDown(group: HostGroup, hosts: [HostName]) async throws { throw NoCapacity(group: group) }
    }

    private func eventRecords(_ server: TestServer) async throws -> [EventRecord] {
        let body = try await server.get("/v1/events?follow=false").bodyText
        return try body.split(separator: "\n").filter { $0.hasPrefix("data: ") }.map {
            try TitanJSON.decoder().decode(EventRecord.self, from: Data($0.dropFirst(6).utf8))
        }
    }
}
