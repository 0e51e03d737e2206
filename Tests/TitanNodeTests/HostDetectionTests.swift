import Foundation
import Testing
import TitanModel

@testable import TitanNode

@Suite("Host resources and cgroup layout")
struct HostDetectionTests {
    // A cgroup v1 host as the project's test machines are (v2 mounted, holding no cpu or memory).
    private let hybridMountInfo = """
        22 1 254:0 / / rw,relatime - ext4 /dev/vda rw
        30 22 0:26 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
        31 30 0:27 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        32 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        33 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
        34 30 0:30 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        35 30 0:31 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
        """

    private let unifiedMountInfo = """
        22 1 254:0 / / rw,relatime - ext4 /dev/vda rw
        30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate
        """

    @Test("mountinfo with v1 controllers and an empty v2 mount gives the v1 layout")
    func hybridLayout() {
        var layout = CgroupLayout.parse(mountInfo: hybridMountInfo)
        layout.unifiedControllers = ["hugetlb"]
        #expect(layout.unified?.mountPoint == "/sys/fs/cgroup/unified")
        #expect(layout.v1["memory"]?.mountPoint == "/sys/fs/cgroup/memory")
        #expect(layout.v1["cpu"]?.mountPoint == "/sys/fs/cgroup/cpu")
        #expect(layout.v1["cpuacct"]?.mountPoint == "/sys/fs/cgroup/cpuacct")
        #expect(layout.version == .v1)
    }

    @Test("a v2-only host with cpu and memory controllers gives the v2 layout")
    func unifiedLayout() {
        var layout = CgroupLayout.parse(mountInfo: unifiedMountInfo)
        layout.unifiedControllers = ["cpuset", "cpu", "io", "memory", "pids"]
        #expect(layout.version == .v2)
        #expect(layout.unified?.mountPoint == "/sys/fs/cgroup")
        let tree = CgroupTree(layout: layout)
        #expect(tree.unavailableReason == nil)
    }

    @Test("a host with neither says why runs get no limits")
    func noControllers() {
        var layout = CgroupLayout.parse(mountInfo: unifiedMountInfo)
        layout.unifiedControllers = ["pids"]
        let reason = CgroupTree(layout: layout).unavailableReason
        #expect(reason?.contains("offers pids but not both cpu and memory") == true)
    }

    @Test("/proc/<pid>/cgroup maps v1 controllers and the v2 hierarchy to paths")
    func procCgroup() {
        let paths = CgroupLayout.parse(
            procCgroup: "12:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n0::/system.slice/docker-abc.scope\n"
        )
        #expect(paths["memory"] == "/docker/abc")
        #expect(paths["cpu"] == "/docker/abc")
        #expect(paths["cpuacct"] == "/docker/abc")
        #expect(paths[""] == "/system.slice/docker-abc.scope")
    }

    @Test("a mount whose root is a sub-cgroup maps paths under it and refuses others")
    func namespacedMount() {
        let mount = CgroupLayout.Mount(mountPoint: "/sys/fs/cgroup", root: "/kubepods/pod1")
        #expect(mount.directory(of: "/kubepods/pod1/task") == "/sys/fs/cgroup/task")
        #expect(mount.directory(of: "/kubepods/pod1") == "/sys/fs/cgroup")
        #expect(mount.directory(of: "/other") == nil)
    }

    /// cgroup v2 cannot run here (its controllers are bound to v1), so its files are a directory
    /// tree shaped like cgroupfs: the test checks what is written where.
    @Test("v2: controllers are enabled down the tree and the limits written in v2's files")
    func v2LimitsWritten() throws {
        let root = TemporaryDirectory("cgroup2")
        try "cpuset cpu io memory pids\n".write(
            toFile: root.file("cgroup.controllers"),
            atomically: false,
            encoding: .utf8
        )
        try "".write(toFile: root.file("cgroup.subtree_control"), atomically: false, encoding: .utf8)
        // cgroupfs creates a cgroup's files on mkdir; here they are made ahead.
        let layout = CgroupLayout(
            unified: CgroupLayout.Mount(mountPoint: root.path, root: "/"),
            unifiedControllers: ["cpu", "memory"],
            v1: [:]
        )
        let tree = CgroupTree(layout: layout, parent: "titan")
        try FileManager.default.createDirectory(atPath: root.file("titan/run.0"), withIntermediateDirectories: true)
        for file in [
            "titan/cgroup.subtree_control", "titan/run.0/memory.max", "titan/run.0/cpu.max", "titan/run.0/cpu.weight",
        ] {
            try "".write(toFile: root.file(file), atomically: false, encoding: .utf8)
        }
        let cgroup = try tree.create(
            name: "run.0",
            limits: CgroupLimits(cpus: 1.5, cpuShares: 1536, memoryBytes: 256 << 20)
        )
        #expect(cgroup.version == .v2)
        #expect(cgroup.processFiles == [root.file("titan/run.0/cgroup.procs")])
        #expect(readTrimmed(root.file("cgroup.subtree_control")) == "+cpu +memory")
        #expect(readTrimmed(root.file("titan/cgroup.subtree_control")) == "+cpu +memory")
        #expect(readTrimmed(root.file("titan/run.0/memory.max")) == String(256 << 20))
        #expect(readTrimmed(root.file("titan/run.0/cpu.max")) == "150000 100000")
        #expect(readTrimmed(root.file("titan/run.0/cpu.weight")) == String(CgroupLimits.weight(shares: 1536)))
        #expect(tree.parentDirectories == [root.file("titan")])
    }

    @Test("v2: usage is read from cpu.stat, memory.current, memory.stat and memory.events")
    func v2Usage() throws {
        let directory = TemporaryDirectory("cgroup2-run")
        try "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n".write(
            toFile: directory.file("cpu.stat"),
            atomically: false,
            encoding: .utf8
        )
        try "104857600\n".write(toFile: directory.file("memory.current"), atomically: false, encoding: .utf8)
        try "anon 90000000\ninactive_file 4857600\nactive_file 1000\n".write(
            toFile: directory.file("memory.stat"),
            atomically: false,
            encoding: .utf8
        )
        try "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n".write(
            toFile: directory.file("memory.events"),
            atomically: false,
            encoding: .utf8
        )
        let usage = try #require(TaskCgroup(version: .v2, directories: [directory.path]).usage())
        #expect(usage.cpuNanoseconds == 2_500_000_000)
        #expect(usage.memoryBytes == 100_000_000)
        #expect(usage.oomKills == 1)
    }

    @Test("shares convert to v2 weights as runc converts them")
    func sharesToWeight() {
        #expect(CgroupLimits.weight(shares: 2) == 1)
        #expect(CgroupLimits.weight(shares: 1024) == 39)
        #expect(CgroupLimits.weight(shares: 262_144) == 10000)
        #expect(CgroupLimits.quotaMicroseconds(cpus: 0.001) == 1000)
        #expect(CgroupLimits.quotaMicroseconds(cpus: 2) == 200_000)
    }

    @Test("cpus, memory and the default route are read from /proc's files")
    func procParsers() {
        #expect(HostResourceDetection.cpusAllowed(procStatus: "Name:\tx\nCpus_allowed_list:\t0-3,8-11\n") == 8)
        #expect(HostResourceDetection.cpusAllowed(procStatus: "Cpus_allowed_list:\t5\n") == 1)
        #expect(HostResourceDetection.processorCount(cpuinfo: "processor\t: 0\nmodel\t: x\n\nprocessor\t: 1\n") == 2)
        #expect(
            HostResourceDetection.memoryTotalBytes(meminfo: "MemTotal:       24684096 kB\nMemFree: 1 kB\n")
                == 24_684_096 * 1024
        )
        let routes = """
            Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask
            eth1\t0000FEA9\t00000000\t0001\t0\t0\t0\t0000FFFF
            eth0\t00000000\t0100A8C0\t0003\t0\t0\t0\t00000000
            """
        #expect(HostResourceDetection.defaultRouteInterface(routes: routes) == "eth0")
        #expect(HostResourceDetection.cpuMaxCores("150000 100000\n") == 1.5)
        #expect(HostResourceDetection.cpuMaxCores("max 100000\n") == nil)
    }

    @Test("detection on this host agrees with the system's own counts")
    func liveDetection() {
        let work = TemporaryDirectory()
        let detected = HostResourceDetection.detect(workDirectory: work.path)
        #expect(detected.cpus >= 1)
        #expect(detected.cpus <= Double(ProcessInfo.processInfo.processorCount))
        let physicalMB = Int(ProcessInfo.processInfo.physicalMemory >> 20)
        #expect(detected.memoryMB > 0 && detected.memoryMB <= physicalMB)
        #expect(detected.diskGB >= 0)
        #expect(detected.notes.count >= 3)
    }

    @Test("flags replace detected figures one by one")
    func overrides() {
        let detected = DetectedResources(cpus: 8, memoryMB: 32000, diskGB: 100, networkMbps: nil, notes: [])
        let resources = ResourceOverrides(cpus: 6, networkMbps: 1000).resources(
            detected: detected,
            portRanges: [PortRange(first: 31000, last: 31099)],
            scalars: ["gpu": 2]
        )
        #expect(
            resources
                == HostResources(
                    cpus: 6,
                    memoryMB: 32000,
                    diskGB: 100,
                    networkMbps: 1000,
                    portRanges: [PortRange(first: 31000, last: 31099)],
                    scalars: ["gpu": 2]
                )
        )
    }
}
