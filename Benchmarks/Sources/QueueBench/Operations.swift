import FenzoCore

/// Queue operation costs with 100,000 tasks queued: enqueue, remove, ready-at and move.
enum OperationsBenchmark {
    static func run(tasks taskCount: Int, operations: Int, repetitions: Int) {
        print("== queue operations at \(taskCount) queued tasks, \(operations) of each, best of \(repetitions)")
        var random = SeededRandom(seed: 7)
        let tasks = Workload.queuedTasks(taskCount, random: &random)
        let extra = Workload.queuedTasks(taskCount + operations, random: &random).suffix(operations).map {
            var task = $0
            task.request.id = TaskID("extra-" + task.request.id.rawValue)
            return task
        }
        let picks = (0..<operations).map { _ in tasks[Int(random.next() % UInt64(taskCount))].id }
        let clock = ContinuousClock()
        var best: [String: Duration] = [:]
        func record(_ name: String, _ elapsed: Duration) {
            best[name] = min(best[name] ?? .seconds(1_000_000), elapsed)
        }
        for _ in 0..<repetitions {
            var queue = TieredTaskQueue()
            var start = clock.now
            for task in tasks { try? queue.enqueue(task, at: .zero) }
            record("enqueue (filling to \(taskCount))", clock.now - start)

            start = clock.now
            for task in extra { try? queue.enqueue(task, at: .seconds(1)) }
            record("enqueue at \(taskCount)", clock.now - start)

            start = clock.now
            for (offset, id) in picks.enumerated() { try? queue.setReadyAt(.seconds(Double(offset % 100)), for: id) }
            record("setReadyAt at \(taskCount)", clock.now - start)

            start = clock.now
            for (offset, id) in picks.enumerated() {
                try? queue.move(id, toTier: offset % 2, capacityGroup: CapacityGroupName("moved\(offset % 7)"))
            }
            record("move at \(taskCount)", clock.now - start)

            start = clock.now
            for id in picks { queue.remove(id) }
            record("remove at \(taskCount)", clock.now - start)
        }
        for (name, elapsed) in best.sorted(by: { $0.key < $1.key }) {
            let count = name.hasPrefix("enqueue (filling") ? taskCount : operations
            print("\(name): \(format(elapsed.milliseconds * 1e6 / Double(count), 0)) ns per operation")
        }
    }
}
