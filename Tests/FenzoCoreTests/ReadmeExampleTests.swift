import FenzoCore
import Testing

@Suite("Documentation examples")
struct ReadmeExampleTests {
    @Test("the README's FenzoCore example places its task and reports its port")
    func readmeExample() throws {
        var scheduler = TaskScheduler(configuration: SchedulerConfiguration(placementOrder: .hostByHost))
        let result = scheduler.schedule(
            [
                TaskRequest(
                    id: "web-0",
                    group: "web",
                    resources: Resources(cpus: 2, memoryMB: 4096),
                    ports: 1,
                    hardConstraints: [.uniqueHostAttribute("zone")]
                )
            ],
            newLeases: [
                Lease(
                    id: "offer-1",
                    hostname: "host-a",
                    resources: Resources(cpus: 16, memoryMB: 65536),
                    ports: PortRanges([31000...31999]),
                    attributes: ["zone": "us-east-1a"]
                )
            ],
            at: .seconds(0)
        )
        let placed = try #require(result.placedTasks.first)
        #expect(placed.hostname == "host-a")
        #expect(placed.ports == [31000])
        #expect(result.failures.isEmpty)
    }
}
