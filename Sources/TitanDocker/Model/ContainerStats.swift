import Foundation

/// One sample of a container's resource usage.
public struct ContainerStats: Hashable, Sendable, Codable {
    /// CPU time counters at one moment.
    public struct CPUSample: Hashable, Sendable, Codable {
        /// CPU time the container has used since it started, in nanoseconds.
        public var containerNanoseconds: UInt64
        /// CPU time the whole host has used, in nanoseconds (the denominator for a share).
        public var systemNanoseconds: UInt64?
        public var onlineCPUs: Int
    }

    public var readAt: Date?
    public var cpu: CPUSample
    /// The sample before this one, when the engine sent it (streams do; one-shot reads don't).
    public var previousCPU: CPUSample?
    /// Memory charged to the container, page cache included.
    public var memoryUsageBytes: UInt64
    /// Memory in use less the inactive page cache, what `docker stats` shows.
    public var memoryWorkingSetBytes: UInt64
    /// The memory limit in force (the host's memory when none was set).
    public var memoryLimitBytes: UInt64
    /// Processes and threads in the container.
    public var processCount: Int?

    /// Cores in use between the previous sample and this one (1.0 is one core busy), as
    /// `docker stats` computes it; nil without a previous sample.
    public var coresInUse: Double? {
        guard let previousCPU, let system = cpu.systemNanoseconds, let previousSystem = previousCPU.systemNanoseconds,
            system > previousSystem, cpu.containerNanoseconds >= previousCPU.containerNanoseconds
        else { return nil }
        let containerDelta = Double(cpu.containerNanoseconds - previousCPU.containerNanoseconds)
        let systemDelta = Double(system - previousSystem)
        return containerDelta / systemDelta * Double(max(1, cpu.onlineCPUs))
    }
}
