import Foundation
import Glibc
import Logging
import TitanDocker
import TitanLogFiles
import TitanModel

/// Runs launches that name an image as Docker containers, through the engine's API.
///
/// A run's container is named `titan-<taskID>.<attempt>` and labelled with the agent, task,
/// attempt, job and ports, so a restarted agent finds it again (and a launch carried out twice
/// finds the first container instead of making a second). Its cpu quota (cpus × 100 ms per
/// 100 ms), cpu shares (cpus × 1024) and memory limit come from the launch; it joins the
/// configured network (host by default: no bridge exists on the test engine, so the task listens
/// on its assigned ports directly, and port bindings are kept for engines with a bridge); the
/// run's `files/` log directory is bind-mounted at `/titan/logs`; the engine's init runs as
/// PID 1 so SIGTERM reaches the command.
///
/// One event stream (`die`, `oom`, `kill` of this agent's containers) tells every waiting run
/// that its container ended, so 200 runs cost one connection, not 200. Output is followed per
/// container with timestamps and written into the run's rotated `stdout`/`stderr` files; the
/// last timestamp written is kept beside them, so a restarted agent resumes exactly there.
public actor DockerTaskRuntime: TaskRuntime {
    /// The labels the agent puts on its containers.
    public enum Label {
        public static let agent = "titan.agent"
        public static let task = "titan.task"
        public static let attempt = "titan.attempt"
        public static let job = "titan.job"
        public static let jobName = "titan.job-name"
        public static let ports = "titan.ports"
        public static let metadataToken = "titan.metadata-token"
        public static let cpus = "titan.cpus"
        public static let memoryMB = "titan.memory-mb"
    }

    public nonisolated let kind = RuntimeKind.docker
    public nonisolated let docker: DockerClient
    public nonisolated let agentID: HostID
    public nonisolated let networkMode: NetworkMode
    public nonisolated let logPolicy: LogRotationPolicy
    /// How much output the engine itself keeps per container (json-file), besides our files.
    public nonisolated let engineLogDriver: ContainerLogDriver
    private let cgroupLayout: CgroupLayout
    private let logger: Logger

    private var exits: [String: RunExit] = [:]
    private var waiters: [String: [CheckedContinuation<RunExit, Never>]] = [:]
    private var externalSignals: [String: String] = [:]
    private var cgroups: [String: TaskCgroup] = [:]

    public init(
        docker: DockerClient,
        agentID: HostID,
        networkMode: NetworkMode = .host,
        logPolicy: LogRotationPolicy,
        engineLogDriver: ContainerLogDriver = .jsonFile(maxSizeBytes: 10 << 20, maxFiles: 2),
        cgroupLayout: CgroupLayout = .detect(),
        logger: Logger
    ) {
        self.docker = docker
        self.agentID = agentID
        self.networkMode = networkMode
        self.logPolicy = logPolicy
        self.engineLogDriver = engineLogDriver
        self.cgroupLayout = cgroupLayout
        self.logger = logger
    }

    /// The container name of a run.
    public static func containerName(_ key: RunKey) -> String { "titan-" + key.fileName }

    // MARK: Start

    public func start(_ run: RunDescriptor) async throws(RunStartFailure) -> StartedRun {
        guard let image = run.launch.image, !image.isEmpty else {
            throw RunStartFailure("the launch names no image for a container")
        }
        let spec = containerSpec(run, image: ImageReference(image))
        let name = Self.containerName(run.key)
        let id: ContainerID
        do {
            id = try await docker.createContainer(spec, name: name)
        } catch let error as DockerError where error.code == .conflict {
            // Carried out before (an order re-sent after a restart): use the container made then.
            guard let existing = try? await docker.inspectContainer(ContainerID(name)),
                existing.labels[Label.agent] == agentID.rawValue
            else {
                throw RunStartFailure("a container named \(name) exists and is not this agent's: \(error.message)")
            }
            id = existing.id
            if existing.state.isRunning || existing.state.status == .exited || existing.state.status == .dead {
                return StartedRun(containerID: id.rawValue, startedAt: existing.state.startedAt ?? Date())
            }
        } catch let error as DockerError where error.code == .imageNotFound {
            throw RunStartFailure(
                "image \(image) is not on this host's Docker engine, and the agent does not pull images: "
                    + "load or import it first (\(error.message))"
            )
        } catch {
            throw RunStartFailure("the Docker engine could not create the container: \(error)")
        }
        do {
            try await docker.startContainer(id)
        } catch {
            try? await docker.removeContainer(id, force: true, removeVolumes: true)
            throw RunStartFailure("the Docker engine could not start the container: \(error)")
        }
        logger.debug("Started container", metadata: ["task.run": "\(run.key)", "container.id": "\(id.short)"])
        return StartedRun(containerID: id.rawValue, startedAt: Date())
    }

    /// The container a run gets.
    func containerSpec(_ run: RunDescriptor, image: ImageReference) -> ContainerSpec {
        let launch = run.launch
        var labels = launch.labels
        labels[Label.agent] = agentID.rawValue
        labels[Label.task] = run.key.taskID.rawValue
        labels[Label.attempt] = String(run.key.attempt)
        labels[Label.job] = launch.jobID.rawValue
        labels[Label.jobName] = launch.jobName
        labels[Label.ports] = launch.ports.map(String.init).joined(separator: ",")
        labels[Label.metadataToken] = run.metadataToken
        labels[Label.cpus] = String(launch.cpus)
        labels[Label.memoryMB] = String(launch.memoryMB)
        var limits = ResourceLimits()
        if launch.cpus > 0 {
            let period = CgroupLimits.periodMicroseconds
            limits.cpu = .quota(
                .microseconds(CgroupLimits.quotaMicroseconds(cpus: launch.cpus)),
                period: .microseconds(period)
            )
            limits.cpuShares = max(2, Int((launch.cpus * 1024).rounded()))
        }
        if launch.memoryMB > 0 { limits.memoryBytes = Int64(launch.memoryMB) << 20 }
        return ContainerSpec(
            image: image,
            command: launch.command,
            environment: run.environment,
            labels: labels,
            limits: limits,
            networkMode: networkMode,
            mounts: [.bind(run.taskFilesDirectory, at: TaskLogStore.containerFilesPath)],
            // The same port inside and out; the engine ignores bindings on the host network.
            portBindings: launch.ports.map { PortBinding(containerPort: $0, hostIP: "0.0.0.0", hostPort: $0) },
            runsInit: true,
            logDriver: engineLogDriver
        )
    }

    // MARK: Watching

    public func waitForExit(_ record: RunRecord) async -> RunExit {
        guard let id = record.containerID else {
            return RunExit(cause: .vanished(reason: "the run has no container; it was never started"))
        }
        if let exit = exits[id] { return exit }
        // The engine may have missed telling us (the container died before the event stream
        // connected): ask it, then wait for the event.
        if let exit = await exitIfEnded(id) {
            exits[id] = exit
            resumeWaiters(id, exit)
            return exit
        }
        if let exit = exits[id] { return exit }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume(returning: RunExit(cause: .vanished(reason: "stopped waiting")))
                } else {
                    waiters[id, default: []].append(continuation)
                }
            }
        } onCancel: {
            Task { await self.cancelWaiters(id) }
        }
    }

    private func cancelWaiters(_ id: String) {
        resumeWaiters(id, RunExit(cause: .vanished(reason: "stopped waiting")), remember: false)
    }

    private func resumeWaiters(_ id: String, _ exit: RunExit, remember: Bool = true) {
        if remember { exits[id] = exit }
        for waiter in waiters.removeValue(forKey: id) ?? [] { waiter.resume(returning: exit) }
    }

    /// The container's end when it is no longer running; nil while it runs or the engine is away.
    private func exitIfEnded(_ id: String) async -> RunExit? {
        do {
            let details = try await docker.inspectContainer(ContainerID(id))
            guard !details.state.isRunning, details.state.status != .created else { return nil }
            return exit(from: details.state, id: id)
        } catch let error as DockerError where error.code == .containerNotFound {
            return RunExit(cause: .vanished(reason: "container \(String(id.prefix(12))) was removed outside Titan"))
        } catch {
            return nil
        }
    }

    private func exit(from state: ContainerState, id: String) -> RunExit {
        if let error = state.error, state.exitCode != 0, state.startedAt == nil {
            return RunExit(cause: .failedToStart(reason: "the container could not start: \(error)"))
        }
        return RunExit(
            cause: .exited(code: state.exitCode),
            oomKilled: state.wasOOMKilled,
            externalSignal: externalSignals[id]
        )
    }

    /// Follows the engine's events for this agent's containers, reconnecting while the engine is
    /// away; after each (re)connection every waiting run is checked, so no end is missed.
    public func run() async {
        var backoff = Duration.milliseconds(100)
        while !Task.isCancelled {
            do {
                let events = try await docker.events(
                    matching: EventFilter(
                        labels: [Label.agent: agentID.rawValue],
                        kinds: ["container"],
                        actions: ["die", "oom", "kill"]
                    )
                )
                backoff = .milliseconds(100)
                await recheckWaiters()
                for try await event in events { await handle(event) }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("Docker event stream failed; reconnecting", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(5))
        }
    }

    private func recheckWaiters() async {
        for id in waiters.keys {
            if let exit = await exitIfEnded(id) { resumeWaiters(id, exit) }
        }
    }

    private func handle(_ event: DockerEvent) async {
        let id = event.actorID
        switch event.action {
        case "kill":
            if let signal = event.attributes["signal"] {
                let number = Int32(signal) ?? 0
                externalSignals[id] = number > 0 ? RunOutcome.signalName(number) : signal
            }
        case "die":
            if let exit = await exitIfEnded(id) {
                resumeWaiters(id, exit)
            } else if let code = event.exitCode {
                resumeWaiters(id, RunExit(cause: .exited(code: code), externalSignal: externalSignals[id]))
            }
        default:
            break
        }
    }

    // MARK: Output

    public nonisolated var capturesOutput: Bool { true }

    public func captureOutput(_ record: RunRecord, logDirectory: String) async {
        guard let id = record.containerID else { return }
        let cursorPath = logDirectory + "/.engine-log-cursor"
        let capture: ContainerOutputCapture
        do {
            capture = try ContainerOutputCapture(logDirectory: logDirectory, cursorPath: cursorPath, policy: logPolicy)
        } catch {
            logger.error("Cannot open log files", metadata: ["task.run": "\(record.key)", "error": "\(error)"])
            return
        }
        defer { capture.close() }
        var backoff = Duration.milliseconds(100)
        while !Task.isCancelled {
            let since = capture.cursor
            capture.beginStream()
            var delivered = 0
            do {
                let frames = try await docker.logs(
                    of: ContainerID(id),
                    options: LogOptions(follow: true, timestamps: true, since: since)
                )
                for try await frame in frames {
                    delivered += 1
                    capture.write(frame)
                }
            } catch is CancellationError {
                return
            } catch let error as DockerError where error.code == .containerNotFound {
                return
            } catch {
                logger.warning(
                    "Container log stream failed",
                    metadata: ["task.run": "\(record.key)", "error": "\(error)"]
                )
            }
            // The stream ends when the container stops; if it still runs, the engine dropped it.
            guard let details = try? await docker.inspectContainer(ContainerID(id)), details.state.isRunning else {
                // The engine may end a follow before its last lines (it stops following when the
                // container dies, not when its log is drained): read the same stretch once more.
                await drainOutput(id, into: capture, since: since, skipping: delivered, key: record.key)
                return
            }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(5))
        }
    }

    /// Reads a stopped container's output from `since` again and writes what follows the frames
    /// the ended follow delivered: the engine sends the same sequence both times, in file order
    /// (not quite timestamp order, as stdout and stderr are stamped apart).
    private func drainOutput(
        _ id: String,
        into capture: ContainerOutputCapture,
        since: LogTimestamp?,
        skipping delivered: Int,
        key: RunKey
    ) async {
        do {
            let frames = try await docker.logs(
                of: ContainerID(id),
                options: LogOptions(follow: false, timestamps: true, since: since)
            )
            var index = 0
            for try await frame in frames {
                index += 1
                if index > delivered { capture.write(frame) }
            }
        } catch let error as DockerError where error.code == .containerNotFound {
        } catch is CancellationError {
        } catch {
            logger.warning(
                "Cannot read a container's last output",
                metadata: ["task.run": "\(key)", "error": "\(error)"]
            )
        }
    }

    // MARK: Stopping and clean-up

    public func stop(_ record: RunRecord, gracePeriod: Duration) async {
        guard let id = record.containerID else { return }
        do {
            try await docker.stopContainer(ContainerID(id), gracePeriod: gracePeriod)
        } catch let error as DockerError where error.code == .containerNotFound {
            return
        } catch {
            logger.warning("Cannot stop container", metadata: ["container.id": "\(id)", "error": "\(error)"])
            try? await docker.killContainer(ContainerID(id), signal: "SIGKILL")
        }
    }

    public func release(_ record: RunRecord) async {
        guard let id = record.containerID else { return }
        do {
            try await docker.removeContainer(ContainerID(id), force: true, removeVolumes: true)
        } catch let error as DockerError where error.code == .containerNotFound {
        } catch {
            logger.warning("Cannot remove container", metadata: ["container.id": "\(id)", "error": "\(error)"])
        }
        exits[id] = nil
        externalSignals[id] = nil
        cgroups[id] = nil
    }

    /// Read from the container's cgroup files (found once through its main process), or from the
    /// engine's stats when those are not visible to the agent.
    public func usage(_ record: RunRecord) async -> CgroupUsage? {
        guard let id = record.containerID, exits[id] == nil else { return nil }
        if let cgroup = cgroups[id], let usage = cgroup.usage() { return usage }
        if let details = try? await docker.inspectContainer(ContainerID(id)), details.state.isRunning,
            details.state.pid > 0, let cgroup = cgroupLayout.cgroup(ofProcess: Int32(details.state.pid)),
            let usage = cgroup.usage()
        {
            cgroups[id] = cgroup
            return usage
        }
        guard let stats = try? await docker.stats(of: ContainerID(id)) else { return nil }
        return CgroupUsage(
            cpuNanoseconds: stats.cpu.containerNanoseconds,
            memoryBytes: stats.memoryWorkingSetBytes,
            oomKills: 0
        )
    }

    // MARK: Recovery

    public func locate(_ record: RunRecord) async -> RunPresence {
        let reference = ContainerID(record.containerID ?? Self.containerName(record.key))
        do {
            let details = try await docker.inspectContainer(reference)
            if details.state.isRunning {
                return .running(
                    StartedRun(
                        containerID: details.id.rawValue,
                        startedAt: details.state.startedAt ?? record.startedAt ?? record.acceptedAt
                    )
                )
            }
            if details.state.status == .created {
                // Made but never started before the agent stopped: it is removed, the run lost.
                try? await docker.removeContainer(details.id, force: true, removeVolumes: true)
                return .missing(reason: "the agent stopped between creating and starting the container")
            }
            return .exited(exit(from: details.state, id: details.id.rawValue))
        } catch let error as DockerError where error.code == .containerNotFound {
            return .missing(
                reason: record.containerID == nil
                    ? "the agent stopped before it created the container"
                    : "container \(reference.short) no longer exists; it was removed outside Titan"
            )
        } catch {
            return .missing(reason: "the Docker engine could not be asked about container \(reference.short): \(error)")
        }
    }

    public func unrecordedRuns(known: Set<RunKey>) async -> [RunRecord] {
        guard let containers = try? await docker.listContainers(labels: [Label.agent: agentID.rawValue]) else {
            return []
        }
        var records: [RunRecord] = []
        for container in containers {
            guard let record = Self.record(fromLabels: container.labels, containerID: container.id.rawValue),
                !known.contains(record.key)
            else { continue }
            records.append(record)
        }
        return records
    }

    /// A run record rebuilt from a container's labels, for a container whose record was lost.
    static func record(fromLabels labels: [String: String], containerID: String) -> RunRecord? {
        guard let task = labels[Label.task], let attempt = labels[Label.attempt].flatMap({ Int($0) }),
            let job = labels[Label.job]
        else { return nil }
        let key = RunKey(taskID: TaskInstanceID(task), attempt: attempt)
        guard key.unusableReason == nil else { return nil }
        let ports = (labels[Label.ports] ?? "").split(separator: ",").compactMap { Int($0) }
        let launch = LaunchSpec(
            jobID: JobID(job),
            jobName: labels[Label.jobName] ?? "",
            image: nil,
            command: nil,
            environment: [:],
            cpus: labels[Label.cpus].flatMap { Double($0) } ?? 0,
            memoryMB: labels[Label.memoryMB].flatMap { Int($0) } ?? 0,
            diskGB: 0,
            networkMbps: 0,
            ports: ports,
            durationSeconds: nil,
            labels: [:]
        )
        var record = RunRecord(
            key: key,
            launch: launch,
            runtime: .docker,
            runDirectory: "",
            logDirectory: "",
            metadataToken: labels[Label.metadataToken] ?? "",
            acceptedAt: Date()
        )
        record.containerID = containerID
        return record
    }
}

/// Writes a container's followed output into the run's rotated `stdout` and `stderr` files and
/// remembers the timestamp of the last frame written, to resume after it.
final class ContainerOutputCapture {
    private let stdout: RotatingLogFile
    private let stderr: RotatingLogFile
    private let cursorDescriptor: Int32
    /// The latest timestamp written.
    private(set) var cursor: LogTimestamp?
    /// The cursor when the current stream began: frames up to it were written before.
    private var resumeAfter: LogTimestamp?

    init(logDirectory: String, cursorPath: String, policy: LogRotationPolicy) throws {
        stdout = try RotatingLogFile(directory: logDirectory, name: "stdout", policy: policy)
        stderr = try RotatingLogFile(directory: logDirectory, name: "stderr", policy: policy)
        if let text = FileIO.readText(cursorPath) {
            cursor = LogTimestamp(rfc3339: text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        cursorDescriptor = open(cursorPath, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
    }

    /// Marks the start of a new stream from the engine, which begins at the cursor.
    func beginStream() {
        resumeAfter = cursor
    }

    func write(_ frame: LogFrame) {
        guard let (timestamp, payload) = frame.splitTimestamp() else {
            writePayload(frame.source, frame.bytes[...])
            return
        }
        // Frames up to the cursor were written before a restart or reconnection; the engine sends
        // them again because its `since` is inclusive. Within a stream every frame is written:
        // stdout and stderr frames may arrive slightly out of timestamp order.
        if let resumeAfter, timestamp <= resumeAfter { return }
        writePayload(frame.source, payload)
        if let cursor, timestamp <= cursor { return }
        cursor = timestamp
        if cursorDescriptor >= 0 {
            // Fixed width, so each write replaces the whole previous value in place.
            let text = Array(Self.format(timestamp).utf8)
            _ = text.withUnsafeBytes { pwrite(cursorDescriptor, $0.baseAddress, $0.count, 0) }
        }
    }

    private func writePayload(_ source: LogSource, _ bytes: ArraySlice<UInt8>) {
        let file = source == .stderr ? stderr : stdout
        try? Array(bytes).withUnsafeBytes { try file.write($0) }
    }

    func close() {
        stdout.close()
        stderr.close()
        if cursorDescriptor >= 0 { Glibc.close(cursorDescriptor) }
    }

    /// RFC 3339 UTC with nine fractional digits, always the same length.
    static func format(_ timestamp: LogTimestamp) -> String {
        let date = Date(timeIntervalSince1970: Double(timestamp.secondsSinceEpoch))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func pad(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.year, 4))-\(pad(parts.month, 2))-\(pad(parts.day, 2))T\(pad(parts.hour, 2)):"
            + "\(pad(parts.minute, 2)):\(pad(parts.second, 2)).\(pad(Int(timestamp.nanoseconds), 9))Z\n"
    }
}
