import FenzoCore

/// What one submission costs the service: submits and removes from a single caller, with
/// no iterations running.
enum SubmitCostBenchmark {
    static func run(count: Int) async throws {
        var random = SeededRandom(seed: 3)
        let tasks = (0..<count).map {
            QueuedTask(Workload.request("c\($0)", group: "g", random: &random), tier: 1, capacityGroup: "adhoc")
        }
        let service = try SchedulingService(
            configuration: SchedulingServiceConfiguration(iterationInterval: nil, iterateOnChange: false),
            clock: ContinuousClock()
        )
        let clock = ContinuousClock()
        var start = clock.now
        for task in tasks { try await service.submit(task) }
        let submitTime = clock.now - start
        start = clock.now
        for task in tasks { await service.remove(task.id) }
        let removeTime = clock.now - start
        start = clock.now
        _ = await service.inspect { _, queue in queue.count }
        let applyTime = clock.now - start
        print("== submit cost, one caller, \(count) tasks")
        print("submit: \(format(submitTime.milliseconds * 1e6 / Double(count), 0)) ns each")
        print("remove: \(format(removeTime.milliseconds * 1e6 / Double(count), 0)) ns each")
        print("applying them all to the queue: \(format(applyTime.milliseconds)) ms")
    }
}
