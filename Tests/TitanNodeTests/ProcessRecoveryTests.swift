import Foundation
import Testing
import TitanModel

@testable import TitanNode

/// An agent restarted while its process tasks run: the shims keep the tasks alive, the new
/// agent finds them by their recorded pids and reports how they end.
@Suite("Process runtime across agent restarts")
struct ProcessRecoveryTests {
    @Test("a process still running is picked up again, reported once, and its end reported with its exit code")
    func runningProcessRecovered() async throws {
        let work = TemporaryDirectory()
        let key = RunKey(taskID: uniqueTaskID(), attempt: 0)
        let release = work.file("release")
        let spec = launchSpec(
            command: [
                "/bin/sh", "-c", "echo before; while [ ! -e \(release) ]; do sleep 0.1; done; echo after; exit 6",
            ]
        )
        let first = try SupervisorHarness(work: work, runtimes: [try processRuntime()])
        let taskPID = try await first.running { harness in
            await harness.supervisor.launch(taskID: key.taskID, attempt: 0, spec: spec)
            try await eventually("started") { harness.updates(key).contains { $0.state == .started } }
            return try #require(await harness.supervisor.liveRecord(key)?.process?.taskPID)
        }
        #expect(kill(taskPID, 0) == 0, "the task outlives the agent")

        let second = try SupervisorHarness(work: work, runtimes: [try processRuntime()])
        #expect(await second.supervisor.recover() == 1)
        #expect(await second.supervisor.runningTasks().map(\.state) == [.started])
        #expect(await second.supervisor.launch(taskID: key.taskID, attempt: 0, spec: spec) == .alreadyKnown)
        try await second.running { harness in
            try Data().write(to: URL(fileURLWithPath: release))
            let finished = try await harness.finished(key)
            #expect(finished.reason == .failed)
            #expect(finished.exitCode == 6)
            #expect(harness.updates(key).map(\.state) == [.startInitiated, .started, .finished])
            #expect(
                try String(contentsOfFile: harness.supervisor.logs.directory(key) + "/stdout", encoding: .utf8)
                    == "before\nafter\n"
            )
        }
    }

    @Test("a process that ended while the agent was away is reported on restart")
    func endedWhileAway() async throws {
        let work = TemporaryDirectory()
        let key = RunKey(taskID: uniqueTaskID(), attempt: 0)
        let first = try SupervisorHarness(work: work, runtimes: [try processRuntime()])
        try await first.running { harness in
            await harness.supervisor.launch(
                taskID: key.taskID,
                attempt: 0,
                spec: launchSpec(command: ["/bin/sh", "-c", "sleep 0.5; exit 0"])
            )
            try await eventually("started") { harness.updates(key).contains { $0.state == .started } }
        }
        let exitRecord = work.file("runs/\(key.fileName)/exit")
        try await eventually("the shim records the exit") { FileManager.default.fileExists(atPath: exitRecord) }
        let second = try SupervisorHarness(work: work, runtimes: [try processRuntime()])
        #expect(await second.supervisor.recover() == 0)
        try await second.running { harness in
            let finished = try await harness.finished(key)
            #expect(finished.reason == .succeeded)
        }
    }

    @Test("a process whose shim was killed while the agent was away is reported lost and its task stopped")
    func shimGone() async throws {
        let work = TemporaryDirectory()
        let key = RunKey(taskID: uniqueTaskID(), attempt: 0)
        let first = try SupervisorHarness(work: work, runtimes: [try processRuntime()])
        let (process, cgroup) = try await first.running { harness in
            await harness.supervisor.launch(
                taskID: key.taskID,
                attempt: 0,
                spec: launchSpec(command: ["/bin/sleep", "60"])
            )
            try await eventually("started") { harness.updates(key).contains { $0.state == .started } }
            let record = await harness.supervisor.liveRecord(key)
            return (try #require(record?.process), record?.cgroup)
        }
        kill(process.shimPID, SIGKILL)
        // The shim is this test process's child (in production, init adopts it when the agent goes).
        var status: Int32 = 0
        waitpid(process.shimPID, &status, 0)
        let second = try SupervisorHarness(work: work, runtimes: [try processRuntime()])
        await second.supervisor.recover()
        try await second.running { harness in
            let finished = try await harness.finished(key)
            #expect(finished.reason == .lost)
            #expect(finished.message?.contains("is gone and left no exit record") == true)
        }
        try await eventually("the orphaned task is stopped") { kill(process.taskPID, 0) != 0 }
        for directory in cgroup?.directories ?? [] {
            try await eventually("the lost run's cgroup \(directory) is removed") {
                !FileManager.default.fileExists(atPath: directory)
            }
        }
    }

    @Test("a kill asked for before a restart is still reported as killed after it")
    func killSurvivesRestart() async throws {
        let work = TemporaryDirectory()
        let key = RunKey(taskID: uniqueTaskID(), attempt: 0)
        let first = try SupervisorHarness(work: work, runtimes: [try processRuntime()])
        try await first.running { harness in
            await harness.supervisor.launch(
                taskID: key.taskID,
                attempt: 0,
                spec: launchSpec(command: ["/bin/sh", "-c", "trap '' TERM; while :; do sleep 0.1; done"])
            )
            try await eventually("started") { harness.updates(key).contains { $0.state == .started } }
            // A grace period longer than the agent lives, so it stops before the kill completes.
            await harness.supervisor.kill(
                taskID: key.taskID,
                attempt: 0,
                gracePeriod: .seconds(2),
                reason: "job killed"
            )
            try await Task.sleep(for: .milliseconds(200))
        }
        let second = try SupervisorHarness(work: work, runtimes: [try processRuntime()])
        await second.supervisor.recover()
        try await second.running { harness in
            let finished = try await harness.finished(key, timeout: .seconds(60))
            #expect(finished.reason == .killed)
            #expect(finished.exitCode == 137)
            #expect(finished.message == "killed: job killed")
        }
    }
}
