// titan-task-shim: supervises one task for titan-agent's process runtime.
//
// The agent starts one shim per run. The shim runs the task's command as its child, in a
// process group of its own (and in the run's cgroups, when the agent made them), copies the
// command's stdout and stderr into size-rotated files, and when the command ends writes how
// it ended to `<run dir>/exit`. Because the shim, not the agent, holds the task's pipes and
// is its parent, the agent can restart while tasks run: the new agent finds the shim by its
// pid and reads the exit record when it appears. It is a separate, small executable (no
// Foundation) so each task costs about a megabyte of memory beside it.
//
// Usage (the agent builds this line; the task's environment is the shim's environment):
//   titan-task-shim --run-dir DIR --log-dir DIR [--log-max-bytes N] [--log-keep N]
//                   [--cgroup-procs FILE]... [--workdir DIR] -- PROGRAM [ARGUMENT...]
//
// On its stdout the shim writes one line, then closes it: `started <pid>` once the command
// is running, or `failed <reason>` when it could not be started. The exit record is one line:
// `exited <code>`, `signaled <signal number>` or `failed-to-start <reason>`.

import CTitanLinux
import Glibc
import TitanLogFiles

struct ShimArguments {
    var runDirectory = ""
    var logDirectory = ""
    var policy = LogRotationPolicy()
    var cgroupProcsFiles: [String] = []
    var workingDirectory: String?
    var command: [String] = []

    init(_ arguments: [String]) throws(ShimFailure) {
        var index = 1
        var maxBytes = LogRotationPolicy().maxBytes
        var kept = LogRotationPolicy().keptFiles
        func value(after flag: String) throws(ShimFailure) -> String {
            guard index + 1 < arguments.count else { throw ShimFailure("\(flag) needs a value") }
            index += 1
            return arguments[index]
        }
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "--run-dir": runDirectory = try value(after: argument)
            case "--log-dir": logDirectory = try value(after: argument)
            case "--log-max-bytes":
                guard let number = Int(try value(after: argument)), number > 0 else {
                    throw ShimFailure("--log-max-bytes needs a positive number")
                }
                maxBytes = number
            case "--log-keep":
                guard let number = Int(try value(after: argument)), number > 0 else {
                    throw ShimFailure("--log-keep needs a positive number")
                }
                kept = number
            case "--cgroup-procs": cgroupProcsFiles.append(try value(after: argument))
            case "--workdir": workingDirectory = try value(after: argument)
            case "--":
                command = Array(arguments[(index + 1)...])
                index = arguments.count
                continue
            default:
                throw ShimFailure("unknown argument \(argument)")
            }
            index += 1
        }
        guard !runDirectory.isEmpty, !logDirectory.isEmpty else {
            throw ShimFailure("--run-dir and --log-dir are required")
        }
        guard !command.isEmpty else { throw ShimFailure("no command after --") }
        policy = LogRotationPolicy(maxBytes: maxBytes, keptFiles: kept)
    }
}

struct ShimFailure: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// Where in the child the start failed, sent with errno through the close-on-exec pipe.
enum StartStage: UInt8 {
    case cgroup = 0
    case workingDirectory = 1
    case exec = 2
}

func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }

func writeAll(_ descriptor: Int32, _ text: String) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeMutableBytes { buffer -> Int in
            guard let base = buffer.baseAddress else { return 0 }
            return write(descriptor, base + offset, buffer.count - offset)
        }
        if written < 0 {
            if errno == EINTR { continue }
            return
        }
        offset += written
    }
    bytes.removeAll()
}

/// Writes the exit record atomically: a temporary file, fsync, rename, fsync of the directory.
func writeExitRecord(_ runDirectory: String, _ line: String) {
    let temporary = runDirectory + "/exit.tmp"
    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
        writeAll(2, "titan-task-shim: cannot write \(temporary): \(errorText(errno))\n")
        return
    }
    writeAll(descriptor, line + "\n")
    _ = fsync(descriptor)
    _ = close(descriptor)
    if rename(temporary, runDirectory + "/exit") != 0 {
        writeAll(2, "titan-task-shim: cannot rename \(temporary): \(errorText(errno))\n")
    }
    let directory = open(runDirectory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if directory >= 0 {
        _ = fsync(directory)
        _ = close(directory)
    }
}

/// Announces the outcome of the start to the agent and closes the channel.
func announce(_ line: String) {
    writeAll(1, line + "\n")
    let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
    if null >= 0 {
        _ = dup2(null, 1)
        _ = close(null)
    }
}

func runShim() -> Int32 {
    let arguments: ShimArguments
    do {
        arguments = try ShimArguments(CommandLine.arguments)
    } catch {
        writeAll(2, "titan-task-shim: \(error.message)\n")
        announce("failed titan-task-shim was started wrongly: \(error.message)")
        return 2
    }
    // Out of the agent's session and process group: a signal to the agent's group or terminal
    // does not reach the shim or the task.
    _ = setsid()
    // Descriptors the agent did not mean to hand down (its listening sockets) must not live on
    // in the shim after the agent exits.
    _ = titan_close_from(3)
    signal(SIGPIPE, SIG_IGN)
    signal(SIGHUP, SIG_IGN)
    signal(SIGINT, SIG_IGN)
    signal(SIGTERM, SIG_IGN)

    let stdoutLog: RotatingLogFile
    let stderrLog: RotatingLogFile
    do {
        stdoutLog = try RotatingLogFile(directory: arguments.logDirectory, name: "stdout", policy: arguments.policy)
        stderrLog = try RotatingLogFile(directory: arguments.logDirectory, name: "stderr", policy: arguments.policy)
    } catch {
        let reason = "cannot open the task's log files: \(error.message)"
        writeExitRecord(arguments.runDirectory, "failed-to-start \(reason)")
        announce("failed \(reason)")
        return 1
    }

    var outputPipe: [Int32] = [-1, -1]
    var errorPipe: [Int32] = [-1, -1]
    var startPipe: [Int32] = [-1, -1]
    guard titan_pipe_cloexec(&outputPipe) == 0, titan_pipe_cloexec(&errorPipe) == 0, titan_pipe_cloexec(&startPipe) == 0
    else {
        let reason = "cannot create pipes: \(errorText(errno))"
        writeExitRecord(arguments.runDirectory, "failed-to-start \(reason)")
        announce("failed \(reason)")
        return 1
    }
    let childFailed = titan_sigchld_fd()
    guard childFailed >= 0 else {
        let reason = "cannot watch for the child's exit: \(errorText(errno))"
        writeExitRecord(arguments.runDirectory, "failed-to-start \(reason)")
        announce("failed \(reason)")
        return 1
    }

    // Everything the child needs is built before fork: the shim is single-threaded, but the
    // child should do no more than system calls.
    let argv: [UnsafeMutablePointer<CChar>?] = arguments.command.map { strdup($0) } + [nil]
    let cgroupFiles: [UnsafeMutablePointer<CChar>?] = arguments.cgroupProcsFiles.map { strdup($0) }
    let workingDirectory: UnsafeMutablePointer<CChar>? = arguments.workingDirectory.flatMap { strdup($0) }
    let devNull: UnsafeMutablePointer<CChar>? = strdup("/dev/null")

    let child = fork()
    if child < 0 {
        let reason = "cannot fork: \(errorText(errno))"
        writeExitRecord(arguments.runDirectory, "failed-to-start \(reason)")
        announce("failed \(reason)")
        return 1
    }
    if child == 0 {
        runChild(
            argv: argv,
            cgroupFiles: cgroupFiles,
            workingDirectory: workingDirectory,
            devNull: devNull,
            outputPipe: outputPipe,
            errorPipe: errorPipe,
            startPipe: startPipe
        )
    }
    _ = close(outputPipe[1])
    _ = close(errorPipe[1])
    _ = close(startPipe[1])

    // The start pipe closes on a successful exec; otherwise the child sends errno and a stage.
    var report = [UInt8](repeating: 0, count: 5)
    var received = 0
    while received < 5 {
        let count = report.withUnsafeMutableBytes { buffer -> Int in
            guard let base = buffer.baseAddress else { return 0 }
            return read(startPipe[0], base + received, 5 - received)
        }
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { break }
        received += count
    }
    _ = close(startPipe[0])
    if received == 5 {
        let code = Int32(report[0]) | Int32(report[1]) << 8 | Int32(report[2]) << 16 | Int32(report[3]) << 24
        let command = arguments.command[0]
        let reason: String
        switch StartStage(rawValue: report[4]) {
        case .cgroup: reason = "cannot join the task's cgroup: \(errorText(code))"
        case .workingDirectory:
            reason = "cannot enter the working directory \(arguments.workingDirectory ?? ""): \(errorText(code))"
        case .exec, .none: reason = "cannot run \(command): \(errorText(code))"
        }
        var status: Int32 = 0
        _ = waitpid(child, &status, 0)
        writeExitRecord(arguments.runDirectory, "failed-to-start \(reason)")
        announce("failed \(reason)")
        return 0
    }
    announce("started \(child)")

    let status = copyOutputUntilExit(
        child: child,
        outputPipe: outputPipe[0],
        errorPipe: errorPipe[0],
        childFailed: childFailed,
        stdoutLog: stdoutLog,
        stderrLog: stderrLog
    )
    stdoutLog.close()
    stderrLog.close()
    if titan_wifsignaled(status) != 0 {
        writeExitRecord(arguments.runDirectory, "signaled \(titan_wtermsig(status))")
    } else {
        writeExitRecord(arguments.runDirectory, "exited \(titan_wexitstatus(status))")
    }
    return 0
}

/// In the forked child: own process group, cgroups, output pipes, working directory, exec.
func runChild(
    argv: [UnsafeMutablePointer<CChar>?],
    cgroupFiles: [UnsafeMutablePointer<CChar>?],
    workingDirectory: UnsafeMutablePointer<CChar>?,
    devNull: UnsafeMutablePointer<CChar>?,
    outputPipe: [Int32],
    errorPipe: [Int32],
    startPipe: [Int32]
) -> Never {
    func fail(_ stage: StartStage) -> Never {
        var code = errno
        var report = [UInt8](repeating: 0, count: 5)
        withUnsafeBytes(of: &code) { raw in
            for index in 0..<4 { report[index] = raw[index] }
        }
        report[4] = stage.rawValue
        _ = report.withUnsafeBytes { write(startPipe[1], $0.baseAddress, 5) }
        _exit(127)
    }
    _ = setpgid(0, 0)
    for file in cgroupFiles {
        guard let file else { continue }
        let descriptor = open(file, O_WRONLY | O_CLOEXEC)
        if descriptor < 0 { fail(.cgroup) }
        // "0" moves the writing process.
        if write(descriptor, "0", 1) != 1 { fail(.cgroup) }
        _ = close(descriptor)
    }
    for signalNumber in [SIGPIPE, SIGHUP, SIGINT, SIGTERM, SIGCHLD] { signal(signalNumber, SIG_DFL) }
    _ = titan_unblock_all_signals()
    if let devNull {
        let input = open(devNull, O_RDONLY)
        if input >= 0 { _ = dup2(input, 0) }
    }
    _ = dup2(outputPipe[1], 1)
    _ = dup2(errorPipe[1], 2)
    if let workingDirectory, chdir(workingDirectory) != 0 { fail(.workingDirectory) }
    if let program = argv[0] { execvp(program, argv) }
    fail(.exec)
}

/// Copies the child's output into the log files until it has exited and its pipes are closed
/// (or have been quiet for a second after the exit). Returns the child's wait status.
func copyOutputUntilExit(
    child: pid_t,
    outputPipe: Int32,
    errorPipe: Int32,
    childFailed: Int32,
    stdoutLog: RotatingLogFile,
    stderrLog: RotatingLogFile
) -> Int32 {
    let bufferSize = 64 * 1024
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 8)
    defer { buffer.deallocate() }
    var descriptors = [
        pollfd(fd: outputPipe, events: Int16(POLLIN), revents: 0),
        pollfd(fd: errorPipe, events: Int16(POLLIN), revents: 0),
        pollfd(fd: childFailed, events: Int16(POLLIN), revents: 0),
    ]
    var exitStatus: Int32?
    var quietPollsAfterExit = 0
    var logWriteFailed = false

    func reap() {
        var status: Int32 = 0
        while exitStatus == nil {
            let reaped = waitpid(child, &status, WNOHANG)
            if reaped == child {
                exitStatus = status
                // Like a container whose main process ended: the rest of its group goes too.
                _ = kill(-child, SIGKILL)
            } else if reaped < 0 && errno == EINTR {
                continue
            } else {
                break
            }
        }
    }

    while descriptors[0].fd >= 0 || descriptors[1].fd >= 0 || exitStatus == nil {
        for index in descriptors.indices { descriptors[index].revents = 0 }
        let timeout: Int32 = exitStatus == nil ? -1 : 1000
        let ready = poll(&descriptors, nfds_t(descriptors.count), timeout)
        if ready < 0 {
            if errno == EINTR { continue }
            break
        }
        if ready == 0 {
            // The command has exited; what still holds its pipes (a process that left its
            // group) gets a second of silence, at most five times, then the shim finishes.
            quietPollsAfterExit += 1
            if quietPollsAfterExit >= 5 || descriptors[0].fd < 0 && descriptors[1].fd < 0 { break }
            continue
        }
        for (index, log) in [(0, stdoutLog), (1, stderrLog)] where descriptors[index].fd >= 0 {
            guard descriptors[index].revents != 0 else { continue }
            let count = read(descriptors[index].fd, buffer.baseAddress, bufferSize)
            if count > 0 {
                do {
                    try log.write(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                } catch {
                    if !logWriteFailed {
                        writeAll(2, "titan-task-shim: \(error.message); output is dropped until it succeeds\n")
                        logWriteFailed = true
                    }
                }
            } else if count == 0 || errno != EINTR && errno != EAGAIN {
                _ = close(descriptors[index].fd)
                descriptors[index].fd = -1
            }
        }
        if descriptors[2].revents != 0 {
            var information = [UInt8](repeating: 0, count: 128)
            while information.withUnsafeMutableBytes({ read(childFailed, $0.baseAddress, 128) }) > 0 {}
            reap()
        }
        if descriptors[0].fd < 0 && descriptors[1].fd < 0 && exitStatus == nil {
            // Both pipes closed: the child is exiting; wait for it.
            var status: Int32 = 0
            while waitpid(child, &status, 0) < 0 && errno == EINTR {}
            exitStatus = status
            _ = kill(-child, SIGKILL)
        }
    }
    if exitStatus == nil {
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        exitStatus = status
    }
    return exitStatus ?? 0
}

exit(runShim())
