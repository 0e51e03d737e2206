import Testing

@testable import FenzoCore

/// A provider that records what it was asked, and refuses groups it is told to.
actor RecordingScaleProvider: ScaleProvider {
    private(set) var calls: [String] = []
    let refused: Set<HostGroup>

    init(refusing refused: Set<HostGroup> = []) { self.refused = refused }

    func scaleUp(group: HostGroup, count: Int) async throws {
        calls.append("up \(group) \(count)")
        if refused.contains(group) { throw TestProviderError() }
    }

    func scaleDown(group: HostGroup, hosts: [HostName]) async throws {
        calls.append("down \(group) \(hosts.map(\.rawValue).joined(separator: ","))")
        if refused.contains(group) { throw TestProviderError() }
    }
}

@Suite("Scale providers")
struct ScaleProviderTests {
    @Test("a provider carries out the actions of an async sequence in order and reports each outcome")
    func performsASequence() async throws {
        let provider = RecordingScaleProvider(refusing: ["bad"])
        let (actions, continuation) = AsyncStream.makeStream(of: ScalingAction.self)
        continuation.yield(.scaleUp(group: "small", count: 3, reason: .idleBelowMinimum(idle: 0, minimum: 5)))
        continuation.yield(
            .scaleDown(group: "bad", hosts: ["h1", "h2"], reason: .idleAboveMaximum(idle: 12, maximum: 10))
        )
        continuation.finish()
        var outcomes: [ScalingOutcome] = []
        try await provider.perform(each: actions) { outcomes.append($0) }
        #expect(await provider.calls == ["up small 3", "down bad h1,h2"])
        #expect(outcomes.map(\.succeeded) == [true, false])
    }

    @Test("the autoscaler's actions, carried out by a provider that refuses, are taken back")
    func refusedOutcomesFeedBack() async throws {
        var autoscaler = try AutoscaleFixtures.autoscaler(AutoscaleFixtures.rule())
        var scheduler = Fixtures.scheduler()
        for lease in AutoscaleFixtures.hosts(13) { try scheduler.addLease(lease) }
        let decision = autoscaler.evaluate(scheduler: &scheduler, failures: [], at: .zero)
        let provider = RecordingScaleProvider(refusing: [AutoscaleFixtures.group])
        for action in decision.actions {
            autoscaler.record(await provider.perform(action), scheduler: &scheduler)
        }
        let removed = try #require(AutoscaleFixtures.scaleDownHosts(decision.actions))
        #expect(await provider.calls == ["down small " + removed.map(\.rawValue).joined(separator: ",")])
        #expect(autoscaler.drainingHosts.isEmpty)
        #expect(scheduler.hostViews.allSatisfy { scheduler.disabledUntil($0.name) == nil })
    }
}
