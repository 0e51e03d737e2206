import Foundation
import Hummingbird
import TitanModel
import TitanStore

/// `GET /v1/status`: the fleet at a glance (``FleetStatus``), for `titanctl status`.
enum StatusRoutes {
    static func add(_ router: Router<BasicRequestContext>, _ controlPlane: ControlPlane) {
        router.get("v1/status") { request, _ in
            try request.checkQuery(allowed: [])
            var status = try await fleetStatus(store: controlPlane.store, now: Date())
            status.autoscaler = controlPlane.autoscalerStatus
            return try JSONResponse.make(status)
        }
    }

    /// Hosts, live tasks counted by job, host and state, and the specs of jobs on hosts, from
    /// the store. The SQLite store counts with aggregate queries (tens of milliseconds for
    /// 100,000 live tasks, measured in Docs/titanctl.md); other stores list the tasks.
    static func fleetStatus(store: any TitanStorage, now: Date) async throws -> FleetStatus {
        let hosts = try await store.hosts()
        let tally: LiveTaskTally
        if let database = store as? TitanDatabase {
            tally = try await database.liveTaskTally(
                exampleLimit: PendingTaskGroup.exampleLimit,
                exampleGroupLimit: FleetStatusSummary.groupLimit
            )
        } else {
            tally = LiveTaskTally(
                liveTasks: try await store.tasksInStates(Set(TaskState.allCases.filter(\.isActive))),
                exampleLimit: PendingTaskGroup.exampleLimit
            )
        }
        var specs: [JobID: JobSpec] = [:]
        for jobID in Set(tally.groups.filter(\.state.isOnHost).map(\.jobID)) {
            if let job = try await store.job(id: jobID) { specs[jobID] = job.spec }
        }
        return FleetStatusSummary.summarize(hosts: hosts, tally: tally, specs: specs, now: now)
    }
}

/// The fleet status as a function of what the store holds, so it is tested without a server.
enum FleetStatusSummary {
    /// The most pending-reason groups listed; the rest are folded into the last one.
    static let groupLimit = 20

    /// - Parameters:
    ///   - hosts: every host.
    ///   - tally: the live tasks, counted.
    ///   - specs: the specs of the jobs of tasks on hosts (a missing one counts as no resources).
    ///   - now: when disables are judged.
    static func summarize(hosts: [HostRecord], tally: LiveTaskTally, specs: [JobID: JobSpec], now: Date) -> FleetStatus
    {
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
        for group in tally.groups {
            counts[group.state] += group.count
            guard group.state.isOnHost, let host = group.host, upIDs.contains(host), let spec = specs[group.jobID]
            else { continue }
            used.cpus += spec.cpus * Double(group.count)
            used.memoryMB += spec.memoryMB * group.count
            used.diskGB += spec.diskGB * group.count
            used.networkMbps += (spec.networkMbps ?? 0) * group.count
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
            jobsWithLiveTasks: Set(tally.groups.map(\.jobID)).count,
            pending: pendingGroups(tally.waiting),
            autoscaler: AutoscalerStatus(enabled: false, actions: [])
        )
    }

    /// The waiting groups as the API shows them, most tasks first; past ``groupLimit`` groups,
    /// the rest are folded into one "N other reasons" group (its job count is at most the sum).
    static func pendingGroups(_ waiting: [LiveTaskTally.Waiting]) -> [PendingTaskGroup] {
        let groups = waiting.map {
            PendingTaskGroup(
                reason: $0.reason ?? PendingTaskGroup.notTriedReason,
                taskCount: $0.taskCount,
                jobCount: $0.jobCount,
                exampleTaskIDs: Array($0.examples.prefix(PendingTaskGroup.exampleLimit))
            )
        }
        guard groups.count > groupLimit else { return groups }
        let rest = groups[(groupLimit - 1)...]
        let folded = PendingTaskGroup(
            reason: "\(rest.count) other reasons",
            taskCount: rest.reduce(0) { $0 + $1.taskCount },
            jobCount: rest.reduce(0) { $0 + $1.jobCount },
            exampleTaskIDs: Array(rest.flatMap(\.exampleTaskIDs).prefix(PendingTaskGroup.exampleLimit))
        )
        return Array(groups.prefix(groupLimit - 1)) + [folded]
    }
}
