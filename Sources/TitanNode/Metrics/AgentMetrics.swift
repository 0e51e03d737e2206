import CTitanLinux
import Foundation
import TitanModel

/// The agent's `/metrics` page in the Prometheus text format: its own figures and each
/// running task's latest cpu and memory sample.
public enum AgentMetrics {
    /// What the page shows besides tasks.
    public struct AgentFigures: Sendable {
        public var agentID: HostID
        public var runningTasks: Int
        public var pendingStatusUpdates: Int
        public var residentMemoryBytes: UInt64?
        public var registered: Bool

        public init(
            agentID: HostID,
            runningTasks: Int,
            pendingStatusUpdates: Int,
            residentMemoryBytes: UInt64?,
            registered: Bool
        ) {
            self.agentID = agentID
            self.runningTasks = runningTasks
            self.pendingStatusUpdates = pendingStatusUpdates
            self.residentMemoryBytes = residentMemoryBytes
            self.registered = registered
        }
    }

    public static func render(_ agent: AgentFigures, tasks: [(usage: TaskUsage, jobID: JobID)]) -> String {
        var lines: [String] = []
        func metric(_ name: String, _ type: String, _ help: String) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
        }
        let agentLabel = "agent=\"\(escape(agent.agentID.rawValue))\""
        metric("titan_agent_running_tasks", "gauge", "Runs the agent is supervising.")
        lines.append("titan_agent_running_tasks{\(agentLabel)} \(agent.runningTasks)")
        metric("titan_agent_pending_status_updates", "gauge", "Status updates queued on disk, not yet acknowledged.")
        lines.append("titan_agent_pending_status_updates{\(agentLabel)} \(agent.pendingStatusUpdates)")
        metric("titan_agent_registered", "gauge", "1 while titan-api knows this agent.")
        lines.append("titan_agent_registered{\(agentLabel)} \(agent.registered ? 1 : 0)")
        if let rss = agent.residentMemoryBytes {
            metric("titan_agent_resident_memory_bytes", "gauge", "Resident memory of the agent process.")
            lines.append("titan_agent_resident_memory_bytes{\(agentLabel)} \(rss)")
        }
        let sorted = tasks.sorted {
            ($0.usage.taskID.rawValue, $0.usage.attempt) < ($1.usage.taskID.rawValue, $1.usage.attempt)
        }
        metric("titan_task_cpu_seconds_total", "counter", "CPU time a run has used.")
        for task in sorted {
            lines.append("titan_task_cpu_seconds_total{\(labels(task))} \(task.usage.cpuSeconds)")
        }
        metric("titan_task_cpu_percent", "gauge", "CPU use over the last interval, in percent of one cpu.")
        for task in sorted {
            lines.append("titan_task_cpu_percent{\(labels(task))} \(task.usage.cpuPercent)")
        }
        metric("titan_task_memory_bytes", "gauge", "Memory a run uses (working set).")
        for task in sorted {
            lines.append("titan_task_memory_bytes{\(labels(task))} \(task.usage.memoryBytes)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func labels(_ task: (usage: TaskUsage, jobID: JobID)) -> String {
        "task=\"\(escape(task.usage.taskID.rawValue))\",attempt=\"\(task.usage.attempt)\",job=\"\(escape(task.jobID.rawValue))\""
    }

    private static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Hands memory malloc keeps free back to the system, so resident memory follows what the
    /// agent holds rather than its peak (bursts of launches leave freed memory behind).
    public static func releaseFreeMemory() {
        _ = titan_malloc_trim()
    }

    /// Bytes the agent has allocated on the heap and not freed.
    public static func heapInUseBytes() -> UInt64 { titan_heap_in_use_bytes() }

    /// The agent process's resident memory, from /proc/self/status.
    public static func residentMemoryBytes() -> UInt64? {
        guard let status = FileIO.readText("/proc/self/status"),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return nil }
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 2, let kilobytes = UInt64(fields[1]) else { return nil }
        return kilobytes * 1024
    }
}
