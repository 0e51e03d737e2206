import FenzoCore

/// Queue overhead in a packing iteration: the same 100,000 tasks on the same 10,000 hosts,
/// from the tiered queue and from a plain array holding them in the order the queue hands
/// them out (so the scheduler does the same work), and the queue's own cost when the
/// scheduler has nothing to do (no hosts: each task fails at once, memoised).
enum OverheadBenchmark {
    static func run(hosts hostCount: Int, tasks taskCount: Int, repetitions: Int) {
        print("== queue overhead: \(hostCount) hosts, \(taskCount) queued tasks, best of \(repetitions)")
        var random = SeededRandom(seed: 42)
        let leases = Workload.hosts(hostCount, random: &random)
        let tasks = Workload.queuedTasks(taskCount, random: &random)
        let byID = Dictionary(uniqueKeysWithValues: tasks.map { ($0.id, $0.request) })
        let tierOrder = (tasks.filter { $0.tier == 0 } + tasks.filter { $0.tier == 1 }).map(\.request)
        let clock = ContinuousClock()
        let configuration = SchedulerConfiguration(leaseExpiry: nil)
        func filledQueue() -> TieredTaskQueue {
            var queue = TieredTaskQueue()
            for task in tasks { try? queue.enqueue(task, at: .zero) }
            return queue
        }
        func best(_ body: () -> Duration) -> Duration {
            (0..<repetitions).map { _ in body() }.min() ?? .zero
        }

        var queueOrder: [TaskRequest] = []
        var placed = 0
        let queueTime = best {
            var queue = filledQueue()
            var scheduler = TaskScheduler(configuration: configuration)
            let start = clock.now
            let result = queue.schedule(on: &scheduler, newLeases: leases, at: .zero)
            let elapsed = clock.now - start
            placed = result.placements.count
            queueOrder =
                result.placements.map(\.taskID).compactMap { byID[$0] }
                + result.scheduling.failures.map(\.request)
            return elapsed
        }
        let sameOrderTime = best {
            var scheduler = TaskScheduler(configuration: configuration)
            let start = clock.now
            _ = scheduler.schedule(queueOrder, newLeases: leases, at: .zero)
            return clock.now - start
        }
        let tierOrderTime = best {
            var scheduler = TaskScheduler(configuration: configuration)
            let start = clock.now
            _ = scheduler.schedule(tierOrder, newLeases: leases, at: .zero)
            return clock.now - start
        }
        let emptyQueueTime = best {
            var queue = filledQueue()
            var scheduler = TaskScheduler(configuration: configuration)
            let start = clock.now
            _ = queue.schedule(on: &scheduler, at: .zero)
            return clock.now - start
        }
        let emptyArrayTime = best {
            var scheduler = TaskScheduler(configuration: configuration)
            let start = clock.now
            _ = scheduler.schedule(tierOrder, at: .zero)
            return clock.now - start
        }
        func ms(_ duration: Duration) -> String { format(duration.milliseconds) + " ms" }
        func share(_ part: Duration) -> String { format(100 * part.milliseconds / queueTime.milliseconds) + "%" }
        print("iteration from the queue:                        \(ms(queueTime)), \(placed) placed")
        print("iteration from an array in the queue's order:    \(ms(sameOrderTime))")
        print("iteration from an array, tier 0 then tier 1:     \(ms(tierOrderTime))")
        print(
            "queue overhead (queue - same order):             \(ms(queueTime - sameOrderTime)) = \(share(queueTime - sameOrderTime))"
        )
        print(
            "no hosts: queue \(ms(emptyQueueTime)), array \(ms(emptyArrayTime)); the queue's own cost for \(taskCount) tasks"
        )
        print(
            "  = \(ms(emptyQueueTime - emptyArrayTime)) = \(share(emptyQueueTime - emptyArrayTime)) of the queue iteration"
        )
    }
}

/// One kind of iteration only, repeated, for `perf record`.
enum OverheadProfile {
    static func run(queue useQueue: Bool, repetitions: Int) {
        var random = SeededRandom(seed: 42)
        let leases = Workload.hosts(10_000, random: &random)
        let tasks = Workload.queuedTasks(100_000, random: &random)
        let ordered = (tasks.filter { $0.tier == 0 } + tasks.filter { $0.tier == 1 }).map(\.request)
        let clock = ContinuousClock()
        for _ in 0..<repetitions {
            var scheduler = TaskScheduler(configuration: SchedulerConfiguration(leaseExpiry: nil))
            if useQueue {
                var queue = TieredTaskQueue()
                for task in tasks { try? queue.enqueue(task, at: .zero) }
                let start = clock.now
                let result = queue.schedule(on: &scheduler, newLeases: leases, at: .zero)
                print("queue: \(format((clock.now - start).milliseconds)) ms, \(result.placements.count) placed")
            } else {
                let start = clock.now
                let result = scheduler.schedule(ordered, newLeases: leases, at: .zero)
                print("array: \(format((clock.now - start).milliseconds)) ms, \(result.statistics.tasksPlaced) placed")
            }
        }
    }
}

/// The queue's pass alone: a scheduler with no hosts fails every task at once.
enum EmptyFleetProfile {
    static func run(repetitions: Int) {
        var random = SeededRandom(seed: 42)
        let tasks = Workload.queuedTasks(100_000, random: &random)
        var queue = TieredTaskQueue()
        for task in tasks { try? queue.enqueue(task, at: .zero) }
        let clock = ContinuousClock()
        var scheduler = TaskScheduler(configuration: SchedulerConfiguration(leaseExpiry: nil))
        for _ in 0..<repetitions {
            let start = clock.now
            let result = queue.schedule(on: &scheduler, at: .zero)
            print(
                "no hosts, queue: \(format((clock.now - start).milliseconds)) ms, \(result.scheduling.failures.count) failed"
            )
        }
        let requests = tasks.map(\.request)
        for _ in 0..<repetitions {
            let start = clock.now
            let result = scheduler.schedule(requests, at: .zero)
            print("no hosts, array: \(format((clock.now - start).milliseconds)) ms, \(result.failures.count) failed")
        }
    }
}

/// Whether the order the queue hands tasks out in, rather than the queue, costs time: the
/// array is given the tasks in the queue's order.
enum OrderProfile {
    static func run(repetitions: Int) {
        var random = SeededRandom(seed: 42)
        let leases = Workload.hosts(10_000, random: &random)
        let tasks = Workload.queuedTasks(100_000, random: &random)
        var queue = TieredTaskQueue()
        for task in tasks { try? queue.enqueue(task, at: .zero) }
        var scheduler = TaskScheduler(configuration: SchedulerConfiguration(leaseExpiry: nil))
        let result = queue.schedule(on: &scheduler, newLeases: leases, at: .zero)
        let byID = Dictionary(uniqueKeysWithValues: tasks.map { ($0.id, $0.request) })
        let inQueueOrder = result.placements.compactMap { byID[$0.taskID] }
        let clock = ContinuousClock()
        for _ in 0..<repetitions {
            var fresh = TaskScheduler(configuration: SchedulerConfiguration(leaseExpiry: nil))
            let start = clock.now
            let placed = fresh.schedule(inQueueOrder, newLeases: leases, at: .zero).statistics.tasksPlaced
            print("array in the queue's order: \(format((clock.now - start).milliseconds)) ms, \(placed) placed")
        }
    }
}
