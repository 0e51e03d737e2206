import Foundation
import Testing
import TitanModel

@Suite("Restart policy through the real server")
struct RestartPolicyTests {
    @Test("a failed batch task restarts as the next attempt after its backoff, and the job succeeds when it does")
    func batchRetriesThenSucceeds() async throws {
        try await withServer { server in
            let agent = TestAgent("host-1", server: server)
            try await agent.register()
            let job = try await server.createJob(Specs.batch("once", extra: #", "numRetries": 2"#)).job.id
            let taskID = TaskInstanceID(job: job, index: 0)
            try await eventually("attempt 0 starts") {
                try await agent.carryOutOrders(waitSeconds: 1)
                return try await server.task(taskID).task.state == .started
            }
            try await agent.finish(taskID, reason: .failed, exitCode: 1)
            let failed = try await server.task(taskID).task
            #expect(failed.state == .finished)
            #expect(failed.finishReason == .failed)
            #expect(failed.exitCode == 1)
            #expect(failed.retriesUsed == 1)
            #expect(failed.nextRestartAt != nil)
            try await eventually("attempt 1 starts") {
                try await agent.carryOutOrders(waitSeconds: 1)
                let task = try await server.task(taskID).task
                return task.attempt == 1 && task.state == .started
            }
            try await agent.finish(taskID, reason: .succeeded, exitCode: 0)
            let detail = try await server.job(job)
            #expect(detail.job.status == .succeeded)
            #expect(await agent.launches.map(\.1) == [0, 1])
        }
    }

    @Test("without restartOnFailure a failure finishes the instance and the batch job fails")
    func noRestartOnFailure() async throws {
        try await withServer { server in
            let agent = TestAgent("host-1", server: server)
            try await agent.register()
            let job = try await server.createJob(Specs.batch("once", extra: #", "restartOnFailure": false"#)).job.id
            let taskID = TaskInstanceID(job: job, index: 0)
            try await eventually("the task starts") {
                try await agent.carryOutOrders(waitSeconds: 1)
                return try await server.task(taskID).task.state == .started
            }
            try await agent.finish(taskID, reason: .oomKilled, exitCode: 137)
            let task = try await server.task(taskID).task
            #expect(task.finishReason == .oomKilled)
            #expect(task.nextRestartAt == nil)
            #expect(try await server.job(job).job.status == .failed)
        }
    }

    @Test("retries run out after numRetries failures")
    func retriesRunOut() async throws {
        try await withServer { server in
            let agent = TestAgent("host-1", server: server)
            try await agent.register()
            let job = try await server.createJob(Specs.batch("flaky", extra: #", "numRetries": 1"#)).job.id
            let taskID = TaskInstanceID(job: job, index: 0)
            for attempt in 0...1 {
                try await eventually("attempt \(attempt) starts") {
                    try await agent.carryOutOrders(waitSeconds: 1)
                    let task = try await server.task(taskID).task
                    return task.attempt == attempt && task.state == .started
                }
                try await agent.finish(taskID, reason: .failed, exitCode: 2)
            }
            let detail = try await server.task(taskID)
            let task = detail.task
            #expect(task.attempt == 1)
            #expect(task.nextRestartAt == nil, "\(detail.history)")
            #expect(try await server.job(job).job.status == .failed)
        }
    }

    @Test("a service with restartOnSuccess runs again after exiting 0; without it the instance ends")
    func restartOnSuccess() async throws {
        try await withServer { server in
            let agent = TestAgent("host-1", server: server)
            try await agent.register()
            let again = try await server.createJob(Specs.service("again")).job.id
            let once = try await server.createJob(Specs.service("once", extra: #", "restartOnSuccess": false"#)).job.id
            let againTask = TaskInstanceID(job: again, index: 0)
            let onceTask = TaskInstanceID(job: once, index: 0)
            try await eventually("both start") {
                try await agent.carryOutOrders(waitSeconds: 1)
                let states = [try await server.task(againTask).task.state, try await server.task(onceTask).task.state]
                return states == [.started, .started]
            }
            try await agent.finish(againTask, reason: .succeeded, exitCode: 0)
            try await agent.finish(onceTask, reason: .succeeded, exitCode: 0)
            try await eventually("the service with restartOnSuccess runs attempt 1") {
                try await agent.carryOutOrders(waitSeconds: 1)
                let task = try await server.task(againTask).task
                return task.attempt == 1 && task.state == .started
            }
            #expect(try await server.task(againTask).task.retriesUsed == 0)
            #expect(try await server.task(onceTask).task.nextRestartAt == nil)
            #expect(try await server.job(once).job.status == .succeeded)
            #expect(try await server.job(again).job.status == .active)
        }
    }

    @Test("a batch job finishes when its last task does")
    func batchFinishes() async throws {
        try await withServer { server in
            let agent = TestAgent("host-1", server: server)
            try await agent.register()
            let job = try await server.createJob(Specs.batch("pair", instances: 2)).job.id
            try await eventually("both start") {
                try await agent.carryOutOrders(waitSeconds: 1)
                return try await server.tasks(of: job).allSatisfy { $0.state == .started }
            }
            try await agent.finish(TaskInstanceID(job: job, index: 0), reason: .succeeded, exitCode: 0)
            #expect(try await server.job(job).job.status == .active)
            try await agent.finish(TaskInstanceID(job: job, index: 1), reason: .succeeded, exitCode: 0)
            #expect(try await server.job(job).job.status == .succeeded)
        }
    }
}
