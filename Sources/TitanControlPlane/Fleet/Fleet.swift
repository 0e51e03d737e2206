import Foundation
import TitanModel

/// A run the control plane believes is on a host.
struct BelievedRun: Hashable, Sendable {
    var jobID: JobID
    var attempt: Int
    var state: TaskState
    var ports: [Int]
    var killRequested: Bool
}

/// What the control plane knows about one host, in memory; the store has the durable part.
struct FleetHost: Sendable {
    var id: HostID
    var address: String
    var resources: HostResources
    var attributes: [String: String]
    var isUp: Bool
    var disabledUntil: Date?
    /// The last registration or heartbeat (or the API's start, for hosts found in the store).
    var lastContact: Date
    /// When the last heartbeat was written to the store (they are written at most every few
    /// intervals: liveness is decided in memory).
    var heartbeatWrittenAt: Date?
    var runs: [TaskInstanceID: BelievedRun] = [:]
    /// Launch orders the agent has not acknowledged yet, by sequence number: their runs are
    /// not missing when the agent does not report them.
    var unacknowledgedLaunches: [Int64: RunKey] = [:]
    /// Runs the agent did not report, since when.
    var missingSince: [RunKey: Date] = [:]
    var isSimulated: Bool

    func takesTasks(at now: Date) -> Bool { isUp && !(disabledUntil.map { $0 > now } ?? false) }

    /// Forgets launch orders the agent acknowledged (every one numbered `through` or lower).
    mutating func acknowledge(through seq: Int64) {
        guard unacknowledgedLaunches.keys.contains(where: { $0 <= seq }) else { return }
        unacknowledgedLaunches = unacknowledgedLaunches.filter { $0.key > seq }
    }
}

/// How a host's report (registration or heartbeat) compares with what the control plane
/// believes runs there.
struct ReportComparison: Equatable, Sendable {
    /// Reported runs nobody wants there: to be killed.
    var unwanted: [AgentTaskReport] = []
    /// Believed runs whose kill was requested and that still run: to be killed again.
    var stillToKill: [RunKey] = []
    /// Believed runs the host reports further along than the store has them (a status update
    /// was lost): the state to record.
    var advanced: [RunKey: TaskState] = [:]
    /// Believed runs missing from reports for longer than the grace period: lost.
    var lost: [RunKey] = []
    /// Believed runs missing, and since when (kept for the next report).
    var missingSince: [RunKey: Date] = [:]
}

/// Reconciliation decisions as functions of values, so they are tested without a network.
enum Reconciliation {
    /// Compares a host's report with the runs believed on it.
    ///
    /// - A reported run is wanted only if the same attempt of the task is believed on this
    ///   host; anything else (a task no job owns, a replaced attempt, a task placed elsewhere,
    ///   a finished one) is unwanted and gets killed.
    /// - A believed run that is not reported is missing, unless its launch order has not been
    ///   acknowledged yet (the agent has not got it). Missing longer than `grace` means lost:
    ///   the grace covers a heartbeat that crossed a launch or a finish in flight.
    static func compare(
        believed: [TaskInstanceID: BelievedRun],
        unacknowledged: Set<RunKey>,
        reported: [AgentTaskReport],
        missingSince: [RunKey: Date],
        now: Date,
        grace: TimeInterval
    ) -> ReportComparison {
        var comparison = ReportComparison()
        var seen = Set<RunKey>()
        for report in reported {
            let key = RunKey(taskID: report.taskID, attempt: report.attempt)
            guard seen.insert(key).inserted else { continue }
            if let run = believed[report.taskID], run.attempt == report.attempt {
                if run.killRequested { comparison.stillToKill.append(key) }
                if run.state == .launched && (report.state == .startInitiated || report.state == .started)
                    || run.state == .startInitiated && report.state == .started
                {
                    comparison.advanced[key] = report.state
                }
            } else {
                comparison.unwanted.append(report)
            }
        }
        for (taskID, run) in believed.sorted(by: { $0.key < $1.key }) {
            let key = RunKey(taskID: taskID, attempt: run.attempt)
            if seen.contains(key) || unacknowledged.contains(key) { continue }
            let since = missingSince[key] ?? now
            if now.timeIntervalSince(since) >= grace {
                comparison.lost.append(key)
            } else {
                comparison.missingSince[key] = since
            }
        }
        return comparison
    }

    /// What the store believes against what the control plane holds in memory, for the
    /// periodic pass.
    struct StorePass: Equatable, Sendable {
        /// Runs on hosts that are down or unknown: lost.
        var lostRuns: [RunKey] = []
        /// Runs the store has on an up host that the fleet did not know: now believed.
        var adopted: [RunKey] = []
        /// Runs the fleet believes that the store no longer has live there: forgotten.
        var forgotten: [RunKey] = []
    }

    /// Compares the store's live tasks on hosts with the fleet's beliefs.
    /// - Parameters:
    ///   - storeRuns: every task the store has on a host and not finished: (run, host).
    ///   - fleetRuns: every run the fleet believes, with its host.
    ///   - upHosts: the hosts that are up.
    static func storePass(
        storeRuns: [(run: RunKey, host: HostID)],
        fleetRuns: [(run: RunKey, host: HostID)],
        upHosts: Set<HostID>
    ) -> StorePass {
        var pass = StorePass()
        let believed = Set(fleetRuns.map { FleetRunKey(run: $0.run, host: $0.host) })
        let stored = Set(storeRuns.map { FleetRunKey(run: $0.run, host: $0.host) })
        for (run, host) in storeRuns {
            if !upHosts.contains(host) {
                pass.lostRuns.append(run)
            } else if !believed.contains(FleetRunKey(run: run, host: host)) {
                pass.adopted.append(run)
            }
        }
        for (run, host) in fleetRuns where !stored.contains(FleetRunKey(run: run, host: host)) {
            pass.forgotten.append(run)
        }
        return pass
    }

    private struct FleetRunKey: Hashable {
        var run: RunKey
        var host: HostID
    }
}
