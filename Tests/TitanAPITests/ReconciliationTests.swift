import FenzoCore
import Foundation
import Testing
import TitanModel

@testable import TitanControlPlane

@Suite("Reconciliation decisions, without a network")
struct ReconciliationTests {
    let now = Date(timeIntervalSince1970: 1_000_000)
    let job = JobID("job")

    func run(_ attempt: Int, _ state: TaskState = .started, killRequested: Bool = false) -> BelievedRun {
        BelievedRun(jobID: job, attempt: attempt, state: state, ports: [], killRequested: killRequested)
    }

    @Test("a reported run of the believed attempt is wanted; other attempts and unknown tasks are unwanted")
    func unwantedRuns() {
        let comparison = Reconciliation.compare(
            believed: ["job-0": run(1), "job-1": run(0)],
            unacknowledged: [],
            reported: [
                AgentTaskReport(taskID: "job-0", attempt: 1, state: .started),
                AgentTaskReport(taskID: "job-1", attempt: 3, state: .started),
                AgentTaskReport(taskID: "other-0", attempt: 0, state: .started),
            ],
            missingSince: [:],
            now: now,
            grace: 5
        )
        #expect(comparison.unwanted.map(\.taskID) == ["job-1", "other-0"])
        #expect(comparison.lost.isEmpty)
        #expect(comparison.missingSince == [RunKey(taskID: "job-1", attempt: 0): now])
    }

    @Test("a believed run missing from reports is lost only after the grace period")
    func graceBeforeLost() {
        let key = RunKey(taskID: "job-0", attempt: 0)
        let first = Reconciliation.compare(
            believed: ["job-0": run(0)],
            unacknowledged: [],
            reported: [],
            missingSince: [:],
            now: now,
            grace: 5
        )
        #expect(first.lost.isEmpty)
        let later = Reconciliation.compare(
            believed: ["job-0": run(0)],
            unacknowledged: [],
            reported: [],
            missingSince: first.missingSince,
            now: now.addingTimeInterval(5),
            grace: 5
        )
        #expect(later.lost == [key])
        let reportedAgain = Reconciliation.compare(
            believed: ["job-0": run(0)],
            unacknowledged: [],
            reported: [AgentTaskReport(taskID: "job-0", attempt: 0, state: .started)],
            missingSince: first.missingSince,
            now: now.addingTimeInterval(5),
            grace: 5
        )
        #expect(reportedAgain.lost.isEmpty)
        #expect(reportedAgain.missingSince.isEmpty)
    }

    @Test("a run whose launch order the agent has not acknowledged is not missing")
    func unacknowledgedLaunchIsNotMissing() {
        let comparison = Reconciliation.compare(
            believed: ["job-0": run(0, .launched)],
            unacknowledged: [RunKey(taskID: "job-0", attempt: 0)],
            reported: [],
            missingSince: [RunKey(taskID: "job-0", attempt: 0): now.addingTimeInterval(-60)],
            now: now,
            grace: 5
        )
        #expect(comparison.lost.isEmpty)
        #expect(comparison.missingSince.isEmpty)
    }

    @Test("runs whose kill was requested are killed again while reported; reports further along advance the run")
    func killAgainAndAdvance() {
        let comparison = Reconciliation.compare(
            believed: ["job-0": run(0, .killInitiated, killRequested: true), "job-1": run(0, .launched)],
            unacknowledged: [],
            reported: [
                AgentTaskReport(taskID: "job-0", attempt: 0, state: .started),
                AgentTaskReport(taskID: "job-1", attempt: 0, state: .started),
            ],
            missingSince: [:],
            now: now,
            grace: 5
        )
        #expect(comparison.stillToKill == [RunKey(taskID: "job-0", attempt: 0)])
        #expect(comparison.advanced == [RunKey(taskID: "job-1", attempt: 0): .started])
    }

    @Test("the store pass loses runs on down hosts, adopts runs the fleet missed and forgets runs the store ended")
    func storePass() {
        let a = RunKey(taskID: "job-0", attempt: 0)
        let b = RunKey(taskID: "job-1", attempt: 2)
        let c = RunKey(taskID: "job-2", attempt: 0)
        let d = RunKey(taskID: "job-3", attempt: 0)
        let pass = Reconciliation.storePass(
            storeRuns: [(a, "up"), (b, "down"), (c, "up")],
            fleetRuns: [(a, "up"), (d, "up")],
            upHosts: ["up"]
        )
        #expect(pass.lostRuns == [b])
        #expect(pass.adopted == [c])
        #expect(pass.forgotten == [d])
    }
}

@Suite("Placement requests and the local scheduling loop")
struct PlacementTests {
    @Test("a run's scheduler id is <instance>#<attempt> and parses back")
    func runNames() {
        let key = RunKey(taskID: "0192-abc-7", attempt: 3)
        #expect(key.schedulerID == TaskID("0192-abc-7#3"))
        #expect(RunKey(key.schedulerID) == key)
        #expect(RunKey(TaskID("no-attempt")) == nil)
        #expect(RunKey(TaskID("x#-1")) == nil)
    }

    @Test("a spec becomes a request: disk in MB, the job as group, constraints translated, cells preferred softly")
    func requestFromSpec() throws {
        let spec = try JobSpec.parse(
            Data(
                #"""
                {"name": "web", "location": "dc1:2", "cpus": 2, "memory": 1024, "disk": 3, "ports": 2, "networkMbps": 10,
                 "image": "x", "hardConstraints": [{"type": "uniqueHostAttr", "attribute": "zone"},
                 {"type": "hostname", "values": ["h1"]}], "softConstraints": [{"type": "exclusiveHost"}]}
                """#.utf8
            )
        )
        let request = PlacementRequests.request(
            for: RunKey(taskID: "j-0", attempt: 0),
            jobID: "j",
            cell: "dc1",
            spec: spec
        )
        #expect(request.resources == Resources(cpus: 2, memoryMB: 1024, diskMB: 3072, networkMbps: 10))
        #expect(request.group == TaskGroup("j"))
        #expect(request.ports == 2)
        // The spec's two, then the one every image job gets: hosts that run containers.
        #expect(request.hardConstraints.count == 3)
        #expect(request.hardConstraints.last.map { "\($0)" }?.contains("runsContainers") == true)
        #expect(request.softConstraints.count == 2)
        #expect(request.softConstraints.last.map { "\($0)" }?.contains("cell") == true)
        let defaultCell = PlacementRequests.request(
            for: RunKey(taskID: "j-0", attempt: 0),
            jobID: "j",
            cell: .defaultCell,
            spec: spec
        )
        #expect(defaultCell.softConstraints.count == 1)
    }

    @Test("the scheduling service places critical tasks before flex ones and is offered what placements leave free")
    func tiersAndOffers() async throws {
        let placement = try ServicePlacement(interval: .milliseconds(50))
        await placement.setHost(
            HostCapacity(name: "h1", resources: Resources(cpus: 2, memoryMB: 4096), ports: PortRanges([1...10]))
        )
        func queued(_ id: String, tier: Int) -> PlacementTask {
            PlacementTask(
                request: TaskRequest(
                    id: TaskID(id),
                    group: "g",
                    resources: Resources(cpus: 1, memoryMB: 1024),
                    ports: 1
                ),
                tier: tier,
                capacityGroup: "default"
            )
        }
        await placement.submit([
            queued("flex-1#0", tier: 1), queued("flex-2#0", tier: 1), queued("critical#0", tier: 0),
        ])
        let running = Task { await placement.run() }
        defer { running.cancel() }
        var rounds = placement.rounds.makeAsyncIterator()
        var placed: [String: [Int]] = [:]
        while placed.count < 2, let round = await rounds.next() {
            for task in round.placements { placed[task.taskID.rawValue] = task.ports }
        }
        #expect(Set(placed.keys) == ["critical#0", "flex-1#0"])
        #expect(Set(placed.values.flatMap { $0 }).count == 2)
        #expect(await placement.queuedTaskIDs() == [TaskID("flex-2#0")])
        // A run ends: its resources are offered again and the waiting task fits.
        await placement.runsEnded([TaskID("critical#0")])
        var next: [String] = []
        while next.isEmpty, let round = await rounds.next() { next = round.placements.map(\.taskID.rawValue) }
        #expect(next == ["flex-2#0"])
        // A removed host is offered no more: a new task waits, saying why.
        await placement.removeHost("h1")
        await placement.runsEnded([TaskID("flex-1#0")])
        await placement.submit([queued("late#0", tier: 0)])
        var failed: [String] = []
        while failed.isEmpty, let round = await rounds.next() {
            #expect(round.placements.isEmpty)
            failed = round.failures.map(\.taskID.rawValue)
        }
        #expect(failed == ["late#0"])
    }
}
