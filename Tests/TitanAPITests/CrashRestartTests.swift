import CurlHTTP
import Foundation
import Synchronization
import Testing
import TitanModel

@Suite("kill -9 and restart of the titan-api binary")
struct CrashRestartTests {
    static let arguments = [
        "--heartbeat-interval", "0.2", "--lost-after", "4", "--scheduling-interval", "0.1", "--reconcile-interval",
        "0.5",
    ]

    @Test("after SIGKILL under load every acknowledged job is back, no run is launched twice, lost runs restart")
    func killNineUnderLoad() async throws {
        let path = try TestFiles.directory().appendingPathComponent("titan.db").path
        var server = try await ChildServer.start(databasePath: path, arguments: Self.arguments)
        let steady = TestAgent("steady", server: server, cpus: 64, memoryMB: 262_144)
        let crashing = TestAgent("crashing", server: server, cpus: 64, memoryMB: 262_144)
        try await steady.register()
        try await crashing.register()

        // Load: 8 clients create jobs while both agents carry out orders.
        let acknowledged = Locked<[JobID: Int]>([:])
        let stop = Locked(false)
        let target = server
        let load = Task {
            await withTaskGroup(of: Void.self) { group in
                for client in 0..<8 {
                    group.addTask {
                        var index = 0
                        // At most 12 jobs per client: the agents hold 256 such tasks.
                        while !stop.withLock({ $0 }) && index < 12 {
                            let instances = 1 + (client + index) % 3
                            let spec = Specs.service("load-\(client)-\(index)", instances: instances, cpus: 0.5)
                            if let response = try? await target.post("/v1/jobs", json: spec),
                                response.statusCode == 201,
                                let job = try? response.decoded(JobDetail.self)
                            {
                                acknowledged.withLock { $0[job.job.id] = instances }
                            }
                            index += 1
                        }
                    }
                }
                for agent in [steady, crashing] {
                    group.addTask {
                        while !stop.withLock({ $0 }) { _ = try? await agent.carryOutOrders(waitSeconds: 0) }
                    }
                }
            }
        }
        try await eventually("load is under way") {
            let launched = await steady.launches.count
            return acknowledged.withLock { $0.count } >= 40 && launched > 10
        }
        try await server.killHard()
        stop.withLock { $0 = true }
        await load.value
        let jobs = acknowledged.withLock { $0 }

        // While the API is down, one agent restarts and loses everything it ran, and plays a
        // run no job owns.
        await crashing.forgetEverything()
        await crashing.pretendRunning("00000000-0000-7000-8000-000000000000-0", attempt: 0)

        server = try await ChildServer.start(databasePath: path, arguments: Self.arguments)
        await steady.retarget(server)
        await crashing.retarget(server)
        let directives = try await crashing.register()
        #expect(directives.kill.map(\.reason).contains("no job owns this task"))
        await crashing.forgetEverything()

        // Every acknowledged job is there with all its tasks.
        for (id, instances) in jobs {
            let detail = try await server.job(id)
            #expect(detail.job.desiredInstances == instances)
            #expect(detail.job.taskCounts?.total == instances)
        }
        // Everything ends up running, on the agents that are alive.
        do {
            try await eventually("every task runs", timeout: .seconds(60)) {
                _ = try await steady.carryOutOrders(waitSeconds: 0)
                _ = try await crashing.carryOutOrders(waitSeconds: 0)
                let running = Set(await steady.reports.map { "\($0.taskID)#\($0.attempt)" })
                    .union(await crashing.reports.map { "\($0.taskID)#\($0.attempt)" })
                return try await allStarted(server, Array(jobs.keys), on: running)
            }
        } catch {
            var states: [String: Int] = [:]
            for id in jobs.keys {
                for task in try await server.tasks(of: id) {
                    states["\(task.state.rawValue) attempt \(task.attempt) \(task.pendingReason ?? "")", default: 0] +=
                        1
                }
            }
            Issue.record("not every task runs: \(states)")
            throw error
        }
        // No run was launched twice: one launch order per (task, attempt), on one host.
        var launchOrders: [String: Set<String>] = [:]
        for (host, agent) in [("steady", steady), ("crashing", crashing)] {
            for (task, attempt, seq) in await agent.launches {
                launchOrders["\(task)#\(attempt)", default: []].insert("\(host)/\(seq)")
            }
        }
        let duplicated = launchOrders.filter { $0.value.count > 1 }
        #expect(duplicated.isEmpty, "launched twice: \(duplicated)")
        // And no task runs on both agents at once.
        let steadyTasks = Set(await steady.reports.map(\.taskID))
        let crashingTasks = Set(await crashing.reports.map(\.taskID))
        #expect(steadyTasks.isDisjoint(with: crashingTasks))
        // The runs the crashed agent lost were lost and restarted as new attempts.
        let metrics = try await server.get("/metrics").bodyText
        let lostLine = metrics.split(separator: "\n").first { $0.hasPrefix("titan_tasks_lost_total ") }
        let lost = lostLine.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
        let crashedHadRuns = await crashing.launches.count > 0
        if crashedHadRuns { #expect(lost > 0) }
        #expect(try await server.terminate() == 0)
    }

    @Test("SIGTERM shuts the server down gracefully, even with an agent long-polling and an event stream open")
    func gracefulShutdown() async throws {
        let path = try TestFiles.directory().appendingPathComponent("titan.db").path
        let server = try await ChildServer.start(databasePath: path, arguments: Self.arguments)
        let agent = TestAgent("host-1", server: server)
        try await agent.register()
        let poll = Task { try? await agent.pollOrders(waitSeconds: 30) }
        let stream = try await server.client.stream(HTTPRequest(url: server.baseURL + "/v1/events"))
        #expect(stream.statusCode == 200)
        try await Task.sleep(for: .milliseconds(300))
        let started = ContinuousClock.now
        #expect(try await server.terminate() == 0)
        #expect(ContinuousClock.now - started < .seconds(20))
        _ = await poll.value
    }

    /// Whether every task of the jobs is started in a run that an agent really has.
    private func allStarted(_ server: ChildServer, _ jobs: [JobID], on running: Set<String>) async throws -> Bool {
        for id in jobs {
            let tasks = try await server.tasks(of: id)
            if !tasks.allSatisfy({ $0.state == .started && running.contains("\($0.id)#\($0.attempt)") }) {
                return false
            }
        }
        return true
    }
}

/// A value shared between tasks of a test, behind a lock.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<T>(_ body: (inout Value) -> T) -> T { mutex.withLock { body(&$0) } }
}
