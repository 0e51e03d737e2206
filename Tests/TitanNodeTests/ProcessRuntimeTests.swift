import Foundation
import Testing
import TitanLogFiles
import TitanModel

@testable import TitanNode

/// The process runtime with real processes under the real task shim, supervised as the agent
/// does; cgroup limits are applied where the host allows (root with cgroup v1 or v2 here).
@Suite("Process runtime")
struct ProcessRuntimeTests {
    @Test("a command runs with Titan's environment and its exit code is reported as finished")
    func exitCodeAndEnvironment() async throws {
        let harness = try SupervisorHarness(runtimes: [try processRuntime()])
        let key = RunKey(taskID: uniqueTaskID(), attempt: 2)
        try await harness.running { harness in
            let accepted = await harness.supervisor.launch(
                taskID: key.taskID,
                attempt: key.attempt,
                spec: launchSpec(
                    command: [
                        "/bin/sh", "-c",
                        "echo \"$TITAN_TASK_ID $TITAN_TASK_ATTEMPT $TITAN_PORTS $TITAN_PORT1 $GREETING\"; echo oops >&2; exit 3",
                    ],
                    environment: ["GREETING": "hello"],
                    ports: [31001, 31002]
                )
            )
            #expect(accepted == .accepted)
            let finished = try await harness.finished(key)
            #expect(finished.reason == .failed)
            #expect(finished.exitCode == 3)
            #expect(finished.message == "exited with status 3")
            #expect(harness.updates(key).map(\.state) == [.startInitiated, .started, .finished])
            let logs = harness.supervisor.logs.directory(key)
            #expect(
                try String(contentsOfFile: logs + "/stdout", encoding: .utf8)
                    == "\(key.taskID) 2 31001,31002 31002 hello\n"
            )
            #expect(try String(contentsOfFile: logs + "/stderr", encoding: .utf8) == "oops\n")
        }
    }

    @Test("exit 0 is reported as succeeded")
    func success() async throws {
        let harness = try SupervisorHarness(runtimes: [try processRuntime()])
        let key = RunKey(taskID: uniqueTaskID(), attempt: 0)
        try await harness.running { harness in
            await harness.supervisor.launch(taskID: key.taskID, attempt: 0, spec: launchSpec(command: ["/bin/true"]))
            let finished = try await harness.finished(key)
            #expect(finished.reason == .succeeded)
            #expect(finished.exitCode == 0)
        }
    }

    @Test("a command that does not exist fails with a message saying so, without a started update")
    func commandNotFound() async throws {
        let harness = try SupervisorHarness(runtimes: [try processRuntime()])
        let key = RunKey(taskID: uniqueTaskID(), attempt: 0)
        try await harness.running { harness in
            await harness.supervisor.launch(
                taskID: key.taskID,
                attempt: 0,
                spec: launchSpec(command: ["/no/such/program", "--flag"])
            )
            let finished = try await harness.finished(key)
            #expect(finished.reason == .failed)
            #expect(finished.exitCode == nil)
            #expect(finished.message == "cannot run /no/such/program: No such file or directory")
            #expect(harness.updates(key).map(\.state) == [.startInitiated, .finished])
        }
    }

    @Test("a launch order carried out twice starts the run once")
    func duplicateLaunch() async throws {
        let harness = try SupervisorHarness(runtimes: [try processRuntime()])
        let key = RunKey(taskID: uniqueTaskID(), attempt: 0)
        let marker = harness.work.file("runs-count")
        let spec = launchSpec(command: ["/bin/sh", "-c", "echo run >> \(marker)"])
        try await harness.running { harness in
            #expect(await harness.supervisor.launch(taskID: key.taskID, attempt: 0, spec: spec) == .accepted)
            #expect(await harness.supervisor.launch(taskID: key.taskID, attempt: 0, spec: spec) == .alreadyKnown)
            _ = try await harness.finished(key)
            #expect(await harness.supervisor.launch(taskID: key.taskID, attempt: 0, spec: spec) == .alreadyKnown)
            #expect(try String(contentsOfFile: marker, encoding: .utf8) == "run\n")
            #expect(harness.updates(key).filter { $0.state == .started }.count == 1)
        }
    }

    @Test("a kill sends SIGTERM to the task's process group and reports killed")
    func killWithGrace() async throws {
        let harness = try SupervisorHarness(runtimes: [try processRuntime()])
        let key = RunKey(taskID: uniqueTaskID(), attempt: 0)
        let trapped = harness.work.file("trapped")
        try await harness.running { harness in
            await harness.supervisor.launch(
                taskID: key.taskID,
                attempt: 0,
                spec: launchSpec(command: [
                    "/bin/sh", "-c", "trap 'echo term > \(trapped); exit 7' TERM; sleep 60 & wait",
                ])
            )
            try await eventually("started") { harness.updates(key).contains { $0.state == .started } }
            await harness.supervisor.kill(
                taskID: key.taskID,
                attempt: 0,
                gracePeriod: .seconds(5),
                reason: "job killed"
            )
            let finished = try await harness.finished(key)
            #expect(finished.reason == .killed)
            #expect(finished.message == "killed: job killed")
            #expect(finished.exitCode == 7)
            #expect(FileManager.default.fileExists(atPath: trapped))
        }
    }

    @Test("a task that ignores SIGTERM is killed with SIGKILL after the grace period")
    func killAfterGrace() async throws {
        let harness = try SupervisorHarness(runtimes: [try processRuntime()])
        let key = RunKey(taskID: uniqueTaskID(), attempt: 0)
        try await harness.running { harness in
            await harness.supervisor.launch(
                taskID: key.taskID,
                attempt: 0,
                spec: launchSpec(command: ["/bin/sh", "-c", "trap '' TERM; while :; do sleep 1; done"])
            )
            try await eventually("started") { harness.updates(key).contains { $0.state == .started } }
            await harness.supervisor.kill(
                taskID: key.taskID,
                attempt: 0,
                gracePeriod: .milliseconds(300),
                reason: "scaled down"
            )
            let finished = try await harness.finished(key)
            #expect(finished.reason == .killed)
            #expect(finished.exitCode == 137)
        }
    }

    @Test("a process killed by someone else is reported failed, naming the signal")
    func externalKill() async throws {
        let harness = try SupervisorHarness(runtimes: [try processRuntime()])
        let key = RunKey(taskID: uniqueTaskID(), attempt: 0)
        try await harness.running { harness in
            await harness.supervisor.launch(
                taskID: key.taskID,
                attempt: 0,
                spec: launchSpec(command: ["/bin/sleep", "60"])
            )
            try await eventually("started") { harness.updates(key).contains { $0.state == .started } }
            let pid = try #require(await harness.supervisor.liveRecord(key)?.process?.taskPID)
            kill(pid, SIGKILL)
            let finished = try await harness.finished(key)
            #expect(finished.reason == .failed)
            #expect(finished.exitCode == 137)
            #expect(finished.message == "killed by SIGKILL (9), not by Titan")
        }
    }

    @Test("a run with a set duration is stopped when it has passed and reported succeeded")
    func simulatedDuration() async throws {
        let harness = try SupervisorHarness(runtimes: [try processRuntime()])
        let key = RunKey(taskID: uniqueTaskID(), attempt: 0)
        try await harness.running { harness in
            await harness.supervisor.launch(
                taskID: key.taskID,
                attempt: 0,
                spec: launchSpec(command: ["/bin/sleep", "600"], durationSeconds: 0.5)
            )
            let finished = try await harness.finished(key)
            #expect(finished.reason == .succeeded)
            #expect(finished.message == "stopped at the end of its set duration")
        }
    }

    @Test("output past the size limit is rotated into numbered files")
    func logRotation() async throws {
        let harness = try SupervisorHarness(
            runtimes: [try processRuntime(policy: LogRotationPolicy(maxBytes: 4096, keptFiles: 2))]
        )
        let key = RunKey(taskID: uniqueTaskID(), attempt: 0)
        try await harness.running { harness in
            await harness.supervisor.launch(
                taskID: key.taskID,
                attempt: 0,
                spec: launchSpec(command: [
                    "/bin/sh", "-c", "i=0; while [ $i -lt 2000 ]; do echo line-$i; i=$((i+1)); done",
                ])
            )
            _ = try await harness.finished(key)
            let directory = harness.supervisor.logs.directory(key)
            let files = RotatingLogFile.existingFiles(directory: directory, name: "stdout")
            #expect(files.map { ($0 as NSString).lastPathComponent } == ["stdout.2", "stdout.1", "stdout"])
            for file in files { #expect(try #require(FileIO.size(file)) <= 4096) }
            let last = try String(contentsOfFile: directory + "/stdout", encoding: .utf8)
            #expect(last.hasSuffix("line-1999\n"))
        }
    }
}

/// Limits through cgroups: only where the host lets the agent make them.
@Suite("Process runtime with cgroups", .enabled(if: CgroupTestHost.tree != nil))
struct ProcessCgroupTests {
    @Test("the run's cgroup gets its cpu quota, shares and memory limit, and holds the process")
    func limitsApplied() async throws {
        let tree = try #require(CgroupTestHost.tree)
        let harness = try SupervisorHarness(runtimes: [try processRuntime(cgroups: tree)])
        let key = RunKey(taskID: uniqueTaskID(), attempt: 0)
        try await harness.running { harness in
            await harness.supervisor.launch(
                taskID: key.taskID,
                attempt: 0,
                spec: launchSpec(command: ["/bin/sleep", "60"], cpus: 0.25, memoryMB: 48)
            )
            try await eventually("started") { harness.updates(key).contains { $0.state == .started } }
            let record = try #require(await harness.supervisor.liveRecord(key))
            let cgroup = try #require(record.cgroup)
            let process = try #require(record.process)
            #expect(cgroup.processIDs().contains(process.taskPID))
            switch cgroup.version {
            case .v1:
                #expect(readTrimmed(cgroup.memoryDirectory + "/memory.limit_in_bytes") == String(48 << 20))
                #expect(readTrimmed(cgroup.cpuDirectory + "/cpu.cfs_quota_us") == "25000")
                #expect(readTrimmed(cgroup.cpuDirectory + "/cpu.cfs_period_us") == "100000")
                #expect(readTrimmed(cgroup.cpuDirectory + "/cpu.shares") == "256")
            case .v2:
                #expect(readTrimmed(cgroup.memoryDirectory + "/memory.max") == String(48 << 20))
                #expect(readTrimmed(cgroup.cpuDirectory + "/cpu.max") == "25000 100000")
            }
            #expect(harness.updates(key).first { $0.state == .started }?.message == nil)
            await harness.supervisor.kill(taskID: key.taskID, attempt: 0, gracePeriod: .seconds(2), reason: "done")
            _ = try await harness.finished(key)
            // Released: the cgroup is gone once the run has been reported.
            try await eventually("the cgroup is removed") {
                !FileManager.default.fileExists(atPath: cgroup.memoryDirectory)
            }
        }
        for directory in tree.parentDirectories { rmdir(directory) }
    }

    @Test("a process over its memory limit is reported OOM-killed")
    func oomKilled() async throws {
        let tree = try #require(CgroupTestHost.tree)
        let harness = try SupervisorHarness(runtimes: [try processRuntime(cgroups: tree)])
        let key = RunKey(taskID: uniqueTaskID(), attempt: 0)
        try await harness.running { harness in
            await harness.supervisor.launch(
                taskID: key.taskID,
                attempt: 0,
                spec: launchSpec(command: ["/bin/sh", "-c", "head -c 300m /dev/zero | tail"], memoryMB: 32)
            )
            let finished = try await harness.finished(key)
            #expect(finished.reason == .oomKilled)
            #expect(finished.message == "out of memory: killed by the kernel at its limit of 32 MB")
        }
        for directory in tree.parentDirectories { rmdir(directory) }
    }

    @Test("usage is read from the cgroup: a busy loop capped at a quarter cpu uses about that")
    func usageFromCgroup() async throws {
        let tree = try #require(CgroupTestHost.tree)
        let harness = try SupervisorHarness(runtimes: [try processRuntime(cgroups: tree)])
        let key = RunKey(taskID: uniqueTaskID(), attempt: 0)
        try await harness.running { harness in
            await harness.supervisor.launch(
                taskID: key.taskID,
                attempt: 0,
                spec: launchSpec(command: ["/bin/sh", "-c", "while :; do :; done"], cpus: 0.25)
            )
            try await eventually("started") { harness.updates(key).contains { $0.state == .started } }
            _ = await harness.supervisor.sampleUsage()
            try await Task.sleep(for: .seconds(2))
            let sample = try #require(await harness.supervisor.sampleUsage().first)
            #expect(sample.cpuSeconds > 0.1)
            // The quota caps it at 25% of a cpu; a shared machine may give it less, never more.
            #expect(sample.cpuPercent > 2 && sample.cpuPercent < 32)
            #expect(sample.memoryBytes > 0)
            await harness.supervisor.kill(taskID: key.taskID, attempt: 0, gracePeriod: .seconds(1), reason: "done")
            _ = try await harness.finished(key)
        }
        for directory in tree.parentDirectories { rmdir(directory) }
    }
}

func readTrimmed(_ path: String) -> String? {
    (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
}
