import Foundation
import Hummingbird
import TitanModel
import TitanStore

/// `GET /v1/status`: the fleet at a glance (``FleetStatus``), for `titanctl status`.
enum StatusRoutes {
    static func add(_ router: Router<BasicRequestContext>, _ controlPlane: ControlPlane) {
        router.get("v1/status") { request, _ in
            try request.checkQuery(allowed: [])
            return try JSONResponse.make(try await fleetStatus(store: controlPlane.store, now: Date()))
        }
    }

    /// Reads hosts, live tasks and their jobs' specs from the store and sums them up.
    ///
    /// The cost grows with the live tasks, which are all read (a store read: it waits for no
    /// actor, so a busy scheduler does not slow it down).
    static func fleetStatus(store: any TitanStorage, now: Date) async throws -> FleetStatus {
        let hosts = try await store.hosts()
        let live = try await store.tasksInStates(Set(TaskState.allCases.filter(\.isActive)))
        var specs: [JobID: JobSpec] = [:]
        for jobID in Set(live.filter(\.state.isOnHost).map(\.jobID)) {
            if let job = try await store.job(id: jobID) { specs[jobID] = job.spec }
        }
        return FleetStatusSummary.summarize(hosts: hosts, liveTasks: live, specs: specs, now: now)
    }
}

/// The fleet status as a function of what the store holds, so it is tested without a server.
enum FleetStatusSummary {
    /// The most pending-reason groups listed; the rest are counted in the last one.
    static let groupLimit = 20

    /// - Parameters:
    ///   - hosts: every host.
    ///   - liveTasks: every task not finished, by job and instance index.
    ///   - specs: the specs of the jobs of tasks on hosts (a missing one counts as no resources).
    ///   - now: when disables are judged.
    static func summarize(
        hosts: [HostRecord],
        liveTasks: [TaskRecord],
        specs: [JobID: JobSpec],
        now: Date
    ) -> FleetStatus {
        var capacity = ResourceAmounts()
        let upHosts = hosts.filter { $0.state == .up }
        for host in upHosts {
            capacity.cpus += host.resources.cpus
            capacity.memoryMB += host.resources.memoryMB
            capacity.diskGB += host.resources.diskGB
            capacity.networkMbps += host.resources.networkMbps
        }
        let upIDs = Set(upHosts.map(\.id))
        var used = ResourceAmounts()
        var counts = TaskStateCounts()
        for task in liveTasks {
            counts[task.state] += 1
            guard task.state.isOnHost, let host = task.host, upIDs.contains(host), let spec = specs[task.jobID]
            else { continue }
            used.cpus += spec.cpus
            used.memoryMB += spec.memoryMB
            used.diskGB += spec.diskGB
            used.networkMbps += spec.networkMbps ?? 0
        }
        return FleetStatus(
            at: now,
            hosts: HostCounts(
                total: hosts.count,
                up: upHosts.count,
                down: hosts.count - upHosts.count,
                disabled: hosts.filter { $0.isDisabled(at: now) }.count
            ),
            capacity: capacity,
            used: used,
            tasks: counts,
            jobsWithLiveTasks: Set(liveTasks.map(\.jobID)).count,
            pending: pendingGroups(liveTasks.filter { $0.state == .accepted }),
            autoscaler: AutoscalerStatus(enabled: false, actions: [])
        )
    }

    /// Waiting tasks grouped by reason, most tasks first (then by reason); past
    /// ``groupLimit`` groups, the rest are folded into one "other reasons" group.
    static func pendingGroups(_ waiting: [TaskRecord]) -> [PendingTaskGroup] {
        var byReason: [String: [TaskRecord]] = [:]
        for task in waiting {
            byReason[task.pendingReason ?? PendingTaskGroup.notTriedReason, default: []].append(task)
        }
        // The store lists tasks by job and instance index, so the first ones are the examples.
        var groups = byReason.map { reason, tasks in
            PendingTaskGroup(
                reason: reason,
                taskCount: tasks.count,
                jobCount: Set(tasks.map(\.jobID)).count,
                exampleTaskIDs: tasks.prefix(PendingTaskGroup.exampleLimit).map(\.id)
            )
        }
        groups.sort { ($1.taskCount, $0.reason) < ($0.taskCount, $1.reason) }
        guard groups.count > groupLimit else { return groups }
        let rest = groups[(groupLimit - 1)...]
        let restTasks = rest.flatMap { group in byReason[group.reason] ?? [] }
        return Array(groups.prefix(groupLimit - 1)) + [
            PendingTaskGroup(
                reason: "\(rest.count) other reasons",
                taskCount: rest.reduce(0) { $0 + $1.taskCount },
                jobCount: Set(restTasks.map(\.jobID)).count,
                exampleTaskIDs: rest.flatMap(\.exampleTaskIDs).prefix(PendingTaskGroup.exampleLimit).map { $0 }
            )
        ]
    }
}
