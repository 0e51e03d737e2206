import TitanModel

/// The environment a run starts with: the job's variables, then Titan's own, which win on a
/// clash so a task can always rely on them.
public enum RunEnvironment {
    /// - Parameters:
    ///   - metadataURL: the run's own metadata address.
    ///   - logDirectory: where the task may write log files of its own (inside the container or
    ///     on the host).
    ///   - hostID: the agent's id (the host's name in Titan).
    public static func variables(
        key: RunKey,
        launch: LaunchSpec,
        metadataURL: String,
        logDirectory: String,
        hostID: HostID
    ) -> [String: String] {
        var environment = launch.environment
        environment["TITAN_TASK_ID"] = key.taskID.rawValue
        environment["TITAN_TASK_ATTEMPT"] = String(key.attempt)
        environment["TITAN_JOB_ID"] = launch.jobID.rawValue
        environment["TITAN_JOB_NAME"] = launch.jobName
        environment["TITAN_HOST"] = hostID.rawValue
        environment["TITAN_PORTS"] = launch.ports.map(String.init).joined(separator: ",")
        for (index, port) in launch.ports.enumerated() { environment["TITAN_PORT\(index)"] = String(port) }
        environment["TITAN_METADATA_URL"] = metadataURL
        environment["TITAN_LOG_DIR"] = logDirectory
        environment["TITAN_CPUS"] = String(launch.cpus)
        environment["TITAN_MEMORY_MB"] = String(launch.memoryMB)
        return environment
    }
}
