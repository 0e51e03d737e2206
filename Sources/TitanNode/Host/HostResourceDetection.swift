import Foundation
import Glibc
import TitanModel

/// What the agent found this host has, and how it found out.
public struct DetectedResources: Hashable, Sendable {
    public var cpus: Double
    public var memoryMB: Int
    public var diskGB: Int
    /// nil when the link speed could not be read.
    public var networkMbps: Int?
    /// One line per figure saying where it came from ("2 cpus from the affinity mask").
    public var notes: [String]

    public init(cpus: Double, memoryMB: Int, diskGB: Int, networkMbps: Int?, notes: [String]) {
        self.cpus = cpus
        self.memoryMB = memoryMB
        self.diskGB = diskGB
        self.networkMbps = networkMbps
        self.notes = notes
    }
}

/// Reads the host's capacity for tasks from /proc, the agent's own cgroup limits and the work
/// directory's file system. Each figure can be overridden by a flag; the parsers are pure
/// functions of the files' text so they are tested on recorded files.
public enum HostResourceDetection {
    /// Detects cpus, memory, disk and network of the running host.
    /// - Parameter workDirectory: the file system whose free space is the disk on offer.
    public static func detect(workDirectory: String, cgroups: CgroupLayout = .detect()) -> DetectedResources {
        var notes: [String] = []

        // CPUs: those the agent may run on, capped by its cgroup's quota.
        var cpus: Double
        if let status = FileIO.readText("/proc/self/status"), let allowed = cpusAllowed(procStatus: status) {
            cpus = Double(allowed)
            notes.append("\(allowed) cpus in the agent's affinity mask (/proc/self/status)")
        } else {
            let count = (FileIO.readText("/proc/cpuinfo")).map(processorCount(cpuinfo:)) ?? 1
            cpus = Double(max(1, count))
            notes.append("\(count) processors in /proc/cpuinfo")
        }
        if let quota = ownCPUQuota(cgroups), quota < cpus {
            cpus = (quota * 100).rounded() / 100
            notes.append("capped to \(cpus) cpus by the agent's cgroup cpu quota")
        }

        // Memory: the machine's, capped by the agent's cgroup limit.
        var memoryBytes: UInt64 = 0
        if let meminfo = FileIO.readText("/proc/meminfo"), let total = memoryTotalBytes(meminfo: meminfo) {
            memoryBytes = total
            notes.append("\(total >> 20) MB of memory in /proc/meminfo")
        }
        if let limit = ownMemoryLimitBytes(cgroups), limit < memoryBytes {
            memoryBytes = limit
            notes.append("capped to \(limit >> 20) MB by the agent's cgroup memory limit")
        }

        // Disk: what is free for unprivileged use on the work directory's file system.
        var diskGB = 0
        var fileSystem = statvfs()
        if statvfs(workDirectory, &fileSystem) == 0 {
            let available = UInt64(fileSystem.f_bavail) * UInt64(fileSystem.f_frsize)
            diskGB = Int(available >> 30)
            notes.append("\(diskGB) GB free on the file system of \(workDirectory)")
        } else {
            notes.append("cannot read the free space of \(workDirectory): \(String(cString: strerror(errno)))")
        }

        // Network: the link speed of the interface with the default route.
        var networkMbps: Int?
        if let routes = FileIO.readText("/proc/net/route"), let interface = defaultRouteInterface(routes: routes) {
            if let speedText = FileIO.readText("/sys/class/net/\(interface)/speed"),
                let speed = Int(speedText.trimmingCharacters(in: .whitespacesAndNewlines)), speed > 0
            {
                networkMbps = speed
                notes.append("\(speed) Mbps link speed of \(interface)")
            } else {
                notes.append("\(interface) does not report its link speed; pass --network-mbps")
            }
        } else {
            notes.append("no default route found in /proc/net/route; pass --network-mbps")
        }

        return DetectedResources(
            cpus: cpus,
            memoryMB: Int(memoryBytes >> 20),
            diskGB: diskGB,
            networkMbps: networkMbps,
            notes: notes
        )
    }

    /// How many cpus `Cpus_allowed_list` names (`0-3,8-11` is 8).
    public static func cpusAllowed(procStatus: String) -> Int? {
        guard let line = procStatus.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else {
            return nil
        }
        let list = line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces)
        var count = 0
        for part in list.split(separator: ",") {
            let bounds = part.split(separator: "-")
            if bounds.count == 2, let low = Int(bounds[0]), let high = Int(bounds[1]), high >= low {
                count += high - low + 1
            } else if bounds.count == 1, Int(bounds[0]) != nil {
                count += 1
            } else {
                return nil
            }
        }
        return count > 0 ? count : nil
    }

    /// The number of `processor` entries in /proc/cpuinfo.
    public static func processorCount(cpuinfo: String) -> Int {
        cpuinfo.split(separator: "\n").filter { $0.hasPrefix("processor") }.count
    }

    /// `MemTotal` in bytes.
    public static func memoryTotalBytes(meminfo: String) -> UInt64? {
        guard let line = meminfo.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") }) else { return nil }
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 2, let kilobytes = UInt64(fields[1]) else { return nil }
        return kilobytes * 1024
    }

    /// The interface of the default route (destination 0.0.0.0) in /proc/net/route.
    public static func defaultRouteInterface(routes: String) -> String? {
        for line in routes.split(separator: "\n").dropFirst() {
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            if fields.count >= 2 && fields[1] == "00000000" { return String(fields[0]) }
        }
        return nil
    }

    /// The cpu quota of the agent's own cgroup and its ancestors, in cores; nil for none.
    static func ownCPUQuota(_ layout: CgroupLayout) -> Double? {
        guard let paths = FileIO.readText("/proc/self/cgroup").map(CgroupLayout.parse(procCgroup:)) else { return nil }
        var smallest: Double?
        switch layout.version {
        case .v2:
            guard let unified = layout.unified, let path = paths[""] else { return nil }
            for directory in ancestors(of: path, in: unified) {
                if let text = FileIO.readText(directory + "/cpu.max"), let cores = cpuMaxCores(text) {
                    smallest = min(smallest ?? cores, cores)
                }
            }
        case .v1:
            guard let mount = layout.v1["cpu"], let path = paths["cpu"] else { return nil }
            for directory in ancestors(of: path, in: mount) {
                guard let quotaText = FileIO.readText(directory + "/cpu.cfs_quota_us"),
                    let quota = Int(quotaText.trimmingCharacters(in: .whitespacesAndNewlines)), quota > 0,
                    let periodText = FileIO.readText(directory + "/cpu.cfs_period_us"),
                    let period = Int(periodText.trimmingCharacters(in: .whitespacesAndNewlines)), period > 0
                else { continue }
                let cores = Double(quota) / Double(period)
                smallest = min(smallest ?? cores, cores)
            }
        case nil:
            return nil
        }
        return smallest
    }

    /// Cores allowed by a v2 `cpu.max` ("max 100000" is none).
    public static func cpuMaxCores(_ text: String) -> Double? {
        let fields = text.split(whereSeparator: \.isWhitespace)
        guard fields.count == 2, let quota = Double(fields[0]), let period = Double(fields[1]), period > 0 else {
            return nil
        }
        return quota / period
    }

    /// The memory limit of the agent's own cgroup and its ancestors; nil for none.
    static func ownMemoryLimitBytes(_ layout: CgroupLayout) -> UInt64? {
        guard let paths = FileIO.readText("/proc/self/cgroup").map(CgroupLayout.parse(procCgroup:)) else { return nil }
        var smallest: UInt64?
        let directories: [String]
        let file: String
        switch layout.version {
        case .v2:
            guard let unified = layout.unified, let path = paths[""] else { return nil }
            directories = ancestors(of: path, in: unified)
            file = "memory.max"
        case .v1:
            guard let mount = layout.v1["memory"], let path = paths["memory"] else { return nil }
            directories = ancestors(of: path, in: mount)
            file = "memory.limit_in_bytes"
        case nil:
            return nil
        }
        for directory in directories {
            // "max" (v2) and the page-rounded maximum (v1) mean no limit; neither parses below 2^62.
            if let text = FileIO.readText(directory + "/" + file),
                let limit = UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines)), limit < (1 << 62)
            {
                smallest = min(smallest ?? limit, limit)
            }
        }
        return smallest
    }

    /// A cgroup's directory and those of its ancestors up to the mount.
    private static func ancestors(of path: String, in mount: CgroupLayout.Mount) -> [String] {
        guard let directory = mount.directory(of: path) else { return [] }
        var result: [String] = []
        var current = directory
        while current.count >= mount.mountPoint.count {
            result.append(current)
            guard current != mount.mountPoint, let slash = current.lastIndex(of: "/") else { break }
            current = String(current[..<slash])
        }
        return result
    }
}

/// Host ports and other capacity the operator sets, merged with what was detected.
public struct ResourceOverrides: Hashable, Sendable, Codable {
    public var cpus: Double?
    public var memoryMB: Int?
    public var diskGB: Int?
    public var networkMbps: Int?

    public init(cpus: Double? = nil, memoryMB: Int? = nil, diskGB: Int? = nil, networkMbps: Int? = nil) {
        self.cpus = cpus
        self.memoryMB = memoryMB
        self.diskGB = diskGB
        self.networkMbps = networkMbps
    }

    /// The host's capacity: each overridden figure replaces the detected one.
    public func resources(
        detected: DetectedResources,
        portRanges: [PortRange],
        scalars: [String: Double]
    ) -> HostResources {
        HostResources(
            cpus: cpus ?? detected.cpus,
            memoryMB: memoryMB ?? detected.memoryMB,
            diskGB: diskGB ?? detected.diskGB,
            networkMbps: networkMbps ?? detected.networkMbps ?? 0,
            portRanges: portRanges,
            scalars: scalars
        )
    }
}
