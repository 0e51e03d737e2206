import Foundation

/// Where this host's cgroup controllers are mounted, read from `/proc/self/mountinfo`.
///
/// Hosts come in three shapes: cgroup v2 only (the unified hierarchy holds `cpu` and `memory`),
/// cgroup v1 (one mount per controller, as on this project's test machines, where the v2 mount
/// holds no controllers), or hybrid. The agent uses v2 when its unified hierarchy has the `cpu`
/// and `memory` controllers, else v1 when those are mounted, else runs processes without limits
/// and says so.
public struct CgroupLayout: Hashable, Sendable {
    /// A mounted hierarchy: where it is mounted and which cgroup path its mount root is.
    public struct Mount: Hashable, Sendable {
        public var mountPoint: String
        /// The cgroup path the mount point shows (`/` unless mounted from inside a namespace).
        public var root: String

        public init(mountPoint: String, root: String) {
            self.mountPoint = mountPoint
            self.root = root
        }

        /// The directory of a cgroup path of this hierarchy, or nil when the mount does not show it.
        public func directory(of cgroupPath: String) -> String? {
            guard root == "/" || cgroupPath == root || cgroupPath.hasPrefix(root + "/") else { return nil }
            let relative = root == "/" ? cgroupPath : String(cgroupPath.dropFirst(root.count))
            return relative == "/" || relative.isEmpty ? mountPoint : mountPoint + relative
        }
    }

    /// The cgroup v2 mount, if any.
    public var unified: Mount?
    /// The controllers the v2 root offers (`cgroup.controllers`).
    public var unifiedControllers: Set<String>
    /// cgroup v1 mounts by controller (`memory`, `cpu`, `cpuacct`, …).
    public var v1: [String: Mount]

    public init(unified: Mount?, unifiedControllers: Set<String>, v1: [String: Mount]) {
        self.unified = unified
        self.unifiedControllers = unifiedControllers
        self.v1 = v1
    }

    /// The cgroup version tasks get limits through, or nil when neither offers cpu and memory.
    public var version: CgroupVersion? {
        if unified != nil && unifiedControllers.isSuperset(of: ["cpu", "memory"]) { return .v2 }
        if v1["memory"] != nil && v1["cpu"] != nil && v1["cpuacct"] != nil { return .v1 }
        return nil
    }

    /// Reads the layout of the running host.
    public static func detect() -> CgroupLayout {
        let mountInfo = FileIO.readText("/proc/self/mountinfo") ?? ""
        var layout = parse(mountInfo: mountInfo)
        if let unified = layout.unified {
            let controllers = FileIO.readText(unified.mountPoint + "/cgroup.controllers") ?? ""
            layout.unifiedControllers = Set(controllers.split(whereSeparator: \.isWhitespace).map(String.init))
        }
        return layout
    }

    /// The layout described by a `/proc/<pid>/mountinfo` text (controllers of v2 not yet read).
    public static func parse(mountInfo: String) -> CgroupLayout {
        var unified: Mount?
        var v1: [String: Mount] = [:]
        for line in mountInfo.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let separator = fields.firstIndex(of: "-"), separator >= 5, separator + 3 <= fields.count else {
                continue
            }
            let root = unescape(fields[3])
            let mountPoint = unescape(fields[4])
            let fileSystem = fields[separator + 1]
            let superOptions = fields.count > separator + 3 ? fields[separator + 3] : ""
            switch fileSystem {
            case "cgroup2":
                // The first one wins; later ones are bind mounts of it.
                if unified == nil { unified = Mount(mountPoint: mountPoint, root: root) }
            case "cgroup":
                for option in superOptions.split(separator: ",") {
                    let name = String(option)
                    guard ["memory", "cpu", "cpuacct", "pids", "cpuset", "blkio", "devices", "freezer"].contains(name)
                    else { continue }
                    if v1[name] == nil { v1[name] = Mount(mountPoint: mountPoint, root: root) }
                }
            default:
                continue
            }
        }
        return CgroupLayout(unified: unified, unifiedControllers: [], v1: v1)
    }

    /// mountinfo escapes space, tab, newline and backslash as octal (`\040`).
    private static func unescape(_ field: Substring) -> String {
        guard field.contains("\\") else { return String(field) }
        var bytes: [UInt8] = []
        let source = Array(field.utf8)
        var index = 0
        while index < source.count {
            if source[index] == UInt8(ascii: "\\"), index + 3 < source.count,
                let value = UInt8(String(decoding: source[(index + 1)...(index + 3)], as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(source[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The cgroup paths of a process by hierarchy, from `/proc/<pid>/cgroup`:
    /// `""` for the v2 hierarchy, controller names for v1.
    public static func parse(procCgroup text: String) -> [String: String] {
        var paths: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let path = String(parts[2])
            if parts[1].isEmpty {
                paths[""] = path
            } else {
                for controller in parts[1].split(separator: ",") { paths[String(controller)] = path }
            }
        }
        return paths
    }

    /// The cgroup a process is in, as a ``TaskCgroup`` of this layout's version; nil when the
    /// process is gone or its cgroup is not visible here.
    public func cgroup(ofProcess pid: Int32) -> TaskCgroup? {
        guard let text = FileIO.readText("/proc/\(pid)/cgroup") else { return nil }
        let paths = Self.parse(procCgroup: text)
        switch version {
        case .v2:
            guard let unified, let path = paths[""], let directory = unified.directory(of: path) else { return nil }
            return TaskCgroup(version: .v2, directories: [directory])
        case .v1:
            var directories: [String] = []
            for controller in ["memory", "cpu", "cpuacct"] {
                guard let mount = v1[controller], let path = paths[controller],
                    let directory = mount.directory(of: path)
                else { return nil }
                directories.append(directory)
            }
            return TaskCgroup(version: .v1, directories: directories)
        case nil:
            return nil
        }
    }
}

/// A cgroup hierarchy version.
public enum CgroupVersion: String, Hashable, Sendable, Codable, CustomStringConvertible {
    case v1
    case v2

    public var description: String { "cgroup \(rawValue)" }
}
