/// Adds and removes hosts of a group: an AWS Auto Scaling group, local agents, or a
/// simulated cloud. The autoscaler decides; a provider only carries out.
///
/// A provider returns once the request is accepted, not when hosts have booted or
/// left: new hosts show up later by offering leases, and removed ones are forgotten
/// with `TaskScheduler.removeHost(_:)` when they are gone.
public protocol ScaleProvider: Sendable {
    /// Asks for `count` more hosts in `group`.
    func scaleUp(group: HostGroup, count: Int) async throws
    /// Asks for these hosts of `group` to be terminated.
    func scaleDown(group: HostGroup, hosts: [HostName]) async throws
}

extension ScaleProvider {
    /// Carries out one action and says how it went; an error is returned, not thrown,
    /// so one failed action does not stop the others.
    public func perform(_ action: ScalingAction) async -> ScalingOutcome {
        do {
            switch action {
            case .scaleUp(let group, let count, _):
                try await scaleUp(group: group, count: count)
            case .scaleDown(let group, let hosts, _):
                try await scaleDown(group: group, hosts: hosts)
            }
            return ScalingOutcome(action: action)
        } catch {
            return ScalingOutcome(action: action, error: error)
        }
    }

    /// Carries out each action of a sequence as it arrives, in order, and reports each
    /// outcome (feed failures back with `Autoscaler.record(_:scheduler:)`). Returns when
    /// the sequence ends; rethrows only the sequence's own error.
    /// - Parameters:
    ///   - actions: the actions, such as an `AsyncStream` the scheduling loop yields to.
    ///   - report: told what became of each action.
    public func perform<Actions: AsyncSequence>(
        each actions: Actions,
        report: (ScalingOutcome) async -> Void
    ) async throws where Actions.Element == ScalingAction {
        for try await action in actions {
            await report(await perform(action))
        }
    }
}
