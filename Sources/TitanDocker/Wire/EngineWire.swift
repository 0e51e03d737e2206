// The engine's JSON, field for field (Engine API 1.41), kept apart from our model types so
// its naming and nulls stay here. Only the fields we read or send are declared.

struct WireEmpty: Codable, Hashable {}

struct WireErrorBody: Decodable {
    var message: String
}

struct WireCreateContainer: Encodable {
    var Image: String
    var Cmd: [String]?
    var Entrypoint: [String]?
    var Env: [String]?
    var Labels: [String: String]?
    var WorkingDir: String?
    var User: String?
    var ExposedPorts: [String: WireEmpty]?
    var HostConfig: WireHostConfig
}

struct WireHostConfig: Codable {
    var NanoCpus: Int64?
    var CpuQuota: Int64?
    var CpuPeriod: Int64?
    var CpuShares: Int?
    var Memory: Int64?
    var NetworkMode: String?
    var Mounts: [WireMount]?
    var PortBindings: [String: [WirePortBinding]]?
    var Init: Bool?
    var LogConfig: WireLogConfig?
}

struct WireLogConfig: Codable {
    var `Type`: String
    var Config: [String: String]?
}

struct WireMount: Codable {
    var `Type`: String
    var Source: String?
    var Target: String
    var ReadOnly: Bool?
}

struct WirePortBinding: Codable {
    var HostIp: String?
    var HostPort: String?
}

struct WireCreatedContainer: Decodable {
    var Id: String
    var Warnings: [String]?
}

struct WireContainerInspect: Decodable {
    struct State: Decodable {
        var Status: String
        var Running: Bool
        var OOMKilled: Bool
        var Pid: Int
        var ExitCode: Int
        var Error: String?
        var StartedAt: String?
        var FinishedAt: String?
    }

    struct Config: Decodable {
        var Image: String?
        var Cmd: [String]?
        var Env: [String]?
        var Labels: [String: String]?
        var WorkingDir: String?
    }

    var Id: String
    var Created: String?
    var Name: String
    var Image: String
    var State: State
    var Config: Config
    var HostConfig: WireHostConfig
}

struct WireContainerSummary: Decodable {
    var Id: String
    var Names: [String]?
    var Image: String
    var Labels: [String: String]?
    var State: String
    var Status: String
    var Created: Int64
}

struct WireWaitResult: Decodable {
    struct WaitError: Decodable {
        var Message: String?
    }

    var StatusCode: Int
    var Error: WaitError?
}

struct WireVersion: Decodable {
    var Version: String
    var ApiVersion: String
    var MinAPIVersion: String?
    var Os: String
    var Arch: String
    var KernelVersion: String?
}

struct WireImageSummary: Decodable {
    var Id: String
    var RepoTags: [String]?
    var Created: Int64
    var Size: Int64
}

struct WireImageInspect: Decodable {
    struct Config: Decodable {
        var Env: [String]?
        var Cmd: [String]?
        var WorkingDir: String?
    }

    var Id: String
    var RepoTags: [String]?
    var Created: String?
    var Size: Int64
    var Os: String?
    var Architecture: String?
    var Config: Config?
}

/// One line of an image import's progress stream.
struct WireProgress: Decodable {
    struct Detail: Decodable {
        var message: String?
    }

    var status: String?
    var error: String?
    var errorDetail: Detail?
}

struct WireStats: Decodable {
    struct CPUStats: Decodable {
        struct Usage: Decodable {
            var total_usage: UInt64?
        }

        var cpu_usage: Usage?
        var system_cpu_usage: UInt64?
        var online_cpus: Int?
    }

    struct MemoryStats: Decodable {
        var usage: UInt64?
        var limit: UInt64?
        var stats: [String: UInt64]?
    }

    struct PidsStats: Decodable {
        var current: Int?
    }

    var read: String?
    var cpu_stats: CPUStats?
    var precpu_stats: CPUStats?
    var memory_stats: MemoryStats?
    var pids_stats: PidsStats?
}

struct WireEvent: Decodable {
    struct Actor: Decodable {
        var ID: String?
        var Attributes: [String: String]?
    }

    var `Type`: String?
    var Action: String?
    var Actor: Actor?
    var time: Int64?
    var timeNano: Int64?
}
