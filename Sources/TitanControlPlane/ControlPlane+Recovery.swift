import FenzoCore
import Foundation
import Logging
import Prometheus
import TitanModel
import TitanStore

extension ControlPlane {
    /// Rebuilds what the control plane holds in memory from the store, then serves.
    ///
    /// Jobs not finished, every task that may still run, hosts and unacknowledged orders are
    /// read back. Runs on hosts count against those hosts again; waiting tasks are queued
    /// again. Hosts found in the store get `lostAfter` from now to report (register or
    /// heartbeat); those that do not are lost, and their runs follow restart policy. A run a
    /// host no longer reports is lost after the grace period; a run a host reports that no
    /// job wants there is killed.
    public func recover() async throws {
        let started = ContinuousClock.now
        let at = now()
        var cursor: String?
        repeat {
            let page = try await store.listJobs(
                filter: JobFilter(statuses: [.active, .killing]),
                page: PageRequest(limit: PageRequest.maximumLimit, cursor: cursor)
            )
            for job in page.items { jobSpecs[job.id] = job.spec }
            cursor = page.nextCursor
        } while cursor != nil
        for record in try await store.hosts() {
            fleet[record.id] = FleetHost(
                id: record.id,
                address: record.address,
                resources: record.resources,
                attributes: record.attributes,
                isUp: record.state == .up,
                disabledUntil: record.disabledUntil,
                lastContact: at,
                heartbeatWrittenAt: record.lastHeartbeatAt,
                isSimulated: record.address.hasPrefix("simulated://")
            )
        }
        let live = try await store.tasksInStates(Set(TaskState.allCases).subtracting([.finished]))
        var running: [PlacementRun] = []
        var waiting: [JobID: [TaskRecord]] = [:]
        var orphaned: [(RunKey, HostID)] = []
        for task in live {
            guard let spec = await spec(of: task.jobID) else { continue }
            let run = RunKey(taskID: task.id, attempt: task.attempt)
            if task.state == .accepted {
                if !task.killRequested { waiting[task.jobID, default: []].append(task) }
                continue
            }
            guard let host = task.host, fleet[host]?.isUp == true else {
                if let host = task.host { orphaned.append((run, host)) }
                continue
            }
            fleet[host]?.runs[task.id] = BelievedRun(
                jobID: task.jobID,
                attempt: task.attempt,
                state: task.state,
                ports: task.ports,
                killRequested: task.killRequested
            )
            running.append(
                PlacementRun(
                    task: PlacementRequests.queued(run, jobID: task.jobID, cell: task.cell, spec: spec),
                    host: host.hostName,
                    ports: task.ports
                )
            )
        }
        await scheduling.addRunning(running)
        for host in fleet.values where host.isUp {
            let pending = try await store.pendingOrders(
                hostID: host.id,
                acknowledgingThrough: 0,
                limit: PageRequest.maximumLimit
            )
            for order in pending where order.order.kind == .launch {
                fleet[host.id]?.unacknowledgedLaunches[order.seq] = RunKey(
                    taskID: order.order.taskID,
                    attempt: order.order.attempt
                )
            }
            await offer(host.id)
        }
        for (jobID, tasks) in waiting {
            guard let spec = jobSpecs[jobID] else { continue }
            await submit(tasks, spec: spec)
        }
        isReady = true
        metrics.ready.set(to: 1.0)
        updateHostGauges()
        logger.info(
            "Recovered state",
            metadata: [
                "jobs": "\(jobSpecs.count)", "tasks.live": "\(live.count)", "tasks.onHosts": "\(running.count)",
                "hosts": "\(fleet.count)", "duration": "\(ContinuousClock.now - started)",
            ]
        )
        for (run, host) in orphaned {
            await finishRun(run, on: host, reason: .lost, message: "host \(host) was down when titan-api started")
        }
    }

    /// The periodic pass: compares the store's live runs with the fleet's beliefs and the
    /// scheduling queue with the store's waiting tasks, and repairs any difference.
    public func reconcile() async {
        guard isReady, !isShuttingDown else { return }
        let live: [TaskRecord]
        do {
            live = try await store.tasksInStates(Set(TaskState.allCases).subtracting([.finished]))
        } catch {
            logger.error("Reconciliation could not read the store", metadata: ["error": "\(error)"])
            return
        }
        lastReconciliation = now()
        let onHosts = live.compactMap { task in
            task.state.isOnHost
                ? task.host.map { (run: RunKey(taskID: task.id, attempt: task.attempt), host: $0) } : nil
        }
        let fleetRuns = fleet.values.flatMap { host in
            host.runs.map { (run: RunKey(taskID: $0.key, attempt: $0.value.attempt), host: host.id) }
        }
        let pass = Reconciliation.storePass(
            storeRuns: onHosts,
            fleetRuns: fleetRuns,
            upHosts: Set(fleet.values.filter(\.isUp).map(\.id))
        )
        let byRun = Dictionary(
            live.map { (RunKey(taskID: $0.id, attempt: $0.attempt), $0) },
            uniquingKeysWith: { a, _ in a }
        )
        for run in pass.forgotten {
            guard let host = fleet.values.first(where: { $0.runs[run.taskID]?.attempt == run.attempt })?.id else {
                continue
            }
            // The store may have moved on while we read it; only forget what it still does not have.
            if let task = try? await store.task(id: run.taskID), task.attempt == run.attempt, task.state.isOnHost,
                task.host == host
            {
                continue
            }
            await forget(run, on: host)
        }
        for run in pass.adopted {
            guard let task = byRun[run], let host = task.host, let spec = await spec(of: task.jobID) else { continue }
            fleet[host]?.runs[task.id] = BelievedRun(
                jobID: task.jobID,
                attempt: task.attempt,
                state: task.state,
                ports: task.ports,
                killRequested: task.killRequested
            )
            await scheduling.addRunning([
                PlacementRun(
                    task: PlacementRequests.queued(run, jobID: task.jobID, cell: task.cell, spec: spec),
                    host: host.hostName,
                    ports: task.ports
                )
            ])
        }
        for run in pass.lostRuns {
            guard let host = byRun[run]?.host else { continue }
            await finishRun(run, on: host, reason: .lost, message: "host \(host) is down or unknown")
        }
        // Pending reasons are only kept for tasks still waiting.
        let waitingTasks = Set(live.filter { $0.state == .accepted }.map(\.id))
        writtenPendingReasons = writtenPendingReasons.filter { waitingTasks.contains($0.key) }
        // The queue against the store's waiting tasks.
        let queued = await scheduling.queuedTaskIDs()
        let waiting = live.filter { $0.state == .accepted && !$0.killRequested }
        let waitingIDs = Set(waiting.map { RunKey(taskID: $0.id, attempt: $0.attempt).schedulerID })
        let extra = queued.subtracting(waitingIDs)
        if !extra.isEmpty { await scheduling.withdraw(Array(extra)) }
        let missing = waiting.filter { !queued.contains(RunKey(taskID: $0.id, attempt: $0.attempt).schedulerID) }
        for (jobID, tasks) in Dictionary(grouping: missing, by: \.jobID) {
            // Placed meanwhile? Only tasks the store still has waiting are queued again.
            guard let spec = await spec(of: jobID) else { continue }
            var stillWaiting: [TaskRecord] = []
            for task in tasks {
                if let current = try? await store.task(id: task.id), current.state == .accepted,
                    current.attempt == task.attempt,
                    fleet.values.allSatisfy({ $0.runs[task.id]?.attempt != task.attempt })
                {
                    stillWaiting.append(current)
                }
            }
            await submit(stillWaiting, spec: spec)
        }
    }
}
