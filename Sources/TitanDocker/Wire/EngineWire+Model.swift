import Foundation

// Translations between the engine's JSON and our model types.

extension WireCreateContainer {
    init(_ spec: ContainerSpec) {
        let exposed = spec.portBindings.map(\.engineKey)
        self.init(
            Image: spec.image.rawValue,
            Cmd: spec.command,
            Entrypoint: spec.entrypoint,
            Env: spec.environment.isEmpty
                ? nil : spec.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" },
            Labels: spec.labels.isEmpty ? nil : spec.labels,
            WorkingDir: spec.workingDirectory,
            User: spec.user,
            ExposedPorts: exposed.isEmpty ? nil : Dictionary(exposed.map { ($0, WireEmpty()) }) { first, _ in first },
            HostConfig: WireHostConfig(spec)
        )
    }
}

extension WireHostConfig {
    init(_ spec: ContainerSpec) {
        var quota: Int64?
        var period: Int64?
        if case .quota(let cpuQuota, let cpuPeriod) = spec.limits.cpu {
            quota = cpuQuota.wholeMicroseconds
            period = cpuPeriod.wholeMicroseconds
        }
        var bindings: [String: [WirePortBinding]] = [:]
        for binding in spec.portBindings {
            bindings[binding.engineKey, default: []].append(
                WirePortBinding(HostIp: binding.hostIP, HostPort: binding.hostPort.map(String.init) ?? "")
            )
        }
        self.init(
            NanoCpus: spec.limits.cpu?.nanoCPUs,
            CpuQuota: quota,
            CpuPeriod: period,
            CpuShares: spec.limits.cpuShares,
            Memory: spec.limits.memoryBytes,
            NetworkMode: spec.networkMode?.rawValue,
            Mounts: spec.mounts.isEmpty
                ? nil
                : spec.mounts.map {
                    WireMount(
                        Type: $0.kind.rawValue,
                        Source: $0.kind == .tmpfs ? nil : $0.source,
                        Target: $0.target,
                        ReadOnly: $0.readOnly
                    )
                },
            PortBindings: bindings.isEmpty ? nil : bindings,
            Init: spec.runsInit ? true : nil,
            LogConfig: spec.logDriver.map {
                WireLogConfig(Type: $0.name, Config: $0.options.isEmpty ? nil : $0.options)
            }
        )
    }

    /// The limits as the engine holds them: zero means "not set".
    var limits: ResourceLimits {
        var cpu: CPULimit?
        if let nano = NanoCpus, nano > 0 {
            cpu = .cores(Double(nano) / 1_000_000_000)
        } else if let quota = CpuQuota, quota > 0 {
            cpu = .quota(
                .microseconds(quota),
                period: .microseconds(CpuPeriod.flatMap { $0 > 0 ? $0 : nil } ?? 100_000)
            )
        }
        return ResourceLimits(
            cpu: cpu,
            cpuShares: CpuShares.flatMap { $0 > 0 ? $0 : nil },
            memoryBytes: Memory.flatMap { $0 > 0 ? $0 : nil }
        )
    }

    var mounts: [Mount] {
        (Mounts ?? []).compactMap { wire in
            guard let kind = Mount.Kind(rawValue: wire.Type) else { return nil }
            return Mount(kind: kind, source: wire.Source ?? "", target: wire.Target, readOnly: wire.ReadOnly ?? false)
        }
    }

    var portBindings: [PortBinding] {
        (PortBindings ?? [:]).sorted { $0.key < $1.key }.flatMap { key, bindings -> [PortBinding] in
            let parts = key.split(separator: "/")
            guard let port = parts.first.flatMap({ Int($0) }) else { return [] }
            let transport = parts.count > 1 ? PortBinding.TransportProtocol(rawValue: String(parts[1])) ?? .tcp : .tcp
            return bindings.map {
                PortBinding(
                    containerPort: port,
                    transport: transport,
                    hostIP: $0.HostIp ?? "",
                    hostPort: $0.HostPort.flatMap { Int($0) }
                )
            }
        }
    }
}

extension PortBinding {
    /// The engine's name for the container port, `8080/tcp`.
    var engineKey: String { "\(containerPort)/\(transport.rawValue)" }
}

extension Duration {
    var wholeMicroseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}

/// `KEY=VALUE` lines as a dictionary (a line without `=` is a key with an empty value).
func environmentDictionary(_ lines: [String]?) -> [String: String] {
    var environment: [String: String] = [:]
    for line in lines ?? [] {
        if let equals = line.firstIndex(of: "=") {
            environment[String(line[..<equals])] = String(line[line.index(after: equals)...])
        } else {
            environment[line] = ""
        }
    }
    return environment
}

extension ContainerDetails {
    init(_ wire: WireContainerInspect) {
        self.init(
            id: ContainerID(wire.Id),
            name: wire.Name.hasPrefix("/") ? String(wire.Name.dropFirst()) : wire.Name,
            image: ImageReference(wire.Config.Image ?? wire.Image),
            imageID: ImageID(wire.Image),
            command: wire.Config.Cmd ?? [],
            environment: environmentDictionary(wire.Config.Env),
            labels: wire.Config.Labels ?? [:],
            workingDirectory: wire.Config.WorkingDir ?? "",
            createdAt: wire.Created.flatMap(EngineTimestamp.parse),
            state: ContainerState(
                status: ContainerStatus(rawValue: wire.State.Status),
                isRunning: wire.State.Running,
                exitCode: wire.State.ExitCode,
                wasOOMKilled: wire.State.OOMKilled,
                pid: wire.State.Pid,
                error: wire.State.Error.flatMap { $0.isEmpty ? nil : $0 },
                startedAt: wire.State.StartedAt.flatMap(EngineTimestamp.parse),
                finishedAt: wire.State.FinishedAt.flatMap(EngineTimestamp.parse)
            ),
            limits: wire.HostConfig.limits,
            networkMode: wire.HostConfig.NetworkMode.map(NetworkMode.init(rawValue:)),
            mounts: wire.HostConfig.mounts,
            portBindings: wire.HostConfig.portBindings,
            runsInit: wire.HostConfig.Init ?? false,
            logDriver: wire.HostConfig.LogConfig.map { ContainerLogDriver(name: $0.Type, options: $0.Config ?? [:]) }
        )
    }
}

extension ContainerSummary {
    init(_ wire: WireContainerSummary) {
        self.init(
            id: ContainerID(wire.Id),
            names: (wire.Names ?? []).map { $0.hasPrefix("/") ? String($0.dropFirst()) : $0 },
            image: ImageReference(wire.Image),
            labels: wire.Labels ?? [:],
            status: ContainerStatus(rawValue: wire.State),
            statusText: wire.Status,
            createdAt: Date(timeIntervalSince1970: Double(wire.Created))
        )
    }
}

extension ContainerStats {
    init(_ wire: WireStats) {
        func sample(_ stats: WireStats.CPUStats?) -> CPUSample? {
            guard let stats, let total = stats.cpu_usage?.total_usage else { return nil }
            return CPUSample(
                containerNanoseconds: total,
                systemNanoseconds: stats.system_cpu_usage,
                onlineCPUs: stats.online_cpus ?? 0
            )
        }
        let memory = wire.memory_stats
        let usage = memory?.usage ?? 0
        // cgroup v1 reports total_inactive_file, v2 inactive_file.
        let inactive = memory?.stats?["total_inactive_file"] ?? memory?.stats?["inactive_file"] ?? 0
        let previous = sample(wire.precpu_stats)
        self.init(
            readAt: wire.read.flatMap(EngineTimestamp.parse),
            cpu: sample(wire.cpu_stats) ?? CPUSample(containerNanoseconds: 0, systemNanoseconds: nil, onlineCPUs: 0),
            previousCPU: previous?.systemNanoseconds == nil ? nil : previous,
            memoryUsageBytes: usage,
            memoryWorkingSetBytes: usage >= inactive ? usage - inactive : usage,
            memoryLimitBytes: memory?.limit ?? 0,
            processCount: wire.pids_stats?.current
        )
    }
}

extension DockerEvent {
    init(_ wire: WireEvent) {
        let time: Date
        if let nanoseconds = wire.timeNano {
            time = Date(timeIntervalSince1970: Double(nanoseconds) / 1_000_000_000)
        } else {
            time = Date(timeIntervalSince1970: Double(wire.time ?? 0))
        }
        self.init(
            kind: wire.Type ?? "",
            action: wire.Action ?? "",
            actorID: wire.Actor?.ID ?? "",
            attributes: wire.Actor?.Attributes ?? [:],
            time: time
        )
    }
}
