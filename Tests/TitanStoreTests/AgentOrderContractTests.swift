import Foundation
import Testing
import TitanModel
import TitanStore

/// Agent orders, against every ``TitanStorage`` implementation.
@Suite("Storage contract: agent orders")
struct AgentOrderContractTests {
    @Test(
        "an assignment with launch orders queues one per assigned task, numbered in order",
        arguments: StoreKind.allCases
    )
    func launchOrdersWithAssignments(kind: StoreKind) async throws {
        let store = try StoreUnderTest(kind).store
        let creation = try await store.createJob(makeSpec(), id: nil, clientToken: nil, now: t0)
        let assignments = creation.tasks.prefix(2).map {
            TaskAssignment(taskID: $0.id, attempt: 0, host: "h1", ports: [31_000])
        }
        let stale = TaskAssignment(taskID: creation.tasks[2].id, attempt: 5, host: "h1")
        let outcome = try await store.assignTasks(assignments + [stale], at: at(1), queueLaunchOrders: true)
        #expect(outcome.assigned.count == 2)
        #expect(outcome.refused.count == 1)
        #expect(outcome.launchOrders.map(\.order.taskID) == creation.tasks.prefix(2).map(\.id))
        #expect(outcome.launchOrders.allSatisfy { $0.order.kind == .launch && $0.order.hostID == "h1" })
        let seqs = outcome.launchOrders.map(\.seq)
        #expect(seqs == seqs.sorted() && Set(seqs).count == 2)
        let pending = try await store.pendingOrders(hostID: "h1", acknowledgingThrough: 0, limit: 10)
        #expect(pending == outcome.launchOrders)
        let withoutOrders = try await store.assignTasks(
            [TaskAssignment(taskID: creation.tasks[2].id, attempt: 0, host: "h2")],
            at: at(2)
        )
        #expect(withoutOrders.launchOrders.isEmpty)
        #expect(try await store.pendingOrders(hostID: "h2", acknowledgingThrough: 0, limit: 10).isEmpty)
    }

    @Test(
        "acknowledging through a number forgets that host's orders up to it; others stay",
        arguments: StoreKind.allCases
    )
    func acknowledge(kind: StoreKind) async throws {
        let store = try StoreUnderTest(kind).store
        let orders = try await store.queueOrders(
            [
                NewAgentOrder(
                    hostID: "h1",
                    kind: .kill,
                    taskID: "j-0",
                    attempt: 0,
                    gracePeriodSeconds: 10,
                    reason: "job killed"
                ),
                NewAgentOrder(
                    hostID: "h2",
                    kind: .kill,
                    taskID: "j-1",
                    attempt: 0,
                    gracePeriodSeconds: 10,
                    reason: "job killed"
                ),
                NewAgentOrder(hostID: "h1", kind: .launch, taskID: "j-2", attempt: 1),
            ],
            at: t0
        )
        #expect(orders.first?.order.gracePeriodSeconds == 10)
        #expect(orders.first?.order.reason == "job killed")
        let h1 = try await store.pendingOrders(hostID: "h1", acknowledgingThrough: orders[0].seq, limit: 10)
        #expect(h1.map(\.seq) == [orders[2].seq])
        #expect(
            try await store.pendingOrders(hostID: "h2", acknowledgingThrough: 0, limit: 10).map(\.seq) == [
                orders[1].seq
            ]
        )
        try await store.cancelOrders([orders[2].seq])
        #expect(try await store.pendingOrders(hostID: "h1", acknowledgingThrough: 0, limit: 10).isEmpty)
        let later = try await store.queueOrders(
            [NewAgentOrder(hostID: "h1", kind: .launch, taskID: "j-3", attempt: 0)],
            at: t0
        )
        #expect(later[0].seq > orders[2].seq)
    }

    @Test("order numbers keep growing after the store is reopened")
    func sequenceSurvivesReopen() async throws {
        let directory = try TemporaryDirectory.make()
        let path = directory.appendingPathComponent("orders.sqlite").path
        let first = try await TitanDatabase.open(path: path).queueOrders(
            [NewAgentOrder(hostID: "h1", kind: .launch, taskID: "j-0", attempt: 0)],
            at: t0
        )
        let store = try TitanDatabase.open(path: path)
        _ = try await store.pendingOrders(hostID: "h1", acknowledgingThrough: first[0].seq, limit: 10)
        let second = try await store.queueOrders(
            [NewAgentOrder(hostID: "h1", kind: .launch, taskID: "j-1", attempt: 0)],
            at: t0
        )
        #expect(second[0].seq > first[0].seq)
    }
}
