import FenzoCore
import Foundation
import Logging
import Prometheus
import TitanModel
import TitanStore

extension ControlPlane {
    /// The answer every registration and heartbeat carries.
    func directives(kill: [AgentKillDirective]) -> AgentDirectives {
        AgentDirectives(
            heartbeatIntervalSeconds: configuration.heartbeatInterval.timeInterval,
            lostAfterSeconds: configuration.lostAfter.timeInterval,
            kill: kill
        )
    }

    /// `POST /v1/agents/register`: stores the host, offers its resources and compares what it
    /// runs with what the store believes.
    public func register(_ registration: AgentRegistration, simulated: Bool = false) async throws -> AgentDirectives {
        try requireReady()
        let problems =
            Self.problems(of: registration.resources, field: "resources")
            + (registration.agentID.rawValue.isEmpty ? [FieldProblem(field: "agentID", message: "is required")] : [])
        if !problems.isEmpty {
            throw ControlPlaneError(
                .invalidRequest,
                "the registration has \(problems.count) problem(s)",
                problems: problems
            )
        }
        if retiredHosts.contains(registration.agentID) {
            throw ControlPlaneError(
                .conflict,
                "host \(registration.agentID) was removed from the fleet by the autoscaler and cannot register "
                    + "again; start the agent with a new host id"
            )
        }
        let at = now()
        let record = try await store.upsertHost(
            HostRegistration(
                id: registration.agentID,
                address: registration.address,
                resources: registration.resources,
                attributes: registration.attributes
            ),
            now: at
        )
        var host =
            fleet[record.id]
            ?? FleetHost(
                id: record.id,
                address: record.address,
                resources: record.resources,
                attributes: record.attributes,
                isUp: true,
                disabledUntil: record.disabledUntil,
                lastContact: at,
                isSimulated: simulated
            )
        host.address = record.address
        host.resources = record.resources
        host.attributes = record.attributes
        host.isUp = true
        host.disabledUntil = record.disabledUntil
        host.lastContact = at
        host.heartbeatWrittenAt = at
        host.isSimulated = simulated
        fleet[record.id] = host
        await offer(record.id)
        return directives(kill: await compareReport(of: record.id, reported: registration.runningTasks))
    }

    /// `POST /v1/agents/{id}/heartbeat`.
    public func heartbeat(_ hostID: HostID, _ heartbeat: AgentHeartbeat) async throws -> AgentDirectives {
        try requireReady()
        guard var host = fleet[hostID], host.isUp else {
            throw ControlPlaneError(
                .unknownAgent,
                "agent \(hostID) is not registered (or was marked lost); register again"
            )
        }
        let at = now()
        host.lastContact = at
        let writeDue =
            host.heartbeatWrittenAt.map {
                at.timeIntervalSince($0) >= configuration.heartbeatWriteInterval.timeInterval
            } ?? true
        if writeDue { host.heartbeatWrittenAt = at }
        fleet[hostID] = host
        if writeDue { _ = try? await store.recordHeartbeat(hostID: hostID, at: at) }
        return directives(kill: await compareReport(of: hostID, reported: heartbeat.runningTasks))
    }

    /// Compares a host's report with its believed runs: unwanted runs are returned to kill,
    /// runs missing past the grace period are lost.
    func compareReport(of hostID: HostID, reported: [AgentTaskReport]) async -> [AgentKillDirective] {
        guard let host = fleet[hostID] else { return [] }
        let comparison = Reconciliation.compare(
            believed: host.runs,
            unacknowledged: Set(host.unacknowledgedLaunches.values),
            reported: reported,
            missingSince: host.missingSince,
            now: now(),
            grace: configuration.missingRunGrace.timeInterval
        )
        fleet[hostID]?.missingSince = comparison.missingSince
        var kills: [AgentKillDirective] = []
        for report in comparison.unwanted {
            kills.append(
                AgentKillDirective(
                    taskID: report.taskID,
                    attempt: report.attempt,
                    reason: await whyUnwanted(report, on: hostID)
                )
            )
        }
        for run in comparison.stillToKill {
            kills.append(AgentKillDirective(taskID: run.taskID, attempt: run.attempt, reason: "a kill was requested"))
        }
        for (run, state) in comparison.advanced.sorted(by: { $0.key.description < $1.key.description }) {
            await apply(
                AgentStatusUpdate(
                    taskID: run.taskID,
                    attempt: run.attempt,
                    state: state,
                    message: "reported \(state.rawValue) by host \(hostID)",
                    at: now()
                ),
                from: hostID
            )
        }
        for run in comparison.lost {
            await finishRun(
                run,
                on: hostID,
                reason: .lost,
                message: "host \(hostID) no longer reports this run"
            )
        }
        return kills
    }

    private func whyUnwanted(_ report: AgentTaskReport, on hostID: HostID) async -> String {
        guard let task = try? await store.task(id: report.taskID) else { return "no job owns this task" }
        if task.attempt != report.attempt {
            return "attempt \(report.attempt) was replaced by attempt \(task.attempt)"
        }
        if task.state == .finished { return "the task has finished (\(task.finishReason?.rawValue ?? "?"))" }
        if task.host != hostID { return "the task is placed on another host" }
        return "the control plane does not expect this run here"
    }

    /// `GET /v1/agents/{id}/orders`: acknowledges orders up to `after` and returns the next
    /// ones, waiting up to `wait` for some to arrive.
    public func orders(for hostID: HostID, after: Int64, wait: Duration) async throws -> AgentOrders {
        try requireReady()
        guard fleet[hostID]?.isUp == true else {
            throw ControlPlaneError(
                .unknownAgent,
                "agent \(hostID) is not registered (or was marked lost); register again"
            )
        }
        fleet[hostID]?.acknowledge(through: after)
        let deadline = ContinuousClock.now + min(wait, configuration.maximumOrdersWait)
        while true {
            let pending = try await store.pendingOrders(hostID: hostID, acknowledgingThrough: after, limit: 1000)
            var orders: [AgentOrder] = []
            var stale: [Int64] = []
            for queued in pending {
                if let order = await agentOrder(queued) { orders.append(order) } else { stale.append(queued.seq) }
            }
            if !stale.isEmpty {
                try? await store.cancelOrders(stale)
                for seq in stale { fleet[hostID]?.unacknowledgedLaunches[seq] = nil }
            }
            let remaining = deadline - ContinuousClock.now
            if !orders.isEmpty || remaining <= .zero || isShuttingDown || fleet[hostID]?.isUp != true {
                return AgentOrders(orders: orders)
            }
            if stale.isEmpty || pending.count < 1000 {
                await waitForOrders(hostID, timeout: remaining)
            }
        }
    }

    /// The order as the agent gets it; nil for a launch whose run is no longer wanted there.
    private func agentOrder(_ queued: QueuedAgentOrder) async -> AgentOrder? {
        let order = queued.order
        switch order.kind {
        case .kill:
            return AgentOrder(
                seq: queued.seq,
                taskID: order.taskID,
                attempt: order.attempt,
                kill: KillSpec(
                    gracePeriodSeconds: order.gracePeriodSeconds ?? configuration.killGracePeriod.timeInterval,
                    reason: order.reason ?? "kill requested"
                )
            )
        case .launch:
            guard let run = fleet[order.hostID]?.runs[order.taskID], run.attempt == order.attempt, !run.killRequested,
                let spec = await spec(of: run.jobID)
            else { return nil }
            let image: String?
            let command: [String]?
            switch spec.workload {
            case .image(let name):
                image = name
                command = nil
            case .command(let arguments):
                image = nil
                command = arguments
            }
            return AgentOrder(
                seq: queued.seq,
                taskID: order.taskID,
                attempt: order.attempt,
                launch: LaunchSpec(
                    jobID: run.jobID,
                    jobName: spec.name,
                    image: image,
                    command: command,
                    environment: spec.environment,
                    cpus: spec.cpus,
                    memoryMB: spec.memoryMB,
                    diskGB: spec.diskGB,
                    networkMbps: spec.networkMbps ?? 0,
                    ports: run.ports,
                    durationSeconds: spec.durationSeconds,
                    labels: [
                        "titan.job": spec.name, "titan.job.id": run.jobID.rawValue,
                        "titan.task.id": order.taskID.rawValue, "titan.task.attempt": String(order.attempt),
                    ]
                )
            )
        }
    }

    /// `POST /v1/agents/{id}/status`: applies each update in order. Updates about another
    /// attempt, repeats and late reports are acknowledged without moving the task.
    public func applyStatus(_ hostID: HostID, _ batch: AgentStatusBatch) async throws -> AgentStatusAck {
        try requireReady()
        var problems: [FieldProblem] = []
        for (index, update) in batch.updates.enumerated() {
            let field = "updates[\(index)]"
            switch update.state {
            case .startInitiated, .started:
                if update.reason != nil {
                    problems.append(FieldProblem(field: "\(field).reason", message: "is only given for finished"))
                }
            case .finished:
                if update.reason == nil {
                    problems.append(
                        FieldProblem(field: "\(field).reason", message: "is required when state is finished")
                    )
                }
            default:
                problems.append(
                    FieldProblem(
                        field: "\(field).state",
                        message: "agents report startInitiated, started or finished, not \(update.state.rawValue)"
                    )
                )
            }
        }
        if !problems.isEmpty {
            throw ControlPlaneError(
                .invalidRequest,
                "the status batch has \(problems.count) problem(s)",
                problems: problems
            )
        }
        guard fleet[hostID] != nil else {
            throw ControlPlaneError(.unknownAgent, "agent \(hostID) is not registered; register again")
        }
        for update in batch.updates { await apply(update, from: hostID) }
        metrics.statusUpdates.increment(by: Int64(batch.updates.count))
        return AgentStatusAck(accepted: batch.updates.count)
    }

    private func apply(_ update: AgentStatusUpdate, from hostID: HostID) async {
        let run = RunKey(taskID: update.taskID, attempt: update.attempt)
        for _ in 0..<3 {
            guard let task = try? await store.task(id: update.taskID) else {
                _ = try? await store.appendEvent(
                    kind: "agentReportIgnored",
                    jobID: nil,
                    taskID: update.taskID,
                    message:
                        "host \(hostID) reported \(update.state.rawValue) for task \(update.taskID), which no job owns",
                    at: now()
                )
                return
            }
            if task.attempt != update.attempt || task.host != hostID {
                _ = try? await store.appendEvent(
                    kind: "agentReportIgnored",
                    jobID: task.jobID,
                    taskID: task.id,
                    message:
                        "host \(hostID) reported \(update.state.rawValue)\(update.reason.map { " (\($0.rawValue))" } ?? "") for attempt \(update.attempt); the task is in attempt \(task.attempt)",
                    at: now()
                )
                return
            }
            guard task.state.canTransition(to: update.state, reason: update.reason) else { return }
            do {
                let outcome = try await store.recordTransition(
                    TaskTransition(
                        taskID: task.id,
                        attempt: task.attempt,
                        from: task.state,
                        to: update.state,
                        finishReason: update.reason,
                        exitCode: update.exitCode,
                        message: update.message,
                        at: update.at
                    )
                )
                if let pending = fleet[hostID]?.unacknowledgedLaunches.filter({ $0.value == run }).map(\.key) {
                    for seq in pending { fleet[hostID]?.unacknowledgedLaunches[seq] = nil }
                }
                if update.state == .finished {
                    noteRestart(outcome)
                    await forget(run, on: hostID)
                    if outcome.jobStatus.isFinished { jobSpecs[task.jobID] = nil }
                } else if fleet[hostID]?.runs[task.id]?.attempt == task.attempt {
                    fleet[hostID]?.runs[task.id]?.state = update.state
                }
                return
            } catch let error as StoreError where error.code == .transitionConflict {
                continue
            } catch {
                logger.error(
                    "Could not record a status update",
                    metadata: ["task.id": "\(task.id)", "error": "\(error)"]
                )
                return
            }
        }
    }

    /// `POST /v1/agents/{id}/usage`: keeps the latest per run.
    public func recordUsage(_ hostID: HostID, _ report: AgentUsageReport) throws {
        try requireReady()
        guard let host = fleet[hostID] else {
            throw ControlPlaneError(.unknownAgent, "agent \(hostID) is not registered; register again")
        }
        for task in report.tasks where host.runs[task.taskID]?.attempt == task.attempt {
            usage[task.taskID] = task
            metrics.recordUsage(task)
        }
    }

    // MARK: Hosts

    /// Stops placements on a host until `until` (distant future: until enabled).
    public func disableHost(_ hostID: HostID, until: Date) async throws -> HostRecord {
        try requireReady()
        let record = try await store.disableHost(hostID: hostID, until: until, now: now())
        fleet[hostID]?.disabledUntil = record.disabledUntil
        await offer(hostID)
        return record
    }

    /// Lets a host take tasks again.
    public func enableHost(_ hostID: HostID) async throws -> HostRecord {
        try requireReady()
        let record = try await store.enableHost(hostID: hostID, now: now())
        fleet[hostID]?.disabledUntil = nil
        await offer(hostID)
        return record
    }

    // MARK: Hosts the autoscaler removes

    /// Keeps new tasks off hosts the autoscaler picked for removal (disabled until enabled);
    /// their running tasks stay.
    func drainForRemoval(_ hostIDs: [HostID]) async {
        for hostID in hostIDs where fleet[hostID] != nil {
            do {
                let record = try await store.disableHost(hostID: hostID, until: .distantFuture, now: now())
                fleet[hostID]?.disabledUntil = record.disabledUntil
            } catch {
                logger.warning("Could not disable a host picked for removal", metadata: ["host.id": "\(hostID)"])
                fleet[hostID]?.disabledUntil = .distantFuture
            }
            await offer(hostID)
        }
    }

    /// Lets hosts take tasks again whose removal the provider refused.
    func undrain(_ hostIDs: [HostID]) async {
        for hostID in hostIDs where fleet[hostID] != nil {
            _ = try? await store.enableHost(hostID: hostID, now: now())
            fleet[hostID]?.disabledUntil = nil
            await offer(hostID)
        }
    }

    /// Forgets hosts the provider removed: gone from the store (with a `hostRemoved` event),
    /// the fleet and the scheduler; they may not register again under the same id.
    func retireHosts(_ hostIDs: [HostID], reason: String) async {
        for hostID in hostIDs {
            retiredHosts.insert(hostID)
            let runs = fleet.removeValue(forKey: hostID)?.runs ?? [:]
            for (taskID, run) in runs.sorted(by: { $0.key < $1.key }) {
                // Not expected (only idle hosts are removed); if it happens the run is lost.
                await finishRun(
                    RunKey(taskID: taskID, attempt: run.attempt),
                    on: hostID,
                    reason: .lost,
                    message: "host \(hostID) removed: \(reason)"
                )
            }
            do {
                try await store.removeHost(hostID: hostID, reason: reason, now: now())
            } catch {
                logger.warning("Could not remove a host from the store", metadata: ["host.id": "\(hostID)"])
            }
            await scheduling.forgetHost(hostID.hostName)
            signalOrders(hostID)
        }
        updateHostGauges()
    }

    /// Offers the host's resources if it takes tasks now, or withdraws its offer.
    func offer(_ hostID: HostID) async {
        guard let host = fleet[hostID] else { return }
        if host.takesTasks(at: now()) {
            await scheduling.setHost(
                PlacementRequests.capacity(of: hostID, resources: host.resources, attributes: host.attributes)
            )
        } else {
            await scheduling.removeHost(hostID.hostName)
        }
        updateHostGauges()
    }

    func updateHostGauges() {
        let up = fleet.values.filter(\.isUp).count
        metrics.hostsUp.set(to: Double(up))
        metrics.hostsDown.set(to: Double(fleet.count - up))
    }

    /// Marks hosts lost whose heartbeats stopped, and re-offers hosts whose disable ran out.
    func markSilentHostsLost() async {
        guard isReady, !isShuttingDown else { return }
        let at = now()
        let lostAfter = configuration.lostAfter.timeInterval
        for host in fleet.values.sorted(by: { $0.id < $1.id }) {
            if host.isUp, at.timeIntervalSince(host.lastContact) >= lostAfter {
                await hostLost(host.id, message: "no heartbeat for \(Int(lostAfter)) s")
            } else if let until = host.disabledUntil, until <= at, host.isUp {
                fleet[host.id]?.disabledUntil = nil
                await offer(host.id)
            }
        }
    }

    /// A host stopped answering: it takes no tasks, and every run on it is lost (restart
    /// policy decides what follows).
    func hostLost(_ hostID: HostID, message: String) async {
        guard var host = fleet[hostID], host.isUp else { return }
        host.isUp = false
        let runs = host.runs
        fleet[hostID] = host
        logger.warning("Host lost", metadata: ["host.id": "\(hostID)", "runs": "\(runs.count)"])
        await scheduling.removeHost(hostID.hostName)
        updateHostGauges()
        _ = try? await store.setHostState(hostID: hostID, state: .down, now: now())
        for (taskID, run) in runs.sorted(by: { $0.key < $1.key }) {
            await finishRun(
                RunKey(taskID: taskID, attempt: run.attempt),
                on: hostID,
                reason: .lost,
                message: "host \(hostID) lost: \(message)"
            )
        }
        signalOrders(hostID)
    }
}

extension ControlPlane {
    static func problems(of resources: HostResources, field: String) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        // At least a hundredth of a cpu: smaller (denormal) amounts overflow the scheduler's
        // arithmetic, and no real host offers them.
        if !(resources.cpus >= 0.01 && resources.cpus <= 100_000) {
            problems.append(
                FieldProblem(field: "\(field).cpus", message: "must be 0.01 to 100000 (got \(resources.cpus))")
            )
        }
        if resources.memoryMB <= 0 {
            problems.append(
                FieldProblem(field: "\(field).memoryMB", message: "must be greater than 0 (got \(resources.memoryMB))")
            )
        }
        if resources.diskGB < 0 {
            problems.append(
                FieldProblem(field: "\(field).diskGB", message: "must be at least 0 (got \(resources.diskGB))")
            )
        }
        if resources.networkMbps < 0 {
            problems.append(
                FieldProblem(
                    field: "\(field).networkMbps",
                    message: "must be at least 0 (got \(resources.networkMbps))"
                )
            )
        }
        for (index, range) in resources.portRanges.enumerated()
        where range.first < 1 || range.last > 65535 || range.first > range.last {
            problems.append(
                FieldProblem(
                    field: "\(field).portRanges[\(index)]",
                    message: "must be a range within 1-65535 with first <= last (got \(range.first)-\(range.last))"
                )
            )
        }
        return problems
    }
}
