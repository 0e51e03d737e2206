import Foundation
import Testing
import TitanModel
import TitanStore

/// One suite, run against every ``TitanStorage`` implementation: same results, same errors.
@Suite("Storage contract")
struct StorageContractTests {
    // MARK: Jobs

    @Test(
        "creating a job stores it with one accepted task per instance, spread by location",
        arguments: StoreKind.allCases
    )
    func createJob(kind: StoreKind) async throws {
        let store = try StoreUnderTest(kind).store
        let creation = try await store.createJob(makeSpec(), id: nil, clientToken: nil, now: t0)
        #expect(creation.created)
        #expect(creation.job.status == .active)
        #expect(creation.job.desiredInstances == 3)
        #expect(creation.job.nextInstanceIndex == 3)
        #expect(creation.job.createdAt == t0)
        #expect(creation.tasks.map(\.cell) == ["dc1", "dc1", "dc2"])
        #expect(creation.tasks.map(\.instanceIndex) == [0, 1, 2])
        #expect(creation.tasks.allSatisfy { $0.state == .accepted && $0.attempt == 0 })
        #expect(try await store.job(id: creation.job.id) == creation.job)
        #expect(try await store.allTasks(creation.job.id) == creation.tasks)
        #expect(try await store.task(id: creation.tasks[1].id) == creation.tasks[1])
        #expect(try await store.taskCounts(jobID: creation.job.id).accepted == 3)
        let events = try await store.events(after: 0, limit: 10)
        #expect(events.map(\.kind) == [.jobCreated])
        #expect(events.first?.jobID == creation.job.id)
    }

    @Test(
        "a repeated client token returns the first job; with another spec it is refused",
        arguments: StoreKind.allCases
    )
    func clientToken(kind: StoreKind) async throws {
        let store = try StoreUnderTest(kind).store
        let first = try await store.createJob(makeSpec(), id: nil, clientToken: "tok-1", now: t0)
        let again = try await store.createJob(makeSpec(), id: nil, clientToken: "tok-1", now: at(5))
        #expect(!again.created)
        #expect(again.job == first.job)
        #expect(again.tasks.isEmpty)
        await #expect(throws: StoreError.self) {
            try await store.createJob(makeSpec(name: "other"), id: nil, clientToken: "tok-1", now: at(6))
        }
        do {
            _ = try await store.createJob(makeSpec(name: "other"), id: nil, clientToken: "tok-1", now: at(6))
        } catch let error as StoreError {
            #expect(error.code == .clientTokenConflict)
        }
        let all = try await store.listJobs(filter: .all, page: PageRequest())
        #expect(all.items.count == 1)
    }

    @Test("concurrent creations each commit, and a conflict fails only its own request", arguments: StoreKind.allCases)
    func concurrentCreations(kind: StoreKind) async throws {
        let store = try StoreUnderTest(kind).store
        _ = try await store.createJob(makeSpec(name: "first"), id: nil, clientToken: "taken", now: t0)
        let outcomes = await withTaskGroup(of: (Int, Result<JobCreation, StoreError>).self) { group in
            for index in 0..<40 {
                group.addTask {
                    do {
                        // Every fifth request reuses the taken token with another spec; every
                        // seventh repeats a token shared by several requests with the same spec.
                        let token = index % 5 == 0 ? "taken" : index % 7 == 0 ? "shared" : "t\(index)"
                        let name = index % 5 == 0 ? "other" : index % 7 == 0 ? "shared" : "job-\(index)"
                        let creation = try await store.createJob(
                            makeSpec(name: name),
                            id: nil,
                            clientToken: token,
                            now: at(1)
                        )
                        return (index, .success(creation))
                    } catch {
                        return (index, .failure(error as? StoreError ?? StoreError(.corruptData, "\(error)")))
                    }
                }
            }
            var all: [Int: Result<JobCreation, StoreError>] = [:]
            for await (index, outcome) in group { all[index] = outcome }
            return all
        }
        var sharedJobs: Set<JobID> = []
        for (index, outcome) in outcomes {
            switch outcome {
            case .success(let creation):
                #expect(index % 5 != 0)
                if index % 7 == 0 { sharedJobs.insert(creation.job.id) }
            case .failure(let error):
                #expect(index % 5 == 0 && error.code == .clientTokenConflict, "\(index): \(error)")
            }
        }
        #expect(sharedJobs.count == 1)
        let jobs = try await store.listJobs(filter: .all, page: PageRequest(limit: 100)).items
        // The first job, one per unique token, one for the shared token.
        let uniqueTokens = (0..<40).filter { $0 % 5 != 0 && $0 % 7 != 0 }.count
        #expect(jobs.count == uniqueTokens + 2)
        for job in jobs { #expect(try await store.allTasks(job.id).count == 3) }
    }

    @Test("creating a job with an id in use is refused", arguments: StoreKind.allCases)
    func duplicateID(kind: StoreKind) async throws {
        let store = try StoreUnderTest(kind).store
        _ = try await store.createJob(makeSpec(), id: "job-a", clientToken: nil, now: t0)
        await expectStoreError(.jobAlreadyExists) {
            _ = try await store.createJob(makeSpec(), id: "job-a", clientToken: nil, now: t0)
        }
    }

    @Test("a service with zero instances is created active with no tasks", arguments: StoreKind.allCases)
    func zeroInstances(kind: StoreKind) async throws {
        let store = try StoreUnderTest(kind).store
        let creation = try await store.createJob(
            makeSpec(location: cells(("dc1", 0))),
            id: nil,
            clientToken: nil,
            now: t0
        )
        #expect(creation.job.status == .active)
        #expect(creation.tasks.isEmpty)
    }

    @Test(
        "listing jobs pages by creation time then id, with filters, and no job seen twice",
        arguments: StoreKind.allCases
    )
    func listJobs(kind: StoreKind) async throws {
        let store = try StoreUnderTest(kind).store
        var created: [JobID] = []
        for index in 0..<7 {
            let spec = makeSpec(name: index % 2 == 0 ? "even" : "odd", kind: index < 5 ? .service : .batch)
            // Several jobs share a creation time, so the id breaks ties.
            let job = try await store.createJob(
                spec,
                id: JobID("job-\(6 - index)"),
                clientToken: nil,
                now: at(Double(index / 3))
            )
            created.append(job.job.id)
        }
        var seen: [JobID] = []
        var cursor: String?
        repeat {
            let page = try await store.listJobs(filter: .all, page: PageRequest(limit: 2, cursor: cursor))
            #expect(page.items.count <= 2)
            seen += page.items.map(\.id)
            cursor = page.nextCursor
        } while cursor != nil
        #expect(seen == ["job-4", "job-5", "job-6", "job-1", "job-2", "job-3", "job-0"])
        #expect(Set(seen) == Set(created))
        let evens = try await store.listJobs(filter: JobFilter(name: "even"), page: PageRequest())
        #expect(evens.items.map(\.id) == ["job-4", "job-6", "job-2", "job-0"])
        #expect(evens.nextCursor == nil)
        let batches = try await store.listJobs(filter: JobFilter(kind: .batch), page: PageRequest())
        #expect(batches.items.map(\.id) == ["job-1", "job-0"])
        let killed = try await store.listJobs(filter: JobFilter(statuses: [.killed, .killing]), page: PageRequest())
        #expect(killed.items.isEmpty)
        await expectStoreError(.invalidCursor) {
            _ = try await store.listJobs(filter: .all, page: PageRequest(limit: 2, cursor: "nonsense"))
        }
        await expectStoreError(.invalidArgument) {
            _ = try await store.listJobs(filter: .all, page: PageRequest(limit: 0))
        }
    }

    // MARK: Tasks

    @Test("a job's tasks page by instance index and filter by state", arguments: StoreKind.allCases)
    func listTasks(kind: StoreKind) async throws {
        let store = try StoreUnderTest(kind).store
        let job = try await store.createJob(makeSpec(location: cells(("dc1", 5))), id: nil, clientToken: nil, now: t0)
        _ = try await store.assignTasks([TaskAssignment(taskID: job.tasks[3].id, attempt: 0, host: "h1")], at: at(1))
        let first = try await store.tasks(jobID: job.job.id, states: nil, page: PageRequest(limit: 2))
        #expect(first.items.map(\.instanceIndex) == [0, 1])
        let second = try await store.tasks(
            jobID: job.job.id,
            states: nil,
            page: PageRequest(limit: 2, cursor: first.nextCursor)
        )
        #expect(second.items.map(\.instanceIndex) == [2, 3])
        let third = try await store.tasks(
            jobID: job.job.id,
            states: nil,
            page: PageRequest(limit: 2, cursor: second.nextCursor)
        )
        #expect(third.items.map(\.instanceIndex) == [4])
        #expect(third.nextCursor == nil)
        let launched = try await store.tasks(jobID: job.job.id, states: [.launched], page: PageRequest())
        #expect(launched.items.map(\.instanceIndex) == [3])
        await expectStoreError(.jobNotFound) {
            _ = try await store.tasks(jobID: "nope", states: nil, page: PageRequest())
        }
        await expectStoreError(.jobNotFound) { _ = try await store.taskCounts(jobID: "nope") }
        #expect(try await store.task(id: "nope-1") == nil)
        #expect(try await store.job(id: "nope") == nil)
    }

    @Test(
        "assigning launches accepted tasks with host and ports, and refuses the rest one by one",
        arguments: StoreKind.allCases
    )
    func assign(kind: StoreKind) async throws {
        let store = try StoreUnderTest(kind).store
        let job = try await store.createJob(makeSpec(), id: nil, clientToken: nil, now: t0)
        let sets = [ResourceSetAssignment(name: "eni", index: 1, label: "sg-1", slots: 1)]
        _ = try await store.setPendingReasons([PendingReasonUpdate(taskID: job.tasks[0].id, reason: "no cpus")])
        let outcome = try await store.assignTasks(
            [
                TaskAssignment(
                    taskID: job.tasks[0].id,
                    attempt: 0,
                    host: "h1",
                    ports: [31000, 31001],
                    resourceSets: sets
                ),
                TaskAssignment(taskID: job.tasks[1].id, attempt: 1, host: "h1"),
                TaskAssignment(taskID: "missing-0", attempt: 0, host: "h1"),
                TaskAssignment(taskID: job.tasks[0].id, attempt: 0, host: "h2"),
            ],
            at: at(1)
        )
        #expect(outcome.assigned.map(\.id) == [job.tasks[0].id])
        let launched = try #require(try await store.task(id: job.tasks[0].id))
        #expect(launched.state == .launched)
        #expect(launched.host == "h1")
        #expect(launched.ports == [31000, 31001])
        #expect(launched.resourceSets == sets)
        #expect(launched.launchedAt == at(1))
        #expect(launched.pendingReason == nil)
        #expect(outcome.refused.map(\.error.code) == [.transitionConflict, .taskNotFound, .transitionConflict])
        let history = try await store.taskHistory(id: job.tasks[0].id)
        #expect(history.map { "\($0.from.rawValue)→\($0.to.rawValue)" } == ["accepted→launched"])
        // The one-task forms throw the refusal instead of listing it.
        #expect(try await store.setPendingReason(taskID: job.tasks[1].id, reason: "ports"))
        let single = try await store.assignTask(
            TaskAssignment(taskID: job.tasks[1].id, attempt: 0, host: "h3"),
            at: at(2)
        )
        #expect(single.host == "h3" && single.pendingReason == nil)
        await expectStoreError(.transitionConflict) {
            _ = try await store.assignTask(TaskAssignment(taskID: job.tasks[1].id, attempt: 0, host: "h3"), at: at(3))
        }
    }

    @Test(
        "a task runs to a failure, waits out its backoff, and restarts as a new attempt",
        arguments: StoreKind.allCases
    )
    func failureAndRestart(kind: StoreKind) async throws {
        let store = try StoreUnderTest(kind).store
        let job = try await store.createJob(makeSpec(location: cells(("dc1", 1))), id: nil, clientToken: nil, now: t0)
        let started = try await store.run(job.tasks[0], at: at(1))
        #expect(started.startedAt == at(1))
        let failed = try await store.finish(started, .failed, exitCode: 3, at: at(2))
        #expect(failed.restart == .restart(after: .seconds(1), usesRetry: true))
        #expect(failed.jobStatus == .active)
        #expect(failed.task.state == .finished)
        #expect(failed.task.finishReason == .failed)
        #expect(failed.task.exitCode == 3)
        #expect(failed.task.retriesUsed == 1)
        #expect(failed.task.nextRestartAt == at(3))
        #expect(try await store.restartDueTasks(now: at(2.999), limit: 10).isEmpty)
        let restarted = try await store.restartDueTasks(now: at(3), limit: 10)
        #expect(restarted.count == 1)
        let again = try #require(restarted.first)
        #expect(again.attempt == 1)
        #expect(again.state == .accepted)
        #expect(again.host == nil && again.ports.isEmpty && again.exitCode == nil && again.finishReason == nil)
        #expect(again.nextRestartAt == nil && again.startedAt == nil)
        #expect(again.retriesUsed == 1)
        #expect(try await store.task(id: again.id) == again)
        // A late report about attempt 0 cannot touch attempt 1.
        await expectStoreError(.transitionConflict) {
            _ = try await store.recordTransition(
                TaskTransition(
                    taskID: again.id,
                    attempt: 0,
                    from: .accepted,
                    to: .finished,
                    finishReason: .killed,
                    at: at(4)
                )
            )
        }
        // The second failure waits twice as long.
        let second = try await store.finish(try await store.run(again, at: at(4)), .failed, at: at(5))
        #expect(second.task.nextRestartAt == at(7))
        let history = try await store.taskHistory(id: again.id)
        #expect(
            history.map { "\($0.attempt):\($0.from.rawValue)→\($0.to.rawValue)" } == [
                "0:accepted→launched", "0:launched→started", "0:started→finished", "1:finished→accepted",
                "1:accepted→launched", "1:launched→started", "1:started→finished",
            ]
        )
        #expect(history[2].finishReason == .failed)
    }

    @Test("a stale or impossible transition is refused and changes nothing", arguments: StoreKind.allCases)
    func refusedTransitions(kind: StoreKind) async throws {
        let store = try StoreUnderTest(kind).store
        let job = try await store.createJob(makeSpec(), id: nil, clientToken: nil, now: t0)
        let task = job.tasks[0]
        await expectStoreError(.transitionConflict) {
            _ = try await store.recordTransition(
                TaskTransition(taskID: task.id, attempt: 0, from: .launched, to: .started, at: at(1))
            )
        }
        await expectStoreError(.transitionNotAllowed) {
            _ = try await store.recordTransition(
                TaskTransition(taskID: task.id, attempt: 0, from: .accepted, to: .started, at: at(1))
            )
        }
        await expectStoreError(.transitionNotAllowed) {
            _ = try await store.recordTransition(
                TaskTransition(taskID: task.id, attempt: 0, from: .accepted, to: .launched, at: at(1))
            )
        }
        await expectStoreError(.transitionNotAllowed) {
            _ = try await store.finish(task, .failed, from: .accepted, at: at(1))
        }
        await expectStoreError(.taskNotFound) {
            _ = try await store.recordTransition(
                TaskTransition(taskID: "x-1", attempt: 0, from: .accepted, to: .launched, at: at(1))
            )
        }
        #expect(try await store.task(id: task.id) == task)
        #expect(try await store.taskHistory(id: task.id).isEmpty)
        #expect(try await store.events(after: 0, limit: 100).count == 1)
    }

    @Test("a batch job succeeds when every instance succeeds", arguments: StoreKind.allCases)
    func batchSucceeds(kind: StoreKind) async throws {
        let store = try StoreUnderTest(kind).store
        let job = try await store.createJob(makeSpec(kind: .batch), id: nil, clientToken: nil, now: t0)
        for (offset, task) in job.tasks.enumerated() {
            let outcome = try await store.finish(
                try await store.run(task, at: at(1)),
                .succeeded,
                exitCode: 0,
                at: at(2)
            )
            #expect(outcome.restart == .finishInstance(.succeeded))
            #expect(outcome.jobStatus == (offset == job.tasks.count - 1 ? .succeeded : .active))
        }
        #expect(try await store.job(id: job.job.id)?.status == .succeeded)
        let kinds = try await store.events(after: 0, limit: 100).map(\.kind)
        #expect(kinds.last == .jobFinished)
    }

    @Test("a batch job whose instance runs out of retries fails", arguments: StoreKind.allCases)
    func batchFails(kind: StoreKind) async throws {
        let store = try StoreUnderTest(kind).store
        let spec = makeSpec(location: cells(("dc1", 2)), kind: .batch, numRetries: 0)
        let job = try await store.createJob(spec, id: nil, clientToken: nil, now: t0)
        let failed = try await store.finish(try await store.run(job.tasks[0], at: at(1)), .oomKilled, at: at(2))
        #expect(failed.restart == .finishInstance(.oomKilled))
        #expect(failed.jobStatus == .active)
        let done = try await store.finish(try await store.run(job.tasks[1], at: at(1)), .succeeded, at: at(3))
        #expect(done.jobStatus == .failed)
    }

    @Test(
        "a lost task restarts without using a retry, even when restarts on failure are off",
        arguments: StoreKind.allCases
    )
    func lostRestarts(kind: StoreKind) async throws {
        let store = try StoreUnderTest(kind).store
        let spec = makeSpec(location: cells(("dc1", 1)), restartOnFailure: false, numRetries: 0)
        let job = try await store.createJob(spec, id: nil, clientToken: nil, now: t0)
        let lost = try await store.finish(try await store.run(job.tasks[0], at: at(1)), .lost, at: at(2))
        #expect(lost.restart == .restart(after: .seconds(1), usesRetry: false))
        #expect(lost.task.retriesUsed == 0)
    }

    @Test("a service restarting on success restarts without using a retry", arguments: StoreKind.allCases)
    func serviceRestartsOnSuccess(kind: StoreKind) async throws {
        let store = try StoreUnderTest(kind).store
        let job = try await store.createJob(
            makeSpec(location: cells(("dc1", 1)), restartOnSuccess: true),
            id: nil,
            clientToken: nil,
            now: t0
        )
        let done = try await store.finish(try await store.run(job.tasks[0], at: at(1)), .succeeded, at: at(2))
        #expect(done.restart == .restart(after: .seconds(1), usesRetry: false))
        #expect(done.jobStatus == .active)
    }

    @Test(
        "killing a job finishes waiting tasks at once, marks running ones, and ends killed",
        arguments: StoreKind.allCases
    )
    func killJob(kind: StoreKind) async throws {
        let store = try StoreUnderTest(kind).store
        let job = try await store.createJob(makeSpec(), id: nil, clientToken: nil, now: t0)
        let running = try await store.run(job.tasks[0], at: at(1))
        // Task 1 failed and waits to restart; the kill drops the restart.
        let failed = try await store.finish(try await store.run(job.tasks[1], at: at(1)), .failed, at: at(2))
        #expect(failed.task.nextRestartAt != nil)
        let kill = try await store.markJobKilled(jobID: job.job.id, now: at(3))
        #expect(kill.job.status == .killing)
        #expect(kill.toKill.map(\.id) == [running.id])
        #expect(kill.toKill.first?.killRequested == true)
        let tasks = try await store.allTasks(job.job.id)
        #expect(tasks[1].nextRestartAt == nil && tasks[1].finishReason == .failed)
        #expect(tasks[2].state == .finished && tasks[2].finishReason == .killed)
        #expect(try await store.restartDueTasks(now: at(100), limit: 10).isEmpty)
        // Killing again changes nothing.
        let again = try await store.markJobKilled(jobID: job.job.id, now: at(4))
        #expect(again.toKill.isEmpty && again.job.status == .killing)
        _ = try await store.recordTransition(
            TaskTransition(taskID: running.id, attempt: 0, from: .started, to: .killInitiated, at: at(5))
        )
        // Even a failure does not restart once the job is being killed.
        let last = try await store.finish(running, .failed, from: .killInitiated, at: at(6))
        #expect(last.restart == .finishInstance(.failed))
        #expect(last.jobStatus == .killed)
        #expect(last.task.killRequested == false)
        #expect(try await store.job(id: job.job.id)?.status == .killed)
        await expectStoreError(.jobNotFound) { _ = try await store.markJobKilled(jobID: "nope", now: t0) }
    }

    @Test("killing one task ends its instance for good", arguments: StoreKind.allCases)
    func killTask(kind: StoreKind) async throws {
        let store = try StoreUnderTest(kind).store
        let job = try await store.createJob(makeSpec(location: cells(("dc1", 2))), id: nil, clientToken: nil, now: t0)
        let waiting = try await store.markTaskKilled(id: job.tasks[0].id, now: at(1))
        #expect(waiting.state == .finished && waiting.finishReason == .killed && waiting.isFinishedForGood)
        let running = try await store.run(job.tasks[1], at: at(1))
        let marked = try await store.markTaskKilled(id: running.id, now: at(2))
        #expect(marked.state == .started && marked.killRequested)
        let finished = try await store.finish(marked, .failed, at: at(3))
        #expect(finished.restart == .finishInstance(.failed))
        #expect(finished.jobStatus == .failed)
        await expectStoreError(.taskNotFound) { _ = try await store.markTaskKilled(id: "x-0", now: t0) }
    }

    @Test(
        "scaling a service adds instances by location weight and removes highest indexes first",
        arguments: StoreKind.allCases
    )
    func scale(kind: StoreKind) async throws {
        let store = try StoreUnderTest(kind).store
        let job = try await store.createJob(
            makeSpec(location: cells(("dc1", 1), ("dc2", 2))),
            id: nil,
            clientToken: nil,
            now: t0
        )
        let up = try await store.updateDesiredInstances(jobID: job.job.id, count: 6, now: at(1))
        #expect(up.added.map(\.instanceIndex) == [3, 4, 5])
        #expect(up.added.map(\.cell) == ["dc1", "dc2", "dc2"])
        #expect(up.job.desiredInstances == 6 && up.job.nextInstanceIndex == 6)
        // Instance 5 (dc2) runs; scaling to 3 removes dc2's 5 and 4 and dc1's 3.
        let running = try await store.run(up.added[2], at: at(2))
        let down = try await store.updateDesiredInstances(jobID: job.job.id, count: 3, now: at(3))
        #expect(down.added.isEmpty)
        #expect(down.toKill.map(\.id) == [running.id])
        let tasks = try await store.allTasks(job.job.id)
        #expect(tasks.map(\.isDesired) == [true, true, true, false, false, false])
        #expect(tasks[3].state == .finished && tasks[4].state == .finished && tasks[5].state == .started)
        #expect(tasks[5].killRequested)
        // The removed instance does not restart and does not count for the job's outcome.
        let removed = try await store.finish(tasks[5], .failed, at: at(4))
        #expect(removed.restart == .finishInstance(.failed))
        #expect(removed.jobStatus == .active)
        // Scaling up again uses fresh indexes.
        let again = try await store.updateDesiredInstances(jobID: job.job.id, count: 4, now: at(5))
        #expect(again.added.map(\.instanceIndex) == [6])
        await expectStoreError(.invalidArgument) {
            _ = try await store.updateDesiredInstances(jobID: job.job.id, count: -1, now: at(6))
        }
        let batch = try await store.createJob(makeSpec(kind: .batch), id: nil, clientToken: nil, now: t0)
        await expectStoreError(.jobNotScalable) {
            _ = try await store.updateDesiredInstances(jobID: batch.job.id, count: 5, now: at(6))
        }
        _ = try await store.markJobKilled(jobID: job.job.id, now: at(7))
        await expectStoreError(.jobFinished) {
            _ = try await store.updateDesiredInstances(jobID: job.job.id, count: 5, now: at(8))
        }
    }

    @Test("pending reasons are set in one batch, only on tasks still waiting", arguments: StoreKind.allCases)
    func pendingReasons(kind: StoreKind) async throws {
        let store = try StoreUnderTest(kind).store
        let job = try await store.createJob(makeSpec(), id: nil, clientToken: nil, now: t0)
        _ = try await store.run(job.tasks[2], at: at(1))
        let updated = try await store.setPendingReasons(
            job.tasks.map { PendingReasonUpdate(taskID: $0.id, reason: "cpus: asked 1, most free 0.5") }
                + [PendingReasonUpdate(taskID: "missing-0", reason: "x")]
        )
        #expect(updated == 2)
        let tasks = try await store.allTasks(job.job.id)
        #expect(tasks.map(\.pendingReason) == ["cpus: asked 1, most free 0.5", "cpus: asked 1, most free 0.5", nil])
        _ = try await store.setPendingReasons([PendingReasonUpdate(taskID: job.tasks[0].id, reason: nil)])
        #expect(try await store.task(id: job.tasks[0].id)?.pendingReason == nil)
    }

    @Test("tasks in given states come back ordered by job, then instance", arguments: StoreKind.allCases)
    func tasksInStates(kind: StoreKind) async throws {
        let store = try StoreUnderTest(kind).store
        let b = try await store.createJob(makeSpec(), id: "job-b", clientToken: nil, now: t0)
        let a = try await store.createJob(makeSpec(), id: "job-a", clientToken: nil, now: t0)
        _ = try await store.run(a.tasks[1], at: at(1))
        _ = try await store.finish(try await store.run(b.tasks[0], at: at(1)), .failed, at: at(2))
        let live = try await store.tasksInStates(Set(TaskState.allCases).subtracting([.finished]))
        #expect(live.map(\.id.rawValue) == ["job-a-0", "job-a-1", "job-a-2", "job-b-1", "job-b-2"])
        let started = try await store.tasksInStates([.started])
        #expect(started.map(\.id.rawValue) == ["job-a-1"])
        #expect(try await store.tasksInStates([]).isEmpty)
    }

    // MARK: Hosts

    @Test("hosts register, heartbeat, go down and up, and are disabled and enabled", arguments: StoreKind.allCases)
    func hosts(kind: StoreKind) async throws {
        let store = try StoreUnderTest(kind).store
        let resources = HostResources(
            cpus: 8,
            memoryMB: 32_768,
            diskGB: 500,
            networkMbps: 10_000,
            portRanges: [PortRange(first: 31000, last: 32000)]
        )
        let registered = try await store.upsertHost(
            HostRegistration(id: "h2", address: "10.0.0.2:7102", resources: resources, attributes: ["zone": "a"]),
            now: t0
        )
        #expect(registered.state == .up && registered.lastHeartbeatAt == t0 && registered.registeredAt == t0)
        _ = try await store.upsertHost(
            HostRegistration(id: "h1", address: "10.0.0.1:7102", resources: resources),
            now: t0
        )
        let down = try await store.setHostState(hostID: "h2", state: .down, now: at(10))
        #expect(down.state == .down)
        let back = try await store.recordHeartbeat(hostID: "h2", at: at(11))
        #expect(back.state == .up && back.lastHeartbeatAt == at(11))
        let disabled = try await store.disableHost(hostID: "h2", until: .distantFuture, now: at(12))
        #expect(disabled.disabledUntil == .distantFuture)
        #expect(disabled.isDisabled(at: at(1_000_000)))
        let timed = try await store.disableHost(hostID: "h1", until: at(60), now: at(12))
        #expect(timed.isDisabled(at: at(59)) && !timed.isDisabled(at: at(60)))
        let reRegistered = try await store.upsertHost(
            HostRegistration(id: "h2", address: "10.0.0.3:7102", resources: resources, attributes: ["zone": "b"]),
            now: at(13)
        )
        #expect(reRegistered.disabledUntil == .distantFuture)
        #expect(reRegistered.registeredAt == t0)
        #expect(reRegistered.address == "10.0.0.3:7102" && reRegistered.attributes == ["zone": "b"])
        let enabled = try await store.enableHost(hostID: "h2", now: at(14))
        #expect(enabled.disabledUntil == nil)
        #expect(try await store.hosts().map(\.id) == ["h1", "h2"])
        #expect(try await store.host(id: "h2") == enabled)
        #expect(try await store.host(id: "h9") == nil)
        await expectStoreError(.hostNotFound) { _ = try await store.recordHeartbeat(hostID: "h9", at: t0) }
        await expectStoreError(.hostNotFound) { _ = try await store.disableHost(hostID: "h9", until: t0, now: t0) }
        let kinds = try await store.events(after: 0, limit: 100).map(\.kind)
        #expect(
            kinds == [
                .hostRegistered, .hostRegistered, .hostStateChanged, .hostStateChanged, .hostDisabled, .hostDisabled,
                .hostEnabled,
            ]
        )
    }

    @Test("a removed host is gone with its queued orders, and its removal is an event", arguments: StoreKind.allCases)
    func removeHost(kind: StoreKind) async throws {
        let store = try StoreUnderTest(kind).store
        let resources = HostResources(cpus: 8, memoryMB: 32_768, diskGB: 500, networkMbps: 0, portRanges: [])
        for id in ["h1", "h2"] {
            _ = try await store.upsertHost(
                HostRegistration(id: HostID(id), address: "10.0.0.1:7102", resources: resources),
                now: t0
            )
        }
        _ = try await store.queueOrders(
            [
                NewAgentOrder(hostID: "h1", kind: .launch, taskID: "j-0", attempt: 0),
                NewAgentOrder(hostID: "h2", kind: .launch, taskID: "j-1", attempt: 0),
            ],
            at: t0
        )
        try await store.removeHost(hostID: "h1", reason: "the autoscaler removed it", now: at(5))
        #expect(try await store.hosts().map(\.id) == ["h2"])
        #expect(try await store.host(id: "h1") == nil)
        #expect(try await store.pendingOrders(hostID: "h1", acknowledgingThrough: 0, limit: 10).isEmpty)
        #expect(try await store.pendingOrders(hostID: "h2", acknowledgingThrough: 0, limit: 10).count == 1)
        let last = try await store.events(after: 0, limit: 100).last
        #expect(last?.kind == .hostRemoved && last?.message == "host h1 removed: the autoscaler removed it")
        #expect(last?.at == at(5))
        await expectStoreError(.hostNotFound) { try await store.removeHost(hostID: "h1", reason: "again", now: at(6)) }
    }

    // MARK: Events

    @Test("events have increasing ids and are read after a given id", arguments: StoreKind.allCases)
    func events(kind: StoreKind) async throws {
        let store = try StoreUnderTest(kind).store
        for index in 0..<5 {
            _ = try await store.appendEvent(
                kind: "custom",
                jobID: nil,
                taskID: nil,
                message: "event \(index)",
                at: at(Double(index))
            )
        }
        let all = try await store.events(after: 0, limit: 100)
        #expect(all.map(\.id) == [1, 2, 3, 4, 5])
        #expect(all.map(\.message) == (0..<5).map { "event \($0)" })
        #expect(all[2].at == at(2))
        let tail = try await store.events(after: 3, limit: 1)
        #expect(tail.map(\.id) == [4])
        #expect(try await store.events(after: 5, limit: 10).isEmpty)
        await expectStoreError(.invalidArgument) { _ = try await store.events(after: 0, limit: 0) }
    }

    // MARK: Leader lease

    @Test(
        "the leader lease is held by one holder at a time and changes term on takeover",
        arguments: StoreKind.allCases
    )
    func leaderLease(kind: StoreKind) async throws {
        let store = try StoreUnderTest(kind).store
        #expect(try await store.leaderLease() == nil)
        let first = try await store.acquireLeaderLease(holder: "a", until: at(10), now: t0)
        #expect(first == .acquired(LeaderLease(holder: "a", term: 1, acquiredAt: t0, expiresAt: at(10))))
        let blocked = try await store.acquireLeaderLease(holder: "b", until: at(15), now: at(5))
        #expect(blocked == .heldByOther(LeaderLease(holder: "a", term: 1, acquiredAt: t0, expiresAt: at(10))))
        let renewed = try await store.renewLeaderLease(holder: "a", until: at(20), now: at(9))
        #expect(renewed.expiresAt == at(20) && renewed.term == 1)
        await expectStoreError(.leaseNotHeld) {
            _ = try await store.renewLeaderLease(holder: "b", until: at(30), now: at(10))
        }
        await expectStoreError(.leaseNotHeld) {
            _ = try await store.renewLeaderLease(holder: "a", until: at(30), now: at(20))
        }
        let takeover = try await store.acquireLeaderLease(holder: "b", until: at(30), now: at(20))
        #expect(takeover == .acquired(LeaderLease(holder: "b", term: 2, acquiredAt: at(20), expiresAt: at(30))))
        try await store.releaseLeaderLease(holder: "a", now: at(21))
        #expect(try await store.leaderLease()?.holder == "b")
        try await store.releaseLeaderLease(holder: "b", now: at(21))
        #expect(try await store.leaderLease()?.expiresAt == at(21))
        let back = try await store.acquireLeaderLease(holder: "a", until: at(40), now: at(22))
        #expect(back == .acquired(LeaderLease(holder: "a", term: 3, acquiredAt: at(22), expiresAt: at(40))))
        await expectStoreError(.invalidArgument) {
            _ = try await store.acquireLeaderLease(holder: "a", until: at(1), now: at(22))
        }
        let changes = try await store.events(after: 0, limit: 100).filter { $0.kind == .leaderChanged }
        #expect(changes.map(\.message) == ["a leads (term 1)", "b leads (term 2)", "a leads (term 3)"])
    }

    @Test("times are kept to the millisecond and read back equal", arguments: StoreKind.allCases)
    func millisecondTimes(kind: StoreKind) async throws {
        let store = try StoreUnderTest(kind).store
        let odd = Date(timeIntervalSince1970: 1_800_000_000.123_456_7)
        let job = try await store.createJob(makeSpec(), id: nil, clientToken: nil, now: odd)
        #expect(job.job.createdAt == Date(timeIntervalSince1970: 1_800_000_000.123))
        #expect(try await store.job(id: job.job.id)?.createdAt == job.job.createdAt)
    }
}

/// Expects `body` to throw a ``StoreError`` with `code`.
func expectStoreError(
    _ code: StoreError.Code,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
) async {
    do {
        try await body()
        Issue.record("expected \(code), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as StoreError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
    }
}
