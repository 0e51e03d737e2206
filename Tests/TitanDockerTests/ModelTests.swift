import Foundation
import Testing

@testable import TitanDocker

@Suite("Docker model and wire translation")
struct ModelTests {
    @Test("engine timestamps parse with nanoseconds and offsets; year one means never")
    func timestamps() throws {
        let date = try #require(EngineTimestamp.parse("2026-11-23T20:21:49.659393775Z"))
        #expect(abs(date.timeIntervalSince1970 - 1_795_465_309.659393775) < 0.000_01)
        #expect(EngineTimestamp.parse("1970-01-01T01:00:00+01:00")?.timeIntervalSince1970 == 0)
        #expect(EngineTimestamp.parse("2000-02-29T00:00:00Z")?.timeIntervalSince1970 == 951_782_400)
        #expect(EngineTimestamp.parse("0001-01-01T00:00:00Z") == nil)
        #expect(EngineTimestamp.parse("") == nil)
        #expect(EngineTimestamp.parse("yesterday") == nil)
    }

    @Test("an image reference splits into repository and tag; a registry port is not a tag")
    func imageReferences() {
        #expect(ImageReference("titan-test/busybox:latest").repository == "titan-test/busybox")
        #expect(ImageReference("busybox").tag == "latest")
        #expect(ImageReference("registry:5000/team/app").repository == "registry:5000/team/app")
        #expect(ImageReference("registry:5000/team/app:1.06").tag == "1.06")
    }

    @Test("a spec becomes the engine's create request with limits in its units")
    func createRequest() throws {
        let spec = ContainerSpec(
            image: "titan-test/busybox:latest",
            command: ["sh", "-c", "true"],
            environment: ["B": "2", "A": "1"],
            labels: ["titan.job": "rocker"],
            limits: ResourceLimits(
                cpu: .quota(.milliseconds(50), period: .milliseconds(100)),
                cpuShares: 256,
                memoryBytes: 1 << 26
            ),
            networkMode: .host,
            portBindings: [PortBinding(containerPort: 80, hostPort: 8080)]
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = try #require(
            try JSONSerialization.jsonObject(with: encoder.encode(WireCreateContainer(spec))) as? [String: Any]
        )
        #expect(json["Env"] as? [String] == ["A=1", "B=2"])
        let hostConfig = try #require(json["HostConfig"] as? [String: Any])
        #expect(hostConfig["CpuQuota"] as? Int == 50_000)
        #expect(hostConfig["CpuPeriod"] as? Int == 100_000)
        #expect(hostConfig["CpuShares"] as? Int == 256)
        #expect(hostConfig["Memory"] as? Int == 1 << 26)
        #expect(hostConfig["NanoCpus"] == nil)
        #expect(hostConfig["NetworkMode"] as? String == "host")
        let ports = try #require(hostConfig["PortBindings"] as? [String: [[String: String]]])
        #expect(ports["80/tcp"] == [["HostIp": "127.0.0.1", "HostPort": "8080"]])
        #expect((json["ExposedPorts"] as? [String: Any])?.keys.sorted() == ["80/tcp"])
        #expect(CPULimit.cores(1.5).nanoCPUs == 1_500_000_000)
    }

    @Test("query values are escaped so the engine reads them back exactly")
    func queryEscaping() {
        #expect(percentEncoded("ENV PATH=/bin") == "ENV%20PATH%3D%2Fbin")
        #expect(percentEncoded(#"{"label":["a+b=c"]}"#) == "%7B%22label%22%3A%5B%22a%2Bb%3Dc%22%5D%7D")
        #expect(percentEncodedPath("titan-test/busybox:latest") == "titan-test/busybox:latest")
    }

    @Test("a stats sample with a previous one gives cores in use")
    func coresInUse() {
        let stats = ContainerStats(
            readAt: nil,
            cpu: .init(containerNanoseconds: 1_500_000_000, systemNanoseconds: 4_000_000_000, onlineCPUs: 2),
            previousCPU: .init(containerNanoseconds: 1_000_000_000, systemNanoseconds: 2_000_000_000, onlineCPUs: 2),
            memoryUsageBytes: 10,
            memoryWorkingSetBytes: 8,
            memoryLimitBytes: 100,
            processCount: 1
        )
        #expect(stats.coresInUse == 0.5)
    }
}
