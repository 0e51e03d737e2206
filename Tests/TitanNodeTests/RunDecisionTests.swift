import Foundation
import Testing
import TitanModel

@testable import TitanNode

@Suite("How a run's end is reported")
struct RunDecisionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var exit: RunExit
        var killReason: String?
        var durationElapsed = false
        var reason: FinishReason
        var exitCode: Int?
        var message: String?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "exit 0", exit: RunExit(cause: .exited(code: 0)), reason: .succeeded, exitCode: 0, message: nil),
        Case(
            name: "exit 2",
            exit: RunExit(cause: .exited(code: 2)),
            reason: .failed,
            exitCode: 2,
            message: "exited with status 2"
        ),
        Case(
            name: "exit 137 with nobody asking",
            exit: RunExit(cause: .exited(code: 137)),
            reason: .failed,
            exitCode: 137,
            message: "exited with status 137 (killed by SIGKILL (9), not by Titan)"
        ),
        Case(
            name: "docker kill by someone",
            exit: RunExit(cause: .exited(code: 137), externalSignal: "SIGKILL (9)"),
            reason: .failed,
            exitCode: 137,
            message:
                "exited with status 137 after SIGKILL (9) sent through the Docker engine by someone other than Titan"
        ),
        Case(
            name: "signal",
            exit: RunExit(cause: .signaled(signal: 11)),
            reason: .failed,
            exitCode: 139,
            message: "killed by SIGSEGV (11), not by Titan"
        ),
        Case(
            name: "OOM",
            exit: RunExit(cause: .exited(code: 137), oomKilled: true),
            reason: .oomKilled,
            exitCode: 137,
            message: "out of memory: killed by the kernel at its limit of 64 MB"
        ),
        Case(
            name: "kill asked for wins over OOM",
            exit: RunExit(cause: .exited(code: 137), oomKilled: true),
            killReason: "scaled down",
            reason: .killed,
            exitCode: 137,
            message: "killed: scaled down"
        ),
        Case(
            name: "kill asked for, clean exit",
            exit: RunExit(cause: .exited(code: 0)),
            killReason: "job killed",
            reason: .killed,
            exitCode: 0,
            message: "killed: job killed"
        ),
        Case(
            name: "simulated duration",
            exit: RunExit(cause: .signaled(signal: 15)),
            durationElapsed: true,
            reason: .succeeded,
            exitCode: 143,
            message: "stopped at the end of its set duration"
        ),
        Case(
            name: "could not start",
            exit: RunExit(cause: .failedToStart(reason: "cannot run x: No such file")),
            reason: .failed,
            exitCode: nil,
            message: "cannot run x: No such file"
        ),
        Case(
            name: "vanished",
            exit: RunExit(cause: .vanished(reason: "container gone")),
            reason: .lost,
            exitCode: nil,
            message: "container gone"
        ),
    ]

    @Test("each kind of end maps to its reason, exit code and message", arguments: cases)
    func decide(_ testCase: Case) {
        let outcome = RunOutcome.decide(
            exit: testCase.exit,
            killReason: testCase.killReason,
            durationElapsed: testCase.durationElapsed,
            memoryLimitMB: 64
        )
        #expect(outcome == RunOutcome(reason: testCase.reason, exitCode: testCase.exitCode, message: testCase.message))
    }

    @Test("a run's environment has Titan's variables, which win over the job's")
    func environment() {
        let spec = LaunchSpec(
            jobID: "job-1",
            jobName: "rocker",
            image: nil,
            command: ["x"],
            environment: ["LOG_LEVEL": "info", "TITAN_TASK_ID": "spoofed"],
            cpus: 2,
            memoryMB: 512,
            diskGB: 1,
            networkMbps: 0,
            ports: [31002, 31003],
            durationSeconds: nil,
            labels: [:]
        )
        let environment = RunEnvironment.variables(
            key: RunKey(taskID: "job-1-3", attempt: 2),
            launch: spec,
            metadataURL: "http://127.0.0.1:7071/v1/metadata/abc",
            logDirectory: "/titan/logs",
            hostID: "host-17"
        )
        #expect(environment["LOG_LEVEL"] == "info")
        #expect(environment["TITAN_TASK_ID"] == "job-1-3")
        #expect(environment["TITAN_TASK_ATTEMPT"] == "2")
        #expect(environment["TITAN_JOB_ID"] == "job-1")
        #expect(environment["TITAN_JOB_NAME"] == "rocker")
        #expect(environment["TITAN_PORTS"] == "31002,31003")
        #expect(environment["TITAN_PORT0"] == "31002")
        #expect(environment["TITAN_PORT1"] == "31003")
        #expect(environment["TITAN_METADATA_URL"] == "http://127.0.0.1:7071/v1/metadata/abc")
        #expect(environment["TITAN_HOST"] == "host-17")
        #expect(environment["TITAN_LOG_DIR"] == "/titan/logs")
    }

    @Test("task ids that could escape the agent's directories are refused")
    func unusableTaskIDs() {
        #expect(RunKey(taskID: "0192f1c4-aaaa-7bbb-8ccc-000000000001-12", attempt: 0).unusableReason == nil)
        #expect(RunKey(taskID: "../../etc", attempt: 0).unusableReason != nil)
        #expect(RunKey(taskID: "a/b", attempt: 0).unusableReason != nil)
        #expect(RunKey(taskID: "", attempt: 0).unusableReason != nil)
        #expect(RunKey(taskID: "-x", attempt: 0).unusableReason != nil)
        #expect(RunKey(taskID: "job-1", attempt: -1).unusableReason != nil)
        #expect(RunKey(fileName: "job-1-3.7") == RunKey(taskID: "job-1-3", attempt: 7))
        #expect(RunKey(fileName: "nonsense") == nil)
    }

    @Test("the shim's exit record reads back as the exit it describes")
    func exitRecords() {
        #expect(ProcessTaskRuntime.cause(exitRecord: "exited 3") == .exited(code: 3))
        #expect(ProcessTaskRuntime.cause(exitRecord: "signaled 9") == .signaled(signal: 9))
        #expect(
            ProcessTaskRuntime.cause(exitRecord: "failed-to-start cannot run x: y")
                == .failedToStart(reason: "cannot run x: y")
        )
        if case .vanished = ProcessTaskRuntime.cause(exitRecord: "garbage") {
        } else {
            Issue.record("garbage is not vanished")
        }
    }
}
