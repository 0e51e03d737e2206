/// Decides when each host group grows or shrinks, and by which hosts.
///
/// A value that remembers only what it must between evaluations: when each group last
/// scaled, the hosts asked for and not yet seen, the hosts picked for removal, and when
/// each host was first seen. Call `evaluate` after each scheduling iteration with the
/// tasks that iteration could not place; it returns the actions to take, which a
/// `ScaleProvider` carries out. It does no I/O and reads no clock.
///
/// Per group, with `idle` the idle hosts, `coming` the hosts asked for and not yet seen,
/// and `needed` the new hosts waiting tasks need (bin packed on would-be hosts):
/// - the group grows at once by `needed - idle - coming` when that is positive;
/// - after a cool-down since its last growth, when `idle + coming - needed` is below
///   the minimum idle, it grows until that is the maximum idle;
/// - it grows to its minimum size, and to the forecast's busy hosts plus the minimum
///   idle (after a cool-down), never beyond its maximum size;
/// - after a cool-down since its last action, with no task waiting for it and no host
///   on its way, it removes idle hosts beyond the maximum idle (or the maximum size),
///   never below its minimum size or the forecast, balanced over the balance attribute,
///   and never a host that joined less than a cool-down ago.
public struct Autoscaler: Sendable {
    public let configuration: AutoscalerConfiguration
    private var states: [HostGroup: GroupState] = [:]
    private var hasEvaluated = false

    /// - Throws: `AutoscalerError` naming every problem of the configuration.
    public init(configuration: AutoscalerConfiguration) throws(AutoscalerError) {
        let problems = configuration.problems()
        guard problems.isEmpty else { throw .invalidConfiguration(problems) }
        self.configuration = configuration
        for rule in configuration.rules { states[rule.group] = GroupState() }
    }

    /// Decides what each group needs now, and drains the hosts it picks for removal in
    /// the scheduler so no new task lands on them.
    /// - Parameters:
    ///   - scheduler: the scheduler that owns the fleet; hosts picked for removal are
    ///     disabled in it until `now + drainTimeout`.
    ///   - failures: the tasks the latest iteration could not place. Pass every task
    ///     still waiting (an iteration that tried them all), or growth will be too small.
    ///   - forecast: for groups with a forecast, the busy hosts expected in the next
    ///     period (see `DemandForecast`); the group is kept at least that plus its
    ///     minimum idle hosts.
    ///   - now: the current time.
    public mutating func evaluate(
        scheduler: inout TaskScheduler,
        failures: [TaskFailure],
        forecast: [HostGroup: Int] = [:],
        at now: Instant
    ) -> AutoscalingDecision {
        let census = takeCensus(of: scheduler, at: now)
        let shortfall = shortfall(of: failures, in: scheduler, at: now)
        var decision = AutoscalingDecision(shortfall: shortfall)
        for rule in configuration.rules {
            guard let members = census[rule.group], var state = states[rule.group] else { continue }
            let outcome = decide(
                rule: rule,
                members: members,
                state: &state,
                needed: shortfall.hostsNeeded[rule.group] ?? 0,
                waiting: shortfall.tasks[rule.group]?.count ?? 0,
                forecastBusy: forecast[rule.group],
                at: now
            )
            if case .scaleDown(_, let hosts, _) = outcome.action {
                scheduler.drainHosts(hosts, until: now + configuration.drainTimeout)
            }
            if let action = outcome.action { decision.actions.append(action) }
            decision.groups.append(outcome.status)
            states[rule.group] = state
        }
        hasEvaluated = true
        return decision
    }

    /// Takes back what a failed action counted on: hosts asked for and refused stop
    /// counting as on their way (and growth waits a cool-down before asking again);
    /// hosts whose removal failed are enabled again in the scheduler.
    public mutating func record(_ outcome: ScalingOutcome, scheduler: inout TaskScheduler) {
        guard !outcome.succeeded, var state = states[outcome.action.group] else { return }
        let coolDown = rule(for: outcome.action.group)?.coolDown ?? .zero
        switch outcome.action {
        case .scaleUp(_, let count, _):
            if let position = state.requests.lastIndex(where: { $0.count == count }) {
                let request = state.requests.remove(at: position)
                state.growthBlockedUntil = request.at + coolDown
            }
        case .scaleDown(_, let hosts, _):
            for host in hosts where state.draining.removeValue(forKey: host) != nil {
                try? scheduler.enableHost(host)
            }
        }
        states[outcome.action.group] = state
    }

    /// The rule for a group, if it has one.
    public func rule(for group: HostGroup) -> AutoscaleRule? {
        configuration.rules.first { $0.group == group }
    }

    /// Hosts picked for removal and not yet gone, by group.
    public var drainingHosts: [HostGroup: [HostName]] {
        states.mapValues { $0.draining.keys.sorted() }.filter { !$0.value.isEmpty }
    }

    // MARK: State between evaluations

    struct HostRequest {
        var count: Int
        var at: Instant
    }

    struct GroupState {
        /// Hosts asked for and not yet seen, oldest first.
        var requests: [HostRequest] = []
        /// When each host of the group was first seen.
        var firstSeen: [HostName: Instant] = [:]
        /// Hosts picked for removal, with when the drain ends.
        var draining: [HostName: Instant] = [:]
        var lastScaleUp: Instant?
        var lastScaleDown: Instant?
        /// After a refused scale-up, growth of any kind waits until then.
        var growthBlockedUntil: Instant?

        var coming: Int { requests.reduce(0) { $0 + $1.count } }
    }

    /// One host of a group as the autoscaler sees it.
    struct Member {
        var view: HostView
        var isDraining: Bool
        /// Idle: no tasks, enabled, offering at least the rule's minimum idle size.
        var isIdle: Bool
    }

    /// Sorts the fleet into groups and updates what each group's state knows: hosts that
    /// arrived (taking them off the hosts asked for), hosts that left, drains that ended.
    private mutating func takeCensus(of scheduler: TaskScheduler, at now: Instant) -> [HostGroup: [Member]] {
        var views: [HostGroup: [HostView]] = [:]
        for view in scheduler.hostViews {
            guard let value = view.attributes[configuration.groupAttribute] else { continue }
            let group = HostGroup(value)
            if states[group] != nil { views[group, default: []].append(view) }
        }
        var census: [HostGroup: [Member]] = [:]
        for rule in configuration.rules {
            guard var state = states[rule.group] else { continue }
            let present = views[rule.group] ?? []
            let names = Set(present.map(\.name))
            for name in state.firstSeen.keys where !names.contains(name) { state.firstSeen[name] = nil }
            state.draining = state.draining.filter { names.contains($0.key) && $0.value > now }
            state.requests.removeAll { now - $0.at >= configuration.bootTimeout }
            for view in present.sorted(by: { $0.name < $1.name }) where state.firstSeen[view.name] == nil {
                // Hosts there before the first evaluation count as old enough to remove.
                state.firstSeen[view.name] = hasEvaluated ? now : now - rule.coolDown
                if hasEvaluated, !state.requests.isEmpty {
                    state.requests[0].count -= 1
                    if state.requests[0].count == 0 { state.requests.removeFirst() }
                }
            }
            census[rule.group] = present.map { view in
                let draining = state.draining[view.name] != nil
                let idle =
                    !draining && view.taskCount == 0 && scheduler.disabledUntil(view.name) == nil
                    && view.free.covers(rule.minimumIdleHostSize)
                return Member(view: view, isDraining: draining, isIdle: idle)
            }
            states[rule.group] = state
        }
        return census
    }

    // MARK: The decision for one group

    struct GroupOutcome {
        var action: ScalingAction?
        var status: GroupStatus
    }

    private func decide(
        rule: AutoscaleRule,
        members: [Member],
        state: inout GroupState,
        needed: Int,
        waiting: Int,
        forecastBusy: Int?,
        at now: Instant
    ) -> GroupOutcome {
        let size = members.count { !$0.isDraining }
        let idle = members.count(where: \.isIdle)
        let coming = state.coming
        var status = GroupStatus(
            group: rule.group,
            size: size,
            idle: idle,
            busy: members.count { !$0.isDraining && $0.view.taskCount > 0 },
            draining: members.count(where: \.isDraining),
            coming: coming,
            hostsNeeded: needed,
            waitingTasks: waiting,
            forecastBusyHosts: forecastBusy
        )
        let blocked = state.growthBlockedUntil.map { now < $0 } ?? false
        let growthCooled = !blocked && state.lastScaleUp.map { now - $0 >= rule.coolDown } ?? true
        let futureIdle = idle + coming - needed

        var add = 0
        var reason = ScalingReason.shortfall(tasks: waiting, hostsNeeded: needed)
        if futureIdle < 0, !blocked {
            add = -futureIdle
        }
        if growthCooled, futureIdle < rule.minIdleHosts, rule.maxIdleHosts - futureIdle > add {
            add = rule.maxIdleHosts - futureIdle
            if futureIdle >= 0 { reason = .idleBelowMinimum(idle: idle + coming, minimum: rule.minIdleHosts) }
        }
        if size + coming + add < rule.minSize, !blocked {
            add = rule.minSize - size - coming
            reason = .belowMinimumSize(size: size, minimum: rule.minSize)
        }
        if let forecastBusy, growthCooled, size + coming + add < forecastBusy + rule.minIdleHosts {
            add = forecastBusy + rule.minIdleHosts - size - coming
            reason = .forecast(busyHosts: forecastBusy)
        }
        add = min(add, max(0, rule.maxSize - size - coming))
        if add > 0 {
            state.requests.append(HostRequest(count: add, at: now))
            state.lastScaleUp = now
            status.coming += add
            return GroupOutcome(action: .scaleUp(group: rule.group, count: add, reason: reason), status: status)
        }

        let lastAction = [state.lastScaleUp, state.lastScaleDown].compactMap { $0 }.max()
        let shrinkCooled = lastAction.map { now - $0 >= rule.coolDown } ?? true
        guard needed == 0, coming == 0, shrinkCooled else { return GroupOutcome(action: nil, status: status) }
        var excess = idle - rule.maxIdleHosts
        reason = .idleAboveMaximum(idle: idle, maximum: rule.maxIdleHosts)
        if size - rule.maxSize > excess {
            excess = size - rule.maxSize
            reason = .aboveMaximumSize(size: size, maximum: rule.maxSize)
        }
        let floor = max(rule.minSize, forecastBusy.map { $0 + rule.minIdleHosts } ?? 0)
        excess = min(excess, size - floor)
        guard excess > 0 else { return GroupOutcome(action: nil, status: status) }
        let oldEnough = now - rule.coolDown
        let picked = pickBalanced(
            excess,
            from: members.filter { $0.isIdle && (state.firstSeen[$0.view.name] ?? now) <= oldEnough },
            idle: members.filter(\.isIdle)
        )
        guard !picked.isEmpty else { return GroupOutcome(action: nil, status: status) }
        for host in picked { state.draining[host] = now + configuration.drainTimeout }
        state.lastScaleDown = now
        status.size -= picked.count
        status.idle -= picked.count
        status.draining += picked.count
        return GroupOutcome(action: .scaleDown(group: rule.group, hosts: picked, reason: reason), status: status)
    }

    /// Picks `count` hosts among `candidates`, each from the balance value that has the
    /// most idle hosts left, so the idle hosts that stay are spread evenly; within a
    /// value, in name order. Without a balance attribute, in name order.
    private func pickBalanced(_ count: Int, from candidates: [Member], idle: [Member]) -> [HostName] {
        let attribute = configuration.balanceAttribute
        func value(_ member: Member) -> String { attribute.flatMap { member.view.attributes[$0] } ?? "" }
        var idleCount: [String: Int] = [:]
        for member in idle { idleCount[value(member), default: 0] += 1 }
        var pool: [String: [HostName]] = [:]
        for member in candidates { pool[value(member), default: []].append(member.view.name) }
        for key in pool.keys { pool[key]?.sort(by: >) }
        var picked: [HostName] = []
        while picked.count < count {
            let choice = pool.filter { !$0.value.isEmpty }.keys.max { lhs, rhs in
                let left = idleCount[lhs] ?? 0
                let right = idleCount[rhs] ?? 0
                return left != right ? left < right : lhs > rhs
            }
            guard let choice, let host = pool[choice]?.popLast() else { break }
            picked.append(host)
            idleCount[choice, default: 0] -= 1
        }
        return picked
    }
}

/// What one evaluation decided, with the figures behind it.
public struct AutoscalingDecision: Sendable {
    /// What to ask the providers for, at most one action per group.
    public var actions: [ScalingAction] = []
    /// Each group with a rule, as the evaluation found it (after its action).
    public var groups: [GroupStatus] = []
    /// The new hosts the waiting tasks need, and the tasks no new host would place.
    public var shortfall: ShortfallEstimate

    public init(actions: [ScalingAction] = [], groups: [GroupStatus] = [], shortfall: ShortfallEstimate) {
        self.actions = actions
        self.groups = groups
        self.shortfall = shortfall
    }
}

/// One host group as an evaluation found it, for metrics and reports.
public struct GroupStatus: Sendable, Hashable {
    public var group: HostGroup
    /// Hosts in the group, not counting those picked for removal.
    public var size: Int
    /// Hosts with no tasks that could take tasks now.
    public var idle: Int
    /// Hosts running tasks.
    public var busy: Int
    /// Hosts picked for removal and not gone yet.
    public var draining: Int
    /// Hosts asked for and not seen yet.
    public var coming: Int
    /// New hosts the waiting tasks counted against this group need.
    public var hostsNeeded: Int
    /// Waiting tasks counted against this group.
    public var waitingTasks: Int
    /// The busy hosts the forecast expects, if one was given.
    public var forecastBusyHosts: Int?
}
