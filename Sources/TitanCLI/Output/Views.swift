import Foundation
import TitanModel

/// Tables and details for the API's types, as titanctl prints them for people.
public enum Views {
    // MARK: Jobs

    /// `ID  NAME  KIND  STATUS  INSTANCES  TIER  AGE`; INSTANCES is those wanted, or
    /// started/wanted when the API counted them.
    public static func jobs(_ jobs: [JobSummary], now: Date, style: TextStyle) -> String {
        var table = Table(headers: ["ID", "NAME", "KIND", "STATUS", "INSTANCES", "TIER", "AGE"])
        for job in jobs {
            table.append([
                Table.Cell(job.id.rawValue),
                Table.Cell(job.name),
                Table.Cell(job.kind.rawValue),
                Table.Cell(job.status.rawValue, colour(of: job.status)),
                Table.Cell(
                    job.taskCounts.map { "\($0.started)/\(job.desiredInstances) started" }
                        ?? String(job.desiredInstances)
                ),
                Table.Cell(job.tier.rawValue),
                Table.Cell(Formatting.age(from: job.createdAt, to: now)),
            ])
        }
        return table.render(style: style)
    }

    /// One job: what it is, how many tasks are in each state, what each task gets, and its spec.
    public static func job(_ detail: JobDetail, now: Date, style: TextStyle) -> String {
        let job = detail.job
        let spec = detail.spec
        var list = DetailList()
        list.add("Job", job.id.rawValue)
        list.add(
            "Name",
            job.name + (job.applicationName != job.name ? " (application \(job.applicationName))" : "")
                + (job.version.isEmpty ? "" : ", version \(job.version)")
        )
        list.add("Kind", "\(job.kind.rawValue), tier \(job.tier.rawValue), capacity group \(job.capacityGroup)")
        list.add("Status", paint(job.status.rawValue, colour(of: job.status), style))
        list.add("Instances", instances(wanted: job.desiredInstances, counts: job.taskCounts))
        list.add("Location", Formatting.location(spec.location))
        var resources = "\(Formatting.number(spec.cpus)) cpus, \(Formatting.memory(megabytes: spec.memoryMB)) memory, "
        resources += "\(spec.diskGB) GB disk"
        if spec.ports > 0 { resources += ", \(spec.ports) port\(spec.ports == 1 ? "" : "s")" }
        if let network = spec.networkMbps { resources += ", \(network) Mbps" }
        list.add("Each task", resources)
        switch spec.workload {
        case .image(let image): list.add("Image", image)
        case .command(let arguments): list.add("Command", Formatting.commandLine(arguments))
        }
        if !spec.environment.isEmpty {
            list.add(
                "Environment",
                spec.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\n")
            )
        }
        var restart = spec.restartOnFailure ? "on failure (up to \(spec.numRetries) retries)" : "not on failure"
        restart += spec.restartOnSuccess ? ", on success" : ", not on success"
        list.add("Restarts", restart)
        if !spec.hardConstraints.isEmpty {
            list.add("Hard constraints", spec.hardConstraints.map(Formatting.constraint).joined(separator: "; "))
        }
        if !spec.softConstraints.isEmpty {
            list.add("Soft constraints", spec.softConstraints.map(Formatting.constraint).joined(separator: "; "))
        }
        if let duration = spec.durationSeconds { list.add("Duration", "\(Formatting.number(duration)) s (simulated)") }
        list.add("Created", Formatting.time(job.createdAt, now: now))
        list.add("Updated", Formatting.time(job.updatedAt, now: now))
        return list.render(style: style)
    }

    /// `5 wanted: 3 started, 2 accepted`.
    static func instances(wanted: Int, counts: TaskStateCounts?) -> String {
        guard let counts else { return "\(wanted) wanted" }
        let states = TaskState.allCases.filter { counts[$0] > 0 }.map { "\(counts[$0]) \($0.rawValue)" }
        return "\(wanted) wanted" + (states.isEmpty ? "" : ": " + states.joined(separator: ", "))
    }

    static func colour(of status: JobStatus) -> Table.Cell.Colour {
        switch status {
        case .active, .succeeded: .green
        case .killing: .yellow
        case .failed: .red
        case .killed: .dim
        }
    }

    // MARK: Tasks

    /// `ID  STATE  HOST  CELL  ATTEMPT  AGE  REASON`; REASON is why a waiting task waits, or
    /// how a finished one ended.
    public static func tasks(_ tasks: [TaskSummary], now: Date, style: TextStyle) -> String {
        var table = Table(headers: ["ID", "STATE", "HOST", "CELL", "ATTEMPT", "AGE", "REASON"])
        for task in tasks {
            table.append([
                Table.Cell(task.id.rawValue),
                Table.Cell(task.state.rawValue, colour(of: task)),
                Table.Cell(task.host?.rawValue ?? "-"),
                Table.Cell(task.cell.rawValue),
                Table.Cell(String(task.attempt)),
                Table.Cell(Formatting.age(from: task.createdAt, to: now)),
                Table.Cell(reason(of: task)),
            ])
        }
        return table.render(style: style)
    }

    /// Why a task is where it is, in one line.
    static func reason(of task: TaskSummary) -> String {
        switch task.state {
        case .accepted:
            if let restart = task.nextRestartAt { return "restarts at \(TitanJSON.format(restart))" }
            return task.pendingReason ?? "waiting for the scheduler"
        case .finished:
            var text = task.finishReason?.rawValue ?? "finished"
            if let code = task.exitCode { text += " (exit \(code))" }
            if let message = task.message, !message.isEmpty { text += ": \(message)" }
            if let restart = task.nextRestartAt { text += "; restarts at \(TitanJSON.format(restart))" }
            return text
        default:
            return task.killRequested ? "kill requested" : (task.message ?? "")
        }
    }

    static func colour(of task: TaskSummary) -> Table.Cell.Colour {
        switch task.state {
        case .started: .green
        case .accepted: .yellow
        case .launched, .startInitiated: .cyan
        case .killInitiated: .yellow
        case .finished: task.finishReason == .succeeded || task.finishReason == .killed ? .dim : .red
        }
    }

    /// One task: where it runs, why it waits (its pending reason), its resource use and history.
    public static func task(_ detail: TaskDetail, now: Date, style: TextStyle) -> String {
        let task = detail.task
        var list = DetailList()
        list.add("Task", task.id.rawValue)
        list.add("Job", task.jobID.rawValue)
        list.add("Instance", "\(task.instanceIndex) in cell \(task.cell.rawValue)")
        list.add("State", paint(task.state.rawValue, colour(of: task), style))
        list.add("Attempt", "\(task.attempt) (\(task.retriesUsed) failure retries used)")
        if task.state == .accepted {
            list.add("Pending reason", task.pendingReason ?? "not tried yet: waiting for the next scheduling iteration")
        }
        if let host = task.host { list.add("Host", host.rawValue) }
        if !task.ports.isEmpty { list.add("Ports", task.ports.map(String.init).joined(separator: ", ")) }
        if let reason = task.finishReason {
            list.add("Finished", reason.rawValue + (task.exitCode.map { " (exit \($0))" } ?? ""))
        }
        if let message = task.message, !message.isEmpty { list.add("Message", message) }
        if task.killRequested { list.add("Kill", "requested") }
        if let restart = task.nextRestartAt { list.add("Restarts at", Formatting.time(restart, now: now)) }
        if let usage = detail.usage {
            list.add(
                "Usage",
                "\(Formatting.number(usage.cpuPercent))% cpu, "
                    + Formatting.memory(megabytes: Int(usage.memoryBytes / 1_048_576)) + " memory"
            )
        }
        list.add("Created", Formatting.time(task.createdAt, now: now))
        if let launched = task.launchedAt { list.add("Launched", Formatting.time(launched, now: now)) }
        if let started = task.startedAt { list.add("Started", Formatting.time(started, now: now)) }
        if let finished = task.finishedAt { list.add("Finished at", Formatting.time(finished, now: now)) }
        var text = list.render(style: style)
        if !detail.history.isEmpty {
            var table = Table(headers: ["ATTEMPT", "FROM", "TO", "AGE", "MESSAGE"])
            for entry in detail.history {
                table.append([
                    Table.Cell(String(entry.attempt)),
                    Table.Cell(entry.from.rawValue),
                    Table.Cell(entry.to.rawValue + (entry.finishReason.map { " (\($0.rawValue))" } ?? "")),
                    Table.Cell(Formatting.age(from: entry.at, to: now)),
                    Table.Cell(entry.message ?? ""),
                ])
            }
            text += "\n\n" + style.bold("History:") + "\n" + table.render(style: style)
        }
        return text
    }

    // MARK: Hosts

    /// `ID  STATE  CPUS  MEMORY  DISK  TASKS  DISABLED  HEARTBEAT  ATTRIBUTES`.
    public static func hosts(_ hosts: [HostSummary], now: Date, style: TextStyle) -> String {
        var table = Table(headers: [
            "ID", "STATE", "CPUS", "MEMORY", "DISK", "TASKS", "DISABLED", "HEARTBEAT", "ATTRIBUTES",
        ])
        for host in hosts {
            let disabled: String
            if let until = host.disabledUntil, until > now {
                disabled =
                    until.timeIntervalSince(now) > 50 * 365 * 86_400
                    ? "until enabled" : "until \(TitanJSON.format(until))"
            } else {
                disabled = "-"
            }
            table.append([
                Table.Cell(host.id.rawValue),
                Table.Cell(host.state.rawValue, host.state == .up ? .green : .red),
                Table.Cell(Formatting.number(host.resources.cpus)),
                Table.Cell(Formatting.memory(megabytes: host.resources.memoryMB)),
                Table.Cell("\(host.resources.diskGB) GB"),
                Table.Cell(host.taskCount.map(String.init) ?? "-"),
                Table.Cell(disabled, disabled == "-" ? .none : .yellow),
                Table.Cell(host.lastHeartbeatAt.map { Formatting.age(from: $0, to: now) + " ago" } ?? "-"),
                Table.Cell(
                    host.attributes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                ),
            ])
        }
        return table.render(style: style)
    }

    // MARK: Status

    /// The fleet: hosts, capacity and use, live tasks, pending tasks by reason, the autoscaler.
    public static func status(_ status: FleetStatus, apiURL: String, style: TextStyle) -> String {
        var list = DetailList()
        list.add("API", apiURL)
        let hosts = status.hosts
        list.add("Hosts", "\(hosts.total) (\(hosts.up) up, \(hosts.down) down, \(hosts.disabled) disabled)")
        let capacity = status.capacity
        let used = status.used
        list.add(
            "Capacity",
            "\(Formatting.number(capacity.cpus)) cpus, \(Formatting.memory(megabytes: capacity.memoryMB)) memory, "
                + "\(capacity.diskGB) GB disk"
        )
        list.add(
            "In use",
            "\(Formatting.number(used.cpus)) cpus (\(Formatting.percent(used.cpus, of: capacity.cpus))), "
                + "\(Formatting.memory(megabytes: used.memoryMB)) memory "
                + "(\(Formatting.percent(Double(used.memoryMB), of: Double(capacity.memoryMB)))), "
                + "\(used.diskGB) GB disk (\(Formatting.percent(Double(used.diskGB), of: Double(capacity.diskGB))))"
        )
        let live = status.tasks.total
        let states = TaskState.allCases.filter { status.tasks[$0] > 0 }.map { "\(status.tasks[$0]) \($0.rawValue)" }
        list.add(
            "Tasks",
            "\(live) live in \(status.jobsWithLiveTasks) job\(status.jobsWithLiveTasks == 1 ? "" : "s")"
                + (states.isEmpty ? "" : ": " + states.joined(separator: ", "))
        )
        let pendingCount = status.pending.reduce(0) { $0 + $1.taskCount }
        list.add("Pending", pendingCount == 0 ? "none" : paint("\(pendingCount) waiting for a host", .yellow, style))
        // One line per autoscaled group under the autoscaler's, in the value column.
        let autoscaler = status.autoscaler
        let groupLines = autoscaler.groups.map { group in
            "\(group.group): \(group.hosts) host\(group.hosts == 1 ? "" : "s") (\(group.idle) idle, "
                + "\(group.busy) busy, \(group.draining) draining, \(group.coming) coming); keeps "
                + "\(group.minIdleHosts)-\(group.maxIdleHosts) idle, \(group.minHosts)-\(group.maxHosts) hosts, "
                + "cool-down \(Formatting.number(group.coolDownSeconds))s"
        }
        list.add(
            "Autoscaler",
            autoscaler.enabled
                ? (["on" + (autoscaler.provider.map { " (\($0) provider)" } ?? "")] + groupLines).joined(
                    separator: "\n"
                )
                : "not running in this titan-api"
        )
        var text = list.render(style: style)
        if !status.pending.isEmpty {
            var table = Table(headers: ["TASKS", "JOBS", "REASON", "FOR EXAMPLE"])
            for group in status.pending {
                table.append([
                    Table.Cell(String(group.taskCount)),
                    Table.Cell(String(group.jobCount)),
                    Table.Cell(group.reason),
                    Table.Cell(group.exampleTaskIDs.first?.rawValue ?? ""),
                ])
            }
            text += "\n\n" + style.bold("Pending tasks by reason:") + "\n" + table.render(style: style)
        }
        if !status.autoscaler.actions.isEmpty {
            var table = Table(headers: ["WHEN", "GROUP", "ACTION", "HOSTS", "REASON"])
            for action in status.autoscaler.actions {
                table.append([
                    Table.Cell(Formatting.age(from: action.at, to: status.at) + " ago"),
                    Table.Cell(action.group),
                    Table.Cell(
                        action.direction == .up ? "scale up" : "scale down",
                        action.direction == .up ? .green : .yellow
                    ),
                    Table.Cell(
                        action.hosts.isEmpty
                            ? "+\(action.hostCount)"
                            : "-\(action.hostCount): " + action.hosts.map(\.rawValue).joined(separator: ",")
                    ),
                    action.error.map { Table.Cell("\(action.reason); failed: \($0)", .red) }
                        ?? Table.Cell(action.reason),
                ])
            }
            text += "\n\n" + style.bold("Autoscaler actions:") + "\n" + table.render(style: style)
        }
        return text
    }

    static func paint(_ text: String, _ colour: Table.Cell.Colour, _ style: TextStyle) -> String {
        Table.paint(Table.Cell(text, colour), style)
    }
}
