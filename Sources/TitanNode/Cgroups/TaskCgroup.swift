import Foundation
import Glibc

/// One run's cgroup: a directory in the v2 hierarchy, or one per v1 controller.
public struct TaskCgroup: Hashable, Sendable, Codable {
    public var version: CgroupVersion
    /// v2: the cgroup's directory. v1: the `memory`, `cpu` and `cpuacct` directories, in that
    /// order (the same directory twice where controllers are mounted together).
    public var directories: [String]

    public init(version: CgroupVersion, directories: [String]) {
        self.version = version
        self.directories = directories
    }

    var memoryDirectory: String { directories.first ?? "" }
    var cpuDirectory: String { version == .v2 ? memoryDirectory : directories.dropFirst().first ?? "" }
    var cpuAccountingDirectory: String { version == .v2 ? memoryDirectory : directories.last ?? "" }

    /// Each distinct directory once.
    var uniqueDirectories: [String] {
        var seen: Set<String> = []
        return directories.filter { seen.insert($0).inserted }
    }

    /// The files a process writes its pid (or 0) to, to join the cgroup.
    public var processFiles: [String] { uniqueDirectories.map { $0 + "/cgroup.procs" } }
}

/// The limits a run's cgroup enforces.
public struct CgroupLimits: Hashable, Sendable {
    /// A hard cap in cores (quota over a 100 ms period); nil for none.
    public var cpus: Double?
    /// The relative weight under contention, in Docker's shares (1024 for one core's worth).
    public var cpuShares: Int?
    public var memoryBytes: Int64?

    public init(cpus: Double? = nil, cpuShares: Int? = nil, memoryBytes: Int64? = nil) {
        self.cpus = cpus
        self.cpuShares = cpuShares
        self.memoryBytes = memoryBytes
    }

    /// The CFS period the quota is given over, in microseconds (Docker's default).
    static let periodMicroseconds = 100_000

    /// The quota per period for `cpus`, at least 1 ms as the kernel requires.
    static func quotaMicroseconds(cpus: Double) -> Int {
        max(1000, Int((cpus * Double(periodMicroseconds)).rounded()))
    }

    /// cgroup v2's `cpu.weight` (1…10000) for Docker-style shares (2…262144), as runc converts.
    static func weight(shares: Int) -> Int {
        let clamped = min(max(shares, 2), 262_144)
        return 1 + ((clamped - 2) * 9999) / 262_142
    }
}

/// What a cgroup has used.
public struct CgroupUsage: Hashable, Sendable {
    /// CPU time used by every process ever in the cgroup.
    public var cpuNanoseconds: UInt64
    /// Memory in use less inactive page cache (the working set, as `docker stats` shows).
    public var memoryBytes: UInt64
    /// How often the kernel's OOM killer killed a process in the cgroup.
    public var oomKills: Int

    public init(cpuNanoseconds: UInt64, memoryBytes: UInt64, oomKills: Int) {
        self.cpuNanoseconds = cpuNanoseconds
        self.memoryBytes = memoryBytes
        self.oomKills = oomKills
    }
}

/// The part of the host's cgroup hierarchy the agent puts process-runtime tasks in:
/// `<parent>/<run>` under the v2 mount or under each v1 controller's mount.
public struct CgroupTree: Sendable {
    public let layout: CgroupLayout
    /// The cgroup (relative to each hierarchy's mount point) holding the runs, such as `titan`.
    public let parent: String

    public init(layout: CgroupLayout, parent: String = "titan") {
        self.layout = layout
        self.parent = parent.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
    }

    /// Why runs get no cgroup on this host, or nil when they do.
    public var unavailableReason: String? {
        if layout.version != nil { return nil }
        if layout.unified != nil && !layout.unifiedControllers.isEmpty {
            return "the cgroup v2 hierarchy offers \(layout.unifiedControllers.sorted().joined(separator: ", ")) "
                + "but not both cpu and memory, and no cgroup v1 memory, cpu and cpuacct controllers are mounted"
        }
        return "no cgroup v2 hierarchy with cpu and memory controllers and no cgroup v1 memory, cpu and cpuacct "
            + "controllers are mounted"
    }

    /// The parent cgroup's directories in each hierarchy, deepest first (removable once no run
    /// is left in them).
    public var parentDirectories: [String] {
        var mounts: [String] = []
        switch layout.version {
        case .v2: mounts = layout.unified.map { [$0.mountPoint] } ?? []
        case .v1: mounts = Array(Set(["memory", "cpu", "cpuacct"].compactMap { layout.v1[$0]?.mountPoint })).sorted()
        case nil: return []
        }
        var directories: [String] = []
        for mount in mounts {
            var directory = mount
            var chain: [String] = []
            for component in parent.split(separator: "/") {
                directory += "/" + component
                chain.append(directory)
            }
            directories += chain.reversed()
        }
        return directories
    }

    /// Makes a cgroup for a run and writes its limits.
    /// - Throws: ``AgentFileError`` saying which file could not be made or written.
    public func create(name: String, limits: CgroupLimits) throws(AgentFileError) -> TaskCgroup {
        switch layout.version {
        case .v2:
            guard let unified = layout.unified else { throw unavailable() }
            return try createV2(root: unified.mountPoint, name: name, limits: limits)
        case .v1:
            return try createV1(name: name, limits: limits)
        case nil:
            throw unavailable()
        }
    }

    private func unavailable() -> AgentFileError {
        AgentFileError(path: "/sys/fs/cgroup", message: unavailableReason ?? "no usable cgroup hierarchy")
    }

    private func createV2(root: String, name: String, limits: CgroupLimits) throws(AgentFileError) -> TaskCgroup {
        try enableControllers(in: root)
        var directory = root
        for component in parent.split(separator: "/") {
            directory += "/" + component
            try makeCgroupDirectory(directory)
            try enableControllers(in: directory)
        }
        directory += "/" + name
        try makeCgroupDirectory(directory)
        let cgroup = TaskCgroup(version: .v2, directories: [directory])
        if let memoryBytes = limits.memoryBytes {
            try FileIO.writeControl(String(memoryBytes), to: directory + "/memory.max")
            // No swapping past the limit where swap exists; the file is absent without swap.
            if FileIO.exists(directory + "/memory.swap.max") {
                try? FileIO.writeControl("0", to: directory + "/memory.swap.max")
            }
        }
        if let cpus = limits.cpus {
            let quota = CgroupLimits.quotaMicroseconds(cpus: cpus)
            try FileIO.writeControl("\(quota) \(CgroupLimits.periodMicroseconds)", to: directory + "/cpu.max")
        }
        if let shares = limits.cpuShares {
            try FileIO.writeControl(String(CgroupLimits.weight(shares: shares)), to: directory + "/cpu.weight")
        }
        return cgroup
    }

    /// Turns on `cpu` and `memory` for a v2 cgroup's children when they are not on yet.
    private func enableControllers(in directory: String) throws(AgentFileError) {
        let enabled = Set(
            (FileIO.readText(directory + "/cgroup.subtree_control") ?? "").split(separator: " ").map {
                $0.trimmingCharacters(in: .whitespacesAndNewlines)
            }
        )
        let missing = ["cpu", "memory"].filter { !enabled.contains($0) }
        guard !missing.isEmpty else { return }
        try FileIO.writeControl(
            missing.map { "+" + $0 }.joined(separator: " "),
            to: directory + "/cgroup.subtree_control"
        )
    }

    private func createV1(name: String, limits: CgroupLimits) throws(AgentFileError) -> TaskCgroup {
        var directories: [String] = []
        for controller in ["memory", "cpu", "cpuacct"] {
            guard let mount = layout.v1[controller] else { throw unavailable() }
            var directory = mount.mountPoint
            for component in parent.split(separator: "/") {
                directory += "/" + component
                try makeCgroupDirectory(directory)
            }
            directory += "/" + name
            try makeCgroupDirectory(directory)
            directories.append(directory)
        }
        let cgroup = TaskCgroup(version: .v1, directories: directories)
        if let memoryBytes = limits.memoryBytes {
            try FileIO.writeControl(String(memoryBytes), to: cgroup.memoryDirectory + "/memory.limit_in_bytes")
        }
        if let cpus = limits.cpus {
            try FileIO.writeControl(
                String(CgroupLimits.periodMicroseconds),
                to: cgroup.cpuDirectory + "/cpu.cfs_period_us"
            )
            try FileIO.writeControl(
                String(CgroupLimits.quotaMicroseconds(cpus: cpus)),
                to: cgroup.cpuDirectory + "/cpu.cfs_quota_us"
            )
        }
        if let shares = limits.cpuShares {
            try FileIO.writeControl(String(max(2, shares)), to: cgroup.cpuDirectory + "/cpu.shares")
        }
        return cgroup
    }

    private func makeCgroupDirectory(_ path: String) throws(AgentFileError) {
        if mkdir(path, 0o755) != 0 && errno != EEXIST { throw .system("create the cgroup", path) }
    }
}

extension TaskCgroup {
    /// What the cgroup has used so far; nil when its files cannot be read (it was removed).
    public func usage() -> CgroupUsage? {
        switch version {
        case .v2:
            guard let cpuStat = FileIO.readText(cpuDirectory + "/cpu.stat"),
                let usageMicroseconds = Self.value(of: "usage_usec", in: cpuStat),
                let current = FileIO.readText(memoryDirectory + "/memory.current").flatMap({
                    UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines))
                })
            else { return nil }
            let inactive = FileIO.readText(memoryDirectory + "/memory.stat").flatMap {
                Self.value(of: "inactive_file", in: $0)
            }
            let oomKills = FileIO.readText(memoryDirectory + "/memory.events").flatMap {
                Self.value(of: "oom_kill", in: $0)
            }
            return CgroupUsage(
                cpuNanoseconds: usageMicroseconds * 1000,
                memoryBytes: current >= (inactive ?? 0) ? current - (inactive ?? 0) : current,
                oomKills: Int(oomKills ?? 0)
            )
        case .v1:
            guard
                let cpu = FileIO.readText(cpuAccountingDirectory + "/cpuacct.usage").flatMap({
                    UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines))
                }),
                let usage = FileIO.readText(memoryDirectory + "/memory.usage_in_bytes").flatMap({
                    UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines))
                })
            else { return nil }
            let inactive = FileIO.readText(memoryDirectory + "/memory.stat").flatMap {
                Self.value(of: "total_inactive_file", in: $0)
            }
            let oomKills = FileIO.readText(memoryDirectory + "/memory.oom_control").flatMap {
                Self.value(of: "oom_kill", in: $0)
            }
            return CgroupUsage(
                cpuNanoseconds: cpu,
                memoryBytes: usage >= (inactive ?? 0) ? usage - (inactive ?? 0) : usage,
                oomKills: Int(oomKills ?? 0)
            )
        }
    }

    /// The processes in the cgroup now.
    public func processIDs() -> [Int32] {
        guard let text = FileIO.readText(memoryDirectory + "/cgroup.procs") else { return [] }
        return text.split(separator: "\n").compactMap { Int32($0) }
    }

    /// Kills every process in the cgroup (`cgroup.kill` on v2 where the kernel has it).
    public func killAll() {
        if version == .v2, FileIO.exists(memoryDirectory + "/cgroup.kill") {
            if (try? FileIO.writeControl("1", to: memoryDirectory + "/cgroup.kill")) != nil { return }
        }
        for pid in processIDs() { kill(pid, SIGKILL) }
    }

    /// Removes the cgroup's directories once no process is left in them; gives up after about a
    /// second, leaving them for the next clean-up.
    public func remove() async {
        for _ in 0..<20 {
            var busy = false
            for directory in uniqueDirectories.reversed() where FileIO.exists(directory) {
                if rmdir(directory) != 0 && errno != ENOENT { busy = true }
            }
            if !busy { return }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The number after `key ` on its own line of a flat-keyed cgroup file (`cpu.stat`,
    /// `memory.stat`, `memory.events`, `memory.oom_control`).
    static func value(of key: String, in text: String) -> UInt64? {
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0] == key {
                return UInt64(parts[1].trimmingCharacters(in: .whitespaces))
            }
        }
        return nil
    }
}
