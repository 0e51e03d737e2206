import Dispatch
import FenzoCore
import Glibc

/// Runs iterations on a Dispatch queue of their own, so they do not share the
/// cooperative pool's threads with the submitters.
final class DispatchTaskExecutor: TaskExecutor {
    private let queue = DispatchQueue(label: "fenzo.bench.iterations")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// CPU time this process has used, user and system.
func processCPUTime() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
    let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    return user + system
}

/// The service loop with and without 1,000 concurrent submitters: iteration times over a
/// full 10,000-host fleet with about 100,000 tasks still queued (the first iteration places
/// what fits of twice that), back to back, first quiet, then while each submitter submits
/// a task, waits, and removes it again (so the queue keeps its size).
enum SubmittersBenchmark {
    static func run(
        hosts hostCount: Int,
        tasks taskCount: Int,
        submitters: Int,
        pause: Duration,
        iterations: Int,
        ownThread: Bool
    ) async throws {
        print(
            "== service loop: \(hostCount) hosts, \(taskCount) queued, \(submitters) submitters "
                + "each submitting every \(pause), \(iterations) iterations per phase, iterations on "
                + (ownThread ? "a thread of their own" : "the global executor")
        )
        var random = SeededRandom(seed: 42)
        let leases = Workload.hosts(hostCount, random: &random)
        var queue = TieredTaskQueue()
        for task in Workload.queuedTasks(2 * taskCount, random: &random) { try queue.enqueue(task, at: .zero) }
        let service = try SchedulingService(
            scheduler: TaskScheduler(configuration: SchedulerConfiguration(leaseExpiry: nil)),
            queue: queue,
            configuration: SchedulingServiceConfiguration(iterationInterval: nil, iterateOnChange: false),
            clock: ContinuousClock(),
            iterationExecutor: ownThread ? DispatchTaskExecutor() : nil
        )
        await service.offer(leases)
        let runner = Task { try await service.run() }
        var results = service.results.makeAsyncIterator()
        guard let first = await results.next() else { return }
        print(
            "first iteration (fills the fleet): \(format(first.duration.milliseconds)) ms, "
                + "\(first.placements.count) placed, \(first.queuedTasks) left queued"
        )

        func phase(_ name: String) async -> [Double] {
            var durations: [Double] = []
            for _ in 0..<iterations {
                await service.requestIteration()
                guard let iteration = await results.next() else { break }
                durations.append(iteration.duration.milliseconds)
            }
            return durations.sorted()
        }
        let quietCPUStart = processCPUTime()
        let quietStart = ContinuousClock().now
        let quiet = await phase("quiet")
        let quietCPU = (processCPUTime() - quietCPUStart) / ((ContinuousClock().now - quietStart).milliseconds / 1000)

        let clock = ContinuousClock()
        let submitterTasks = (0..<submitters).map { submitter in
            Task {
                var count = 0
                var latency = Duration.zero
                var random = SeededRandom(seed: UInt64(submitter))
                while !Task.isCancelled {
                    let id = "sub\(submitter)-\(count)"
                    let task = QueuedTask(
                        Workload.request(id, group: "adhoc\(submitter % 50)", random: &random),
                        tier: submitter % 2,
                        capacityGroup: CapacityGroupName("adhoc\(submitter % 10)")
                    )
                    let start = clock.now
                    try? await service.submit(task)
                    latency += clock.now - start
                    count += 1
                    try? await Task.sleep(for: pause)
                    await service.remove(TaskID(id))
                }
                return (count, latency)
            }
        }
        let busyCPUStart = processCPUTime()
        let busyStart = clock.now
        let busy = await phase("busy")
        let busySeconds = (clock.now - busyStart).milliseconds / 1000
        let busyCPU = (processCPUTime() - busyCPUStart) / busySeconds
        var submitted = 0
        var latency = Duration.zero
        for task in submitterTasks {
            task.cancel()
            let (count, spent) = await task.value
            submitted += count
            latency += spent
        }
        await service.shutdown()
        try await runner.value

        func describe(_ name: String, _ values: [Double]) {
            let mean = values.reduce(0, +) / Double(max(values.count, 1))
            print(
                "\(name): median \(format(percentile(values, 0.5))) ms, mean \(format(mean)) ms, "
                    + "p90 \(format(percentile(values, 0.9))) ms over \(values.count) iterations"
            )
        }
        describe("quiet", quiet)
        describe("with submitters", busy)
        print("cores busy in this process: quiet \(format(quietCPU, 2)), with submitters \(format(busyCPU, 2))")
        let slowdown = percentile(busy, 0.5) / percentile(quiet, 0.5) - 1
        print("median slowdown: \(format(100 * slowdown))%")
        print(
            "submissions: \(submitted) in \(format(busySeconds)) s (\(format(Double(submitted) / busySeconds, 0))/s), "
                + "mean submit latency \(format(latency.milliseconds * 1000 / Double(max(submitted, 1)), 0)) µs"
        )
    }
}

/// Iterations over a full fleet with ~100,000 tasks queued, from the queue directly (for
/// callgrind: run with 1 and with 2 iterations; the difference is one steady iteration).
enum SteadyIterationProfile {
    static func run(iterations: Int) {
        var random = SeededRandom(seed: 42)
        let leases = Workload.hosts(10_000, random: &random)
        var queue = TieredTaskQueue()
        for task in Workload.queuedTasks(200_000, random: &random) { try? queue.enqueue(task, at: .zero) }
        var scheduler = TaskScheduler(configuration: SchedulerConfiguration(leaseExpiry: nil))
        for number in 0..<iterations {
            let result = queue.schedule(
                on: &scheduler,
                newLeases: number == 0 ? leases : [],
                at: .seconds(Double(number))
            )
            print("iteration \(number + 1): \(result.placements.count) placed, \(queue.count) queued")
        }
    }
}

/// The steady iteration's tasks from an array, in the order the queue tries them, on the
/// same full fleet (for callgrind, against `steady-2`).
enum SteadyArrayProfile {
    static func run() {
        var random = SeededRandom(seed: 42)
        let leases = Workload.hosts(10_000, random: &random)
        var queue = TieredTaskQueue()
        for task in Workload.queuedTasks(200_000, random: &random) { try? queue.enqueue(task, at: .zero) }
        var scheduler = TaskScheduler(configuration: SchedulerConfiguration(leaseExpiry: nil))
        _ = queue.schedule(on: &scheduler, newLeases: leases, at: .zero)
        var copy = scheduler
        let order = queue.schedule(on: &copy, at: .seconds(1)).scheduling.failures.map(\.request)
        let result = scheduler.schedule(order, at: .seconds(1))
        print("array: \(result.failures.count) failed, \(result.statistics.tasksPlaced) placed")
    }
}
