import CTitanLinux
import Foundation
import Glibc
import Logging
import TitanLogFiles
import TitanModel

/// Runs a launch's command as a process on the host, for hosts without a Docker engine (and for
/// command-only jobs on any host).
///
/// Each run gets a `titan-task-shim` (see `Sources/TitanTaskShim`): the shim starts the command
/// as its child in a process group of its own, in the run's cgroup when the host allows one
/// (cpu quota and shares, memory limit), with the run's environment and its working directory
/// `<run dir>/sandbox`; it copies the command's output into the run's rotated log files and
/// writes `<run dir>/exit` when the command ends. The agent watches the shim through a pidfd,
/// so it needs no thread per task, and a restarted agent picks running shims up again.
public actor ProcessTaskRuntime: TaskRuntime {
    public nonisolated let kind = RuntimeKind.process
    /// The `titan-task-shim` executable.
    public nonisolated let shimPath: String
    /// Where runs' cgroups are made; nil runs them without limits.
    public nonisolated let cgroups: CgroupTree?
    public nonisolated let logPolicy: LogRotationPolicy
    private let watcher: DescriptorWatcher
    private let logger: Logger
    /// pidfds of the shims of running runs.
    private var shimDescriptors: [RunKey: Int32] = [:]

    public init(shimPath: String, cgroups: CgroupTree?, logPolicy: LogRotationPolicy, logger: Logger) {
        self.shimPath = shimPath
        self.cgroups = cgroups
        self.logPolicy = logPolicy
        self.watcher = .shared
        self.logger = logger
    }

    /// `titan-task-shim` beside the running executable (where `swift build` and an install put it).
    public static func defaultShimPath() -> String {
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        return (executable as NSString).deletingLastPathComponent + "/titan-task-shim"
    }

    // MARK: Start

    public func start(_ run: RunDescriptor) async throws(RunStartFailure) -> StartedRun {
        guard let command = run.launch.command, let program = command.first, !program.isEmpty else {
            throw RunStartFailure("the launch names no command to run (and no image, so no container)")
        }
        guard FileManager.default.isExecutableFile(atPath: shimPath) else {
            throw RunStartFailure(
                "the task shim \(shimPath) is missing or not executable; install titan-task-shim beside titan-agent "
                    + "or pass --shim-path"
            )
        }
        var notes: [String] = []
        let sandbox = run.runDirectory + "/sandbox"
        do {
            try FileIO.makeDirectory(sandbox)
        } catch {
            throw RunStartFailure(error.message)
        }

        // Limits through a cgroup where the host has one; otherwise the run goes ahead and says so.
        var cgroup: TaskCgroup?
        if let cgroups {
            if let reason = cgroups.unavailableReason {
                notes.append("cpu and memory limits not applied: \(reason)")
            } else {
                do {
                    cgroup = try cgroups.create(name: run.key.fileName, limits: Self.limits(run.launch))
                } catch {
                    notes.append("cpu and memory limits not applied: \(error.message)")
                }
            }
        } else {
            notes.append("cpu and memory limits not applied: the agent was started without cgroups")
        }

        var arguments = [
            "--run-dir", run.runDirectory,
            "--log-dir", run.logDirectory,
            "--log-max-bytes", String(logPolicy.maxBytes),
            "--log-keep", String(logPolicy.keptFiles),
            "--workdir", sandbox,
        ]
        for file in cgroup?.processFiles ?? [] { arguments += ["--cgroup-procs", file] }
        arguments.append("--")
        arguments += command
        var environment = run.environment
        if environment["PATH"] == nil {
            environment["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        }
        if environment["HOME"] == nil { environment["HOME"] = sandbox }

        var announcePipe: [Int32] = [-1, -1]
        guard titan_pipe_cloexec(&announcePipe) == 0 else {
            await cgroup?.remove()
            throw RunStartFailure("cannot create a pipe for the task shim: \(String(cString: strerror(errno)))")
        }
        let shimPID: pid_t
        do {
            shimPID = try Self.spawn(
                path: shimPath,
                arguments: arguments,
                environment: environment,
                standardOutput: announcePipe[1],
                standardErrorPath: run.runDirectory + "/shim.log"
            )
        } catch {
            close(announcePipe[0])
            close(announcePipe[1])
            await cgroup?.remove()
            throw error
        }
        close(announcePipe[1])
        let pidDescriptor = titan_pidfd_open(shimPID)
        let startTicks = Self.startTicks(of: shimPID) ?? 0

        let announcement = await readLine(from: announcePipe[0])
        close(announcePipe[0])
        if let announcement, announcement.hasPrefix("started "), let taskPID = Int32(announcement.dropFirst(8)) {
            if pidDescriptor >= 0 { shimDescriptors[run.key] = pidDescriptor }
            logger.debug(
                "Started process",
                metadata: ["task.run": "\(run.key)", "process.pid": "\(taskPID)", "shim.pid": "\(shimPID)"]
            )
            return StartedRun(
                process: ProcessIdentity(shimPID: shimPID, shimStartTicks: startTicks, taskPID: taskPID),
                cgroup: cgroup,
                startedAt: Date(),
                notes: notes
            )
        }
        // The shim could not start the command (or died): it exits at once; reap it.
        var status: Int32 = 0
        _ = waitpid(shimPID, &status, 0)
        if pidDescriptor >= 0 { close(pidDescriptor) }
        await cgroup?.remove()
        if let announcement, announcement.hasPrefix("failed ") {
            throw RunStartFailure(String(announcement.dropFirst(7)))
        }
        let shimLog = FileIO.readText(run.runDirectory + "/shim.log")?.trimmingCharacters(in: .whitespacesAndNewlines)
        throw RunStartFailure(
            "the task shim ended before starting the command"
                + (shimLog.map { $0.isEmpty ? "" : ": \($0.suffix(500))" } ?? "")
        )
    }

    /// The cgroup limits of a launch: its cpus as quota and shares, its memory.
    static func limits(_ launch: LaunchSpec) -> CgroupLimits {
        CgroupLimits(
            cpus: launch.cpus > 0 ? launch.cpus : nil,
            cpuShares: launch.cpus > 0 ? max(2, Int((launch.cpus * 1024).rounded())) : nil,
            memoryBytes: launch.memoryMB > 0 ? Int64(launch.memoryMB) << 20 : nil
        )
    }

    /// One line from the shim's announcement pipe, or nil at end of file.
    private func readLine(from descriptor: Int32) async -> String? {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while true {
            await watcher.waitUntilReadable(descriptor)
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return nil
            }
            if count == 0 { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            bytes += buffer[0..<count]
            if let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) {
                return String(decoding: bytes[..<newline], as: UTF8.self)
            }
            if bytes.count > 64 * 1024 { return String(decoding: bytes, as: UTF8.self) }
        }
    }

    /// Starts the shim in a session of its own, every signal at its default, no descriptor but
    /// stdin (/dev/null), stdout (the announcement pipe) and stderr (`shim.log`).
    static func spawn(
        path: String,
        arguments: [String],
        environment: [String: String],
        standardOutput: Int32,
        standardErrorPath: String
    ) throws(RunStartFailure) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, standardOutput, 1)
        posix_spawn_file_actions_addopen(&actions, 2, standardErrorPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        _ = titan_spawn_add_close_from(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(
            &attributes,
            Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK) | titan_spawn_setsid_flag()
        )

        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] =
            environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid = pid_t()
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw RunStartFailure("cannot start the task shim \(path): \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// A live process's start time in clock ticks since boot, from `/proc/<pid>/stat`; nil when
    /// there is no such process or it has exited (a zombie not yet reaped).
    static func startTicks(of pid: pid_t) -> UInt64? {
        guard let text = FileIO.readText("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return nil }
        // Fields after the command name start at field 3 (state); the start time is field 22.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, fields[0] != "Z", fields[0] != "X" else { return nil }
        return UInt64(fields[19])
    }

    // MARK: Watching and stopping

    public func waitForExit(_ record: RunRecord) async -> RunExit {
        guard let process = record.process else {
            return RunExit(cause: .vanished(reason: "the run has no process; it was never started"))
        }
        var descriptor = shimDescriptors[record.key] ?? -1
        if descriptor < 0 {
            descriptor = titan_pidfd_open(process.shimPID)
            if descriptor >= 0 {
                // Only our shim: a pid recycled by another process does not count.
                if Self.startTicks(of: process.shimPID) == process.shimStartTicks {
                    shimDescriptors[record.key] = descriptor
                } else {
                    close(descriptor)
                    descriptor = -1
                }
            }
        }
        if descriptor >= 0 {
            await watcher.waitUntilReadable(descriptor)
            if Task.isCancelled { return RunExit(cause: .vanished(reason: "stopped waiting")) }
        }
        // Reap the shim when it is our child (after an agent restart it is init's).
        var status: Int32 = 0
        _ = waitpid(process.shimPID, &status, WNOHANG)
        return exitFromRecord(record)
    }

    /// How the run ended, from the shim's exit record and the cgroup's OOM count.
    private func exitFromRecord(_ record: RunRecord) -> RunExit {
        let runDirectory = record.runDirectory
        let oomKilled = (record.cgroup?.usage()?.oomKills ?? 0) > 0
        guard let line = FileIO.readText(runDirectory + "/exit")?.trimmingCharacters(in: .whitespacesAndNewlines)
        else {
            // The shim died without saying how the command ended: take the task's group down too.
            if let process = record.process { kill(-process.taskPID, SIGKILL) }
            record.cgroup?.killAll()
            return RunExit(
                cause: .vanished(
                    reason: "the task shim (pid \(record.process?.shimPID ?? 0)) ended without recording how the "
                        + "task ended; see \(runDirectory)/shim.log"
                ),
                oomKilled: oomKilled
            )
        }
        return RunExit(cause: Self.cause(exitRecord: line), oomKilled: oomKilled)
    }

    /// Reads the shim's exit record line.
    static func cause(exitRecord line: String) -> RunExit.Cause {
        let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
        switch (parts.first, parts.count == 2 ? parts[1] : "") {
        case ("exited", let code): return .exited(code: Int(code) ?? -1)
        case ("signaled", let signal): return .signaled(signal: Int32(signal) ?? 0)
        case ("failed-to-start", let reason): return .failedToStart(reason: reason)
        default: return .vanished(reason: "the task shim left an unreadable exit record: \(line)")
        }
    }

    public func stop(_ record: RunRecord, gracePeriod: Duration) async {
        guard let process = record.process else { return }
        let runDirectory = record.runDirectory
        func ended() -> Bool {
            FileIO.exists(runDirectory + "/exit") || (kill(-process.taskPID, 0) != 0 && errno == ESRCH)
        }
        if ended() { return }
        kill(-process.taskPID, SIGTERM)
        let deadline = ContinuousClock.now + gracePeriod
        while ContinuousClock.now < deadline {
            if ended() { return }
            try? await Task.sleep(for: .milliseconds(50))
            // The agent is stopping: the next one finishes the kill.
            if Task.isCancelled { return }
        }
        if !FileIO.exists(runDirectory + "/exit") { kill(-process.taskPID, SIGKILL) }
        record.cgroup?.killAll()
    }

    public nonisolated var capturesOutput: Bool { false }

    public func captureOutput(_ record: RunRecord, logDirectory: String) async {}

    public func release(_ record: RunRecord) async {
        if let descriptor = shimDescriptors.removeValue(forKey: record.key) { close(descriptor) }
        record.cgroup?.killAll()
        await record.cgroup?.remove()
    }

    public func usage(_ record: RunRecord) async -> CgroupUsage? {
        if let cgroup = record.cgroup { return cgroup.usage() }
        // Without a cgroup: the main process alone, from /proc.
        guard let process = record.process else { return nil }
        return Self.processUsage(process.taskPID)
    }

    /// CPU time and resident memory of one process from `/proc/<pid>/stat` and `statm`.
    static func processUsage(_ pid: Int32) -> CgroupUsage? {
        guard let stat = FileIO.readText("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")"),
            let statm = FileIO.readText("/proc/\(pid)/statm")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else { return nil }
        let ticksPerSecond = UInt64(max(1, sysconf(Int32(_SC_CLK_TCK))))
        let pages = statm.split(separator: " ").dropFirst().first.flatMap { UInt64($0) } ?? 0
        return CgroupUsage(
            cpuNanoseconds: (user + system) * 1_000_000_000 / ticksPerSecond,
            memoryBytes: pages * UInt64(max(1, sysconf(Int32(_SC_PAGESIZE)))),
            oomKills: 0
        )
    }

    // MARK: Recovery

    public func locate(_ record: RunRecord) async -> RunPresence {
        let runDirectory = record.runDirectory
        guard let process = record.process else {
            if let line = FileIO.readText(runDirectory + "/exit")?.trimmingCharacters(in: .whitespacesAndNewlines) {
                return .exited(RunExit(cause: Self.cause(exitRecord: line)))
            }
            return .missing(reason: "the agent stopped before the process was started")
        }
        if FileIO.exists(runDirectory + "/exit") { return .exited(exitFromRecord(record)) }
        if Self.startTicks(of: process.shimPID) == process.shimStartTicks {
            let descriptor = titan_pidfd_open(process.shimPID)
            if descriptor >= 0 { shimDescriptors[record.key] = descriptor }
            return .running(
                StartedRun(
                    process: process,
                    cgroup: record.cgroup,
                    startedAt: record.startedAt ?? record.acceptedAt,
                    notes: record.notes
                )
            )
        }
        // Gone without an exit record: make sure nothing of it is left running.
        var status: Int32 = 0
        _ = waitpid(process.shimPID, &status, WNOHANG)
        kill(-process.taskPID, SIGKILL)
        record.cgroup?.killAll()
        return .missing(
            reason: "the task shim (pid \(process.shimPID)) is gone and left no exit record; the host may have "
                + "restarted"
        )
    }

    public func unrecordedRuns(known: Set<RunKey>) async -> [RunRecord] { [] }

    public func run() async {}
}
