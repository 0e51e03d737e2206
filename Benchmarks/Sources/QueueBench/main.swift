import FenzoCore

// QueueBench: measurements for the tiered queue and the scheduling service (issue 5).
// Usage: QueueBench/.build/release/QueueBench [MODE...]   (no mode: every benchmark)
//
// Benchmarks (wall clock, best of N):
//   operations    enqueue, remove, move, setReadyAt with 100,000 tasks queued
//   overhead      a 10,000-host / 100,000-task packing iteration, queue against array
//   submit-cost   what one submission and one removal cost the service
//   submitters    the service loop, quiet and with 1,000 concurrent submitters
//   waits         per-tier waits on a mixed batch+service workload (simulated time)
// Single runs for callgrind (see Docs/queue-and-service.md):
//   once-queue, once-order, once-array        one packing iteration each way
//   steady-1, steady-2, steady-array          the fill, plus one steady iteration
//   profile-queue, profile-array, profile-empty, profile-order, waits-reserved
let arguments = CommandLine.arguments.dropFirst()
let which = Set(arguments.isEmpty ? ["all"] : Array(arguments))
func wants(_ name: String) -> Bool { which.contains(name) || which.contains("all") }

if which.contains("once-queue") { OverheadProfile.run(queue: true, repetitions: 1) }
if which.contains("once-order") { OrderProfile.run(repetitions: 1) }
if which.contains("once-array") { OverheadProfile.run(queue: false, repetitions: 1) }
if which.contains("steady-1") { SteadyIterationProfile.run(iterations: 1) }
if which.contains("steady-2") { SteadyIterationProfile.run(iterations: 2) }
if which.contains("steady-array") { SteadyArrayProfile.run() }
if which.contains("profile-queue") { OverheadProfile.run(queue: true, repetitions: 4) }
if which.contains("profile-array") { OverheadProfile.run(queue: false, repetitions: 4) }
if which.contains("profile-empty") { EmptyFleetProfile.run(repetitions: 10) }
if which.contains("profile-order") { OrderProfile.run(repetitions: 4) }
if wants("operations") { OperationsBenchmark.run(tasks: 100_000, operations: 10_000, repetitions: 5) }
if wants("overhead") { OverheadBenchmark.run(hosts: 10_000, tasks: 100_000, repetitions: 3) }
if wants("submit-cost") { try await SubmitCostBenchmark.run(count: 100_000) }
if wants("submitters") {
    for (pause, ownThread) in [(Duration.seconds(1), false), (.milliseconds(100), false), (.milliseconds(100), true)] {
        try await SubmittersBenchmark.run(
            hosts: 10_000,
            tasks: 100_000,
            submitters: 1_000,
            pause: pause,
            iterations: 20,
            ownThread: ownThread
        )
    }
}
if which.contains("waits-reserved") {
    try WaitsBenchmark.run(hosts: 1_000, seconds: 3_600, warmUp: 600, mode: .tieredReserved)
}
if wants("waits") {
    for mode in [WaitsBenchmark.Mode.tiered, .tieredBatchCapped, .tieredReserved, .fifo] {
        try WaitsBenchmark.run(hosts: 1_000, seconds: 3_600, warmUp: 600, mode: mode)
    }
}
