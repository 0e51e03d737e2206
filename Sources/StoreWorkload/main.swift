// Drives TitanStore from its own process.
//
//   store-workload write-until-killed PATH
//       Creates jobs (200 tasks each) and launches some of their tasks, forever. After each
//       commit prints `committed JOB_ID INSTANCES` and flushes, so a test that kills the process
//       with SIGKILL knows which jobs the store acknowledged.
//   store-workload create-jobs COUNT INSTANCES PATH [normal]
//       Creates COUNT jobs one after another, for profiling (`perf record`); `normal` for
//       synchronous=NORMAL.
//   store-workload measure [DIRECTORY]
//       Times the operations titan-api's targets depend on and prints one line per figure.
//       Build with -c release for figures worth quoting.

import Foundation
import TitanModel
import TitanStore

let arguments = CommandLine.arguments.dropFirst()

func spec(name: String, instances: Int, cells: Int = 1) -> JobSpec {
    let perCell = instances / cells
    let location = (0..<cells).map { CellInstances(cell: CellName("dc\($0 + 1)"), instances: perCell) }
    return JobSpec(
        name: name,
        applicationName: "workload",
        version: "1.0",
        location: location,
        cpus: 1,
        memoryMB: 512,
        ports: 2,
        workload: .image("busybox:1.36"),
        environment: ["MODE": "workload"],
        hardConstraints: [.uniqueHostAttribute(attribute: "zone")]
    )
}

func writeUntilKilled(path: String) async throws {
    let store = try TitanDatabase.open(path: path)
    var sequence = 0
    while true {
        sequence += 1
        let created = try await store.createJob(
            spec(name: "crash-\(sequence)", instances: 200),
            id: nil,
            clientToken: nil,
            now: Date()
        )
        // Unbuffered, so the line is out before the next write begins.
        FileHandle.standardOutput.write(Data("committed \(created.job.id) \(created.tasks.count)\n".utf8))
        let assignments = created.tasks.prefix(50).map {
            TaskAssignment(
                taskID: $0.id,
                attempt: 0,
                host: HostID("host-\($0.instanceIndex % 7)"),
                ports: [31000, 31001]
            )
        }
        _ = try await store.assignTasks(assignments, at: Date())
    }
}

/// Milliseconds an operation took.
func milliseconds(_ body: () async throws -> Void) async rethrows -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    try await body()
    let elapsed = clock.now - start
    return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
}

func percentile(_ values: [Double], _ fraction: Double) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    return sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)]
}

func report(_ name: String, _ samples: [Double]) {
    let line = String(
        format: "%@: median %.1f ms, p99 %.1f ms, max %.1f ms (%d runs)",
        name,
        percentile(samples, 0.5),
        percentile(samples, 0.99),
        samples.max() ?? 0,
        samples.count
    )
    print(line)
}

func measureCreation(store: TitanDatabase, instances: Int, label: String) async throws {
    var sequential: [Double] = []
    for index in 0..<1000 {
        sequential.append(
            try await milliseconds {
                _ = try await store.createJob(
                    spec(name: "seq-\(instances)-\(index)", instances: instances, cells: 3),
                    id: nil,
                    clientToken: "s\(instances)-\(index)",
                    now: Date()
                )
            }
        )
    }
    report("createJob, \(instances) tasks, sequential", sequential)
    let total = sequential.reduce(0, +)
    print(String(format: "createJob, \(instances) tasks, sequential: %.0f jobs/s", 1000 / (total / 1000)))

    let clock = ContinuousClock()
    let concurrentStart = clock.now
    let concurrent = try await withThrowingTaskGroup(of: [Double].self) { group in
        for caller in 0..<16 {
            group.addTask {
                var samples: [Double] = []
                for index in 0..<125 {
                    samples.append(
                        try await milliseconds {
                            _ = try await store.createJob(
                                spec(name: "par-\(instances)-\(caller)-\(index)", instances: instances, cells: 3),
                                id: nil,
                                clientToken: "p\(instances)-\(caller)-\(index)",
                                now: Date()
                            )
                        }
                    )
                }
                return samples
            }
        }
        var all: [Double] = []
        for try await samples in group { all += samples }
        return all
    }
    let concurrentElapsed = clock.now - concurrentStart
    report("createJob, \(instances) tasks, 16 concurrent callers (latency)", concurrent)
    let seconds =
        Double(concurrentElapsed.components.seconds) + Double(concurrentElapsed.components.attoseconds) / 1e18
    print(
        String(
            format: "createJob, \(instances) tasks, 16 concurrent callers: %.0f jobs/s",
            Double(concurrent.count) / seconds
        )
    )

}

func measure(directory: URL) async throws {
    for durability in [StoreConfiguration.Durability.full, .normal] {
        let label = durability == .full ? "synchronous=FULL" : "synchronous=NORMAL"
        let path = directory.appendingPathComponent("measure-\(label).sqlite").path
        let store = try TitanDatabase.open(path: path, configuration: StoreConfiguration(durability: durability))
        print("== \(label)")

        // Job creation as titan-api does it: one request per job, one caller after another, then
        // 16 at once (concurrent calls share transactions). 120 tasks is the design's example
        // spec; 3 tasks a small service.
        for instances in [120, 3] {
            try await measureCreation(store: store, instances: instances, label: label)
        }

        // One job of 10,000 tasks, inserted in one transaction; then listing all its tasks.
        var bigJobs: [JobID] = []
        var inserts: [Double] = []
        for index in 0..<5 {
            inserts.append(
                try await milliseconds {
                    let created = try await store.createJob(
                        spec(name: "big-\(index)", instances: 10_000, cells: 2),
                        id: nil,
                        clientToken: nil,
                        now: Date()
                    )
                    bigJobs.append(created.job.id)
                }
            )
        }
        report("createJob, 10,000 tasks in one transaction", inserts)
        var listings: [Double] = []
        for round in 0..<50 {
            let job = bigJobs[round % bigJobs.count]
            listings.append(
                try await milliseconds {
                    let page = try await store.tasks(jobID: job, states: nil, page: PageRequest(limit: 10_000))
                    precondition(page.items.count == 10_000)
                }
            )
        }
        report("tasks(jobID:), all 10,000 tasks of a job", listings)
        var summaries: [Double] = []
        for round in 0..<50 {
            let job = bigJobs[round % bigJobs.count]
            summaries.append(
                try await milliseconds {
                    let page = try await store.tasks(jobID: job, states: nil, page: PageRequest(limit: 10_000))
                    let data = try TitanJSON.encoder().encode(
                        Page(items: page.items.map(\.summary), nextCursor: page.nextCursor)
                    )
                    precondition(!data.isEmpty)
                }
            )
        }
        report("tasks(jobID:) + JSONEncoder on 10,000 TaskSummary", summaries)
        var fastSummaries: [Double] = []
        for round in 0..<50 {
            let job = bigJobs[round % bigJobs.count]
            fastSummaries.append(
                try await milliseconds {
                    let page = try await store.tasks(jobID: job, states: nil, page: PageRequest(limit: 10_000))
                    let data = TitanJSON.encode(Page(items: page.items.map(\.summary), nextCursor: page.nextCursor))
                    precondition(!data.isEmpty)
                }
            )
        }
        report("tasks(jobID:) + TitanJSON.encode on 10,000 TaskSummary", fastSummaries)
        let oneJob = try await store.tasks(jobID: bigJobs[0], states: nil, page: PageRequest(limit: 10_000))
        var encodeOnly: [Double] = []
        for _ in 0..<50 {
            encodeOnly.append(
                await milliseconds {
                    let data = TitanJSON.encode(Page(items: oneJob.items.map(\.summary), nextCursor: nil))
                    precondition(!data.isEmpty)
                }
            )
        }
        report("TitanJSON.encode alone, 10,000 TaskSummary", encodeOnly)

        // A scheduling iteration's bookkeeping: 5,000 pending reasons, 1,000 assignments.
        let pendingTasks = try await store.tasks(
            jobID: bigJobs[0],
            states: [.accepted],
            page: PageRequest(limit: 10_000)
        ).items
        let pending = pendingTasks.prefix(5000).map {
            PendingReasonUpdate(taskID: $0.id, reason: "cpus: asked 1, most free 0.5")
        }
        report(
            "setPendingReasons, 5,000 tasks",
            [try await milliseconds { _ = try await store.setPendingReasons(pending) }]
        )
        let assignments = pendingTasks.suffix(1000).map {
            TaskAssignment(
                taskID: $0.id,
                attempt: 0,
                host: HostID("h\($0.instanceIndex % 100)"),
                ports: [31000, 31001]
            )
        }
        report(
            "assignTasks, 1,000 tasks",
            [try await milliseconds { _ = try await store.assignTasks(assignments, at: Date()) }]
        )
        var transitions: [Double] = []
        for assigned in pendingTasks.suffix(1000).prefix(500) {
            transitions.append(
                try await milliseconds {
                    _ = try await store.recordTransition(
                        TaskTransition(taskID: assigned.id, attempt: 0, from: .launched, to: .started, at: Date())
                    )
                }
            )
        }
        report("recordTransition, one task", transitions)
    }

    // Restart: a store with 100,000 tasks (10 jobs of 10,000), opened afresh and every task
    // that may still run loaded.
    let path = directory.appendingPathComponent("restart.sqlite").path
    do {
        let store = try TitanDatabase.open(path: path)
        for index in 0..<10 {
            _ = try await store.createJob(
                spec(name: "restart-\(index)", instances: 10_000, cells: 2),
                id: nil,
                clientToken: nil,
                now: Date()
            )
        }
    }
    var loaded = 0
    let open = try await milliseconds {
        let store = try TitanDatabase.open(path: path)
        let live = try await store.tasksInStates(Set(TaskState.allCases).subtracting([.finished]))
        loaded = live.count
    }
    print(String(format: "restart: open the store and load %d non-finished tasks: %.0f ms", loaded, open))
}

/// Creates `count` jobs of `instances` tasks one after another, for profiling.
func createJobs(count: Int, instances: Int, path: String, durability: StoreConfiguration.Durability) async throws {
    let store = try TitanDatabase.open(path: path, configuration: StoreConfiguration(durability: durability))
    let elapsed = try await milliseconds {
        for index in 0..<count {
            _ = try await store.createJob(
                spec(name: "p-\(index)", instances: instances, cells: 3),
                id: nil,
                clientToken: "c\(index)",
                now: Date()
            )
        }
    }
    print(
        String(
            format: "%d jobs of %d tasks: %.0f ms, %.0f jobs/s",
            count,
            instances,
            elapsed,
            Double(count) / elapsed * 1000
        )
    )
}

switch arguments.first {
case "create-jobs":
    let rest = Array(arguments.dropFirst())
    guard rest.count >= 3, let count = Int(rest[0]), let instances = Int(rest[1]) else {
        print("usage: store-workload create-jobs COUNT INSTANCES PATH [normal]")
        exit(2)
    }
    let durability: StoreConfiguration.Durability = rest.count > 3 && rest[3] == "normal" ? .normal : .full
    try await createJobs(count: count, instances: instances, path: rest[2], durability: durability)
case "write-until-killed":
    guard let path = arguments.dropFirst().first else {
        print("usage: store-workload write-until-killed PATH")
        exit(2)
    }
    try await writeUntilKilled(path: path)
case "measure":
    let directory =
        arguments.dropFirst().first.map { URL(fileURLWithPath: $0) }
        ?? FileManager.default.temporaryDirectory.appendingPathComponent("store-workload-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try await measure(directory: directory)
    try? FileManager.default.removeItem(at: directory)
default:
    print("usage: store-workload write-until-killed PATH | measure [DIRECTORY]")
    exit(2)
}
