import FenzoCore
import Foundation
import Logging
import Synchronization
import TitanModel
import TitanStore

/// A host group the autoscaler sizes, with what a new host of it offers (nil: learned from the
/// group's hosts).
public struct ScaledHostGroup: Sendable {
    public var group: HostGroup
    public var hostShape: HostShape?

    public init(group: HostGroup, hostShape: HostShape?) {
        self.group = group
        self.hostShape = hostShape
    }
}

/// Runs FenzoCore's `Autoscaler` beside the scheduling service, with a `ScaleProvider` that
/// carries its actions out (the simulated cloud today; AWS Auto Scaling plugs in the same way).
///
/// After scheduling iterations (at most every `evaluationInterval`) it evaluates the
/// autoscaler against the scheduler, with every waiting task the iterations could not place
/// (its shortfall), and carries the actions out:
/// - a scale-up goes to the provider at once; the new hosts show up by registering;
/// - hosts picked for removal are drained in the scheduler by the evaluation itself and
///   disabled in the control plane (no new task lands on them), and go to the provider only
///   once they run nothing; once it has removed them they are forgotten (store, fleet,
///   scheduler).
///
/// Each outcome goes back to the autoscaler (`Autoscaler.record`), so a refused scale-up stops
/// counting as on its way and a refused removal enables the hosts again. The latest actions
/// are kept for `GET /v1/status`, appended to the event stream and counted in metrics.
public actor FleetAutoscaler {
    /// The most actions kept for the status.
    public static let actionLimit = 50

    /// What carries the actions out, in words ("simulated").
    public nonisolated let providerName: String
    public nonisolated let settings: AutoscalingSettings
    private let provider: any ScaleProvider
    private let controlPlane: ControlPlane
    private let logger: Logger
    private var autoscaler: Autoscaler
    /// The waiting tasks the iterations could not place, by id, merged over iterations (one
    /// that tried only new tasks adds to what the last full one found).
    private nonisolated let waiting = Mutex<[TaskID: TaskFailure]>([:])
    private nonisolated let wakeUps: AsyncStream<Void>
    private nonisolated let wakeUpInput: AsyncStream<Void>.Continuation
    /// Hosts picked for removal that still run something, with the action that picked them.
    private var awaitingIdle: [HostName: PickedForRemoval] = [:]
    private var lastEvaluation: ContinuousClock.Instant?
    private nonisolated let snapshot: Mutex<AutoscalerStatus>

    private struct PickedForRemoval: Hashable {
        var group: HostGroup
        var reason: ScalingReason
        var decidedAt: Date
    }

    /// - Throws: `AutoscalerError` if the settings or groups make no valid configuration.
    public init(
        settings: AutoscalingSettings,
        groups: [ScaledHostGroup],
        provider: any ScaleProvider,
        providerName: String,
        controlPlane: ControlPlane,
        logger: Logger
    ) throws(AutoscalerError) {
        self.settings = settings
        self.provider = provider
        self.providerName = providerName
        self.controlPlane = controlPlane
        self.logger = logger
        let rules = groups.map { settings.rule(for: $0.group, hostShape: $0.hostShape) }
        autoscaler = try Autoscaler(
            configuration: AutoscalerConfiguration(
                groupAttribute: HostGroupAttribute.name,
                balanceAttribute: "zone",
                rules: rules
            )
        )
        snapshot = Mutex(
            AutoscalerStatus(
                enabled: true,
                provider: providerName,
                groups: rules.map { Self.summary(of: $0, status: nil) },
                actions: []
            )
        )
        (wakeUps, wakeUpInput) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// The most waiting tasks the shortfall is sized from (in task id order): sizing packs them
    /// on would-be hosts with the real engine, and a backlog beyond this needs more hosts than
    /// a group is likely to be allowed anyway.
    public static let shortfallTaskLimit = 2_000

    /// A host picked for removal took a task before it could be drained.
    struct HostTookTasks: Error, CustomStringConvertible {
        var description: String { "the host took a task before it was drained" }
    }

    /// The status `GET /v1/status` shows; readable at any time without waiting for the actor.
    public nonisolated var status: AutoscalerStatus { snapshot.withLock { $0 } }

    /// Takes an iteration's outcome (called by the control plane for every round, in order):
    /// its failures are remembered until the tasks are placed or withdrawn.
    nonisolated func note(_ round: PlacementRound) {
        waiting.withLock { waiting in
            if round.triedEveryTask {
                waiting = [:]
            } else {
                for placement in round.placements { waiting[placement.taskID] = nil }
            }
            for failure in round.failures { waiting[failure.taskID] = failure }
        }
        wakeUpInput.yield()
    }

    /// Evaluates after iterations, at most every `evaluationInterval`, until cancelled.
    public func run() async {
        // The first evaluation waits for the fleet to show itself: hosts register (or
        // heartbeat, after a restart) within a couple of heartbeat intervals of readiness.
        while await !controlPlane.isReady {
            do { try await Task.sleep(for: .milliseconds(50)) } catch { return }
        }
        do { try await Task.sleep(for: controlPlane.configuration.heartbeatInterval * 2) } catch { return }
        for await _ in wakeUps {
            if let last = lastEvaluation, ContinuousClock.now - last < settings.evaluationInterval { continue }
            lastEvaluation = ContinuousClock.now
            await evaluate()
        }
    }

    /// One evaluation, with its actions carried out.
    func evaluate() async {
        guard await controlPlane.isReady, await !controlPlane.isShuttingDown else { return }
        let scheduling = controlPlane.scheduling
        let queued = await scheduling.queuedTaskIDs()
        let failures = waiting.withLock { waiting in
            waiting = waiting.filter { queued.contains($0.key) }
            return waiting.values.sorted { $0.taskID.rawValue < $1.taskID.rawValue }
        }
        let wallClock = controlPlane.now
        // Evaluated on a copy of the scheduler, off the scheduling service, so sizing a large
        // backlog never holds up iterations or submissions. The wall-clock time is taken with
        // the scheduler's, so the times shown keep the intervals (cool-downs) decided by.
        let (copy, now, decidedAt) = await scheduling.updateScheduler { scheduler, now in
            (scheduler, now, wallClock())
        }
        var working = copy
        var evaluated = autoscaler
        let started = ContinuousClock.now
        let decision = evaluated.evaluate(
            scheduler: &working,
            failures: Array(failures.prefix(Self.shortfallTaskLimit)),
            at: now
        )
        logger.debug(
            "Autoscaler evaluated",
            metadata: [
                "waiting": "\(failures.count)", "actions": "\(decision.actions.count)",
                "duration": "\(ContinuousClock.now - started)",
            ]
        )
        // The hosts picked for removal are drained in the real scheduler; one that took a task
        // since the copy is taken back (recorded as a removal that did not happen).
        let picks = decision.actions
        let afterEvaluation = evaluated
        let (updated, actions) = await scheduling.updateScheduler { scheduler, _ in
            var autoscaler = afterEvaluation
            var actions: [ScalingAction] = []
            for action in picks {
                guard case .scaleDown(let group, let hosts, let reason) = action else {
                    actions.append(action)
                    continue
                }
                let busy = hosts.filter { (scheduler.host($0)?.taskCount ?? 1) > 0 }
                let idle = hosts.filter { !busy.contains($0) }
                scheduler.drainHosts(idle, until: now + autoscaler.configuration.drainTimeout)
                if !busy.isEmpty {
                    autoscaler.record(
                        ScalingOutcome(
                            action: .scaleDown(group: group, hosts: busy, reason: reason),
                            error: HostTookTasks()
                        ),
                        scheduler: &scheduler
                    )
                }
                if !idle.isEmpty { actions.append(.scaleDown(group: group, hosts: idle, reason: reason)) }
            }
            return (autoscaler, actions)
        }
        autoscaler = updated
        publish(decision.groups)
        for action in actions {
            switch action {
            case .scaleUp:
                await carryOut(action, decidedAt: decidedAt)
            case .scaleDown(let group, let hosts, let reason):
                await controlPlane.drainForRemoval(hosts.map { HostID($0.rawValue) })
                for host in hosts {
                    awaitingIdle[host] = PickedForRemoval(group: group, reason: reason, decidedAt: decidedAt)
                }
            }
        }
        await removeIdleHosts()
    }

    /// Hands hosts picked for removal that run nothing to the provider, one action per group
    /// and reason.
    private func removeIdleHosts() async {
        guard !awaitingIdle.isEmpty else { return }
        let runs = await controlPlane.runCounts()
        let idle = awaitingIdle.filter { (runs[HostID($0.key.rawValue)] ?? 0) == 0 }
        let byPick = Dictionary(grouping: idle.keys, by: { idle[$0] })
        for (pick, hosts) in byPick.sorted(by: { ($0.key?.group ?? "") < ($1.key?.group ?? "") }) {
            guard let pick else { continue }
            for host in hosts { awaitingIdle[host] = nil }
            await carryOut(
                .scaleDown(group: pick.group, hosts: hosts.sorted(), reason: pick.reason),
                decidedAt: pick.decidedAt
            )
        }
    }

    /// Asks the provider, records the outcome with the autoscaler and, for a removal, in the
    /// control plane; then logs, counts and publishes it (with the time it was decided).
    private func carryOut(_ action: ScalingAction, decidedAt: Date) async {
        let outcome = await provider.perform(action)
        let current = autoscaler
        autoscaler = await controlPlane.scheduling.updateScheduler { scheduler, _ in
            var autoscaler = current
            autoscaler.record(outcome, scheduler: &scheduler)
            return autoscaler
        }
        let errorText = outcome.error.map { "\($0)" }
        var record: AutoscalerAction
        switch action {
        case .scaleUp(let group, let count, let reason):
            record = AutoscalerAction(
                at: decidedAt,
                group: group.rawValue,
                direction: .up,
                hostCount: count,
                hosts: [],
                reason: reason.description
            )
        case .scaleDown(let group, let hosts, let reason):
            let ids = hosts.map { HostID($0.rawValue) }
            if outcome.succeeded {
                await controlPlane.retireHosts(ids, reason: "the autoscaler removed it (\(reason))")
            } else {
                await controlPlane.undrain(ids)
            }
            record = AutoscalerAction(
                at: decidedAt,
                group: group.rawValue,
                direction: .down,
                hostCount: hosts.count,
                hosts: ids,
                reason: reason.description
            )
        }
        record.error = errorText
        snapshot.withLock { status in
            let position = status.actions.firstIndex { $0.at < record.at } ?? status.actions.endIndex
            status.actions.insert(record, at: position)
            if status.actions.count > Self.actionLimit {
                status.actions.removeLast(status.actions.count - Self.actionLimit)
            }
        }
        controlPlane.metrics.countAutoscalerAction(
            group: record.group,
            direction: record.direction.rawValue,
            failed: errorText != nil
        )
        let message = "autoscaler: \(action)" + (errorText.map { "; the \(providerName) provider failed: \($0)" } ?? "")
        if let errorText {
            logger.error(
                "Autoscaler action failed",
                metadata: ["action": "\(action)", "provider": "\(providerName)", "error": "\(errorText)"]
            )
        } else {
            logger.info("Autoscaler action", metadata: ["action": "\(action)", "provider": "\(providerName)"])
        }
        let kind: EventKind =
            errorText != nil
            ? .autoscalerActionFailed : record.direction == .up ? .autoscalerScaledUp : .autoscalerScaledDown
        do {
            _ = try await controlPlane.store.appendEvent(
                kind: kind,
                jobID: nil,
                taskID: nil,
                message: message,
                at: record.at
            )
        } catch {
            logger.warning("Could not record an autoscaler event", metadata: ["error": "\(error)"])
        }
    }

    /// Shows each group as the latest evaluation found it.
    private func publish(_ groups: [GroupStatus]) {
        let summaries = autoscaler.configuration.rules.map { rule in
            Self.summary(of: rule, status: groups.first { $0.group == rule.group })
        }
        snapshot.withLock { $0.groups = summaries }
        for summary in summaries {
            controlPlane.metrics.setAutoscalerGroup(
                summary.group,
                hosts: [
                    "idle": summary.idle, "busy": summary.busy, "draining": summary.draining,
                    "coming": summary.coming,
                ]
            )
        }
    }

    private static func summary(of rule: AutoscaleRule, status: GroupStatus?) -> AutoscalerGroup {
        AutoscalerGroup(
            group: rule.group.rawValue,
            minIdleHosts: rule.minIdleHosts,
            maxIdleHosts: rule.maxIdleHosts,
            coolDownSeconds: rule.coolDown.timeInterval,
            minHosts: rule.minSize,
            maxHosts: rule.maxSize,
            hosts: status?.size ?? 0,
            idle: status?.idle ?? 0,
            busy: status?.busy ?? 0,
            draining: status?.draining ?? 0,
            coming: status?.coming ?? 0,
            waitingTasks: status?.waitingTasks ?? 0,
            hostsNeeded: status?.hostsNeeded ?? 0
        )
    }
}
