// agent-bench: measures titan-agent's launch latency and its own memory with many tasks.
//
//   swift run -c release agent-bench launch --docker-socket S --image I [--count 100]
//   swift run -c release agent-bench launch --processes [--count 100]
//   swift run -c release agent-bench memory --docker-socket S --image I [--count 200]
//   swift run -c release agent-bench memory --processes [--count 200]
//   (each task asks for --cpus 0.1 and --memory-mb 16 unless told otherwise)
//
// Both run a whole agent in this process (NodeAgent: runtimes, supervisor, status journal, HTTP
// servers, the API loops pointed at an address where nothing listens) and hand launches to its
// supervisor directly, as the order poller does with orders from titan-api.
//
// launch: one launch at a time, each a `sleep` container of the local image (or a `sleep`
// process), left running; the time from the
// launch order to the `started` update, over `count` launches: p50, p90, p99, max.
// memory: `count` sleeping tasks started; the agent's resident memory (VmRSS) then, after a
// usage sample of every task, and after the tasks are killed.

import Foundation
import Logging
import TitanModel
import TitanNode

struct BenchOptions {
    var mode = ""
    var count = 0
    var dockerSocket: String?
    var image = "titan-test/busybox:latest"
    var processes = false
    /// The task's cpus: its cpu quota also throttles the container's own start (runc's init runs
    /// in the task's cgroup), so a tiny share such as 0.01 takes over a second to start.
    var cpus = 0.1
    var memoryMB = 16

    init(_ arguments: [String]) throws {
        var index = 1
        func value() throws -> String {
            index += 1
            guard index < arguments.count else { throw BenchError("\(arguments[index - 1]) needs a value") }
            return arguments[index]
        }
        while index < arguments.count {
            switch arguments[index] {
            case "launch", "memory": mode = arguments[index]
            case "--count": count = Int(try value()) ?? 0
            case "--docker-socket": dockerSocket = try value()
            case "--image": image = try value()
            case "--processes": processes = true
            case "--cpus": cpus = Double(try value()) ?? 0
            case "--memory-mb": memoryMB = Int(try value()) ?? 0
            default: throw BenchError("unknown argument \(arguments[index])")
            }
            index += 1
        }
        guard mode == "launch" || mode == "memory" else {
            throw BenchError(
                "usage: agent-bench launch|memory [--count N] [--cpus C] [--memory-mb M] "
                    + "[--docker-socket S --image I | --processes]"
            )
        }
        if count <= 0 { count = mode == "launch" ? 100 : 200 }
        if !processes && dockerSocket == nil { throw BenchError("give --docker-socket S (or --processes)") }
        guard cpus > 0, memoryMB > 0 else { throw BenchError("--cpus and --memory-mb must be greater than 0") }
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func freePort() -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
    }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

func residentMB() -> Double {
    Double(AgentMetrics.residentMemoryBytes() ?? 0) / 1_048_576
}

func heapMB() -> Double {
    Double(AgentMetrics.heapInUseBytes()) / 1_048_576
}

func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
}

func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(
        separator: " "
    )
        ?? "?"
}

@main
struct AgentBench {
    static func main() async {
        do {
            try await run(BenchOptions(CommandLine.arguments))
        } catch {
            FileHandle.standardError.write(Data("agent-bench: \(error)\n".utf8))
            exit(1)
        }
    }

    static func run(_ options: BenchOptions) async throws {
        let work = NSTemporaryDirectory() + "agent-bench-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: work) }
        var logger = Logger(label: "agent-bench")
        logger.logLevel = .error
        let configuration = AgentConfiguration(
            agentID: HostID("bench-\(getpid())"),
            apiURL: "http://127.0.0.1:\(freePort())",
            workDirectory: work,
            listenPort: freePort(),
            metadataPort: freePort(),
            dockerSocket: options.processes ? nil : options.dockerSocket,
            usageInterval: .seconds(3600)
        )
        let agent = try await NodeAgent(configuration: configuration, logger: logger)
        print(
            "agent-bench \(options.mode): \(options.count) tasks, \(options.processes ? "processes" : "Docker image \(options.image)"), load \(loadAverage())"
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await agent.run() }
            defer { group.cancelAll() }
            let supervisor = agent.supervisor
            let jobID = JobID.generate(at: Date())
            func spec() -> LaunchSpec {
                LaunchSpec(
                    jobID: jobID,
                    jobName: "bench",
                    image: options.processes ? nil : options.image,
                    command: options.processes ? ["/bin/sleep", "3600"] : ["sleep", "3600"],
                    environment: [:],
                    cpus: options.cpus,
                    memoryMB: options.memoryMB,
                    diskGB: 0,
                    networkMbps: 0,
                    ports: [],
                    durationSeconds: nil,
                    labels: [:]
                )
            }
            let keys = (0..<options.count).map { RunKey(taskID: TaskInstanceID(job: jobID, index: $0), attempt: 0) }
            // The agent idle: its services up (servers listening, API loops retrying), no tasks.
            try await Task.sleep(for: .seconds(2))
            let baseline = residentMB()
            let baselineHeap = heapMB()
            switch options.mode {
            case "launch":
                var latencies: [Double] = []
                for key in keys {
                    let start = ContinuousClock.now
                    await supervisor.launch(taskID: key.taskID, attempt: 0, spec: spec())
                    await supervisor.waitUntilStarted(key)
                    let elapsed = ContinuousClock.now - start
                    latencies.append(
                        Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
                    )
                }
                let failed = agent.supervisor.journal.pendingEntries().filter { $0.update.state == .finished }.count
                let sorted = latencies.sorted()
                print(
                    String(
                        format:
                            "launch → started (ms): p50 %.0f  p90 %.0f  p99 %.0f  max %.0f  mean %.0f  (%d launches, %d failed)",
                        percentile(sorted, 0.5),
                        percentile(sorted, 0.9),
                        percentile(sorted, 0.99),
                        sorted.last ?? 0,
                        sorted.reduce(0, +) / Double(max(1, sorted.count)),
                        sorted.count,
                        failed
                    )
                )
            default:
                let launchStart = ContinuousClock.now
                for key in keys { await supervisor.launch(taskID: key.taskID, attempt: 0, spec: spec()) }
                for key in keys { await supervisor.waitUntilStarted(key) }
                let running = await supervisor.runningTasks().filter { $0.state == .started }.count
                print("started \(running) of \(options.count) in \(ContinuousClock.now - launchStart)")
                try await Task.sleep(for: .seconds(5))
                let withTasks = residentMB()
                _ = await supervisor.sampleUsage()
                let afterSample = residentMB()
                print(
                    String(
                        format:
                            "agent RSS: %.1f MB idle before launches, %.1f MB with %d tasks, %.1f MB after sampling their usage",
                        baseline,
                        withTasks,
                        running,
                        afterSample
                    )
                )
                AgentMetrics.releaseFreeMemory()
                print(String(format: "agent RSS after malloc_trim: %.1f MB", residentMB()))
                print(
                    String(
                        format: "heap in use: %.1f MB before launches, %.1f MB with the tasks",
                        baselineHeap,
                        heapMB()
                    )
                )
            }
            print("stopping the tasks…")
            for key in keys {
                await supervisor.kill(
                    taskID: key.taskID,
                    attempt: 0,
                    gracePeriod: .seconds(5),
                    reason: "benchmark over"
                )
            }
            let deadline = ContinuousClock.now + .seconds(300)
            while await !supervisor.runningTasks().isEmpty, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
            }
            print(String(format: "agent RSS after the tasks ended: %.1f MB", residentMB()))
        }
    }
}
