/// What the autoscaler needs from the scheduler beyond placing tasks: which tasks run
/// where, keeping hosts picked for removal free of new tasks, and forgetting hosts that
/// have left the fleet.
extension TaskScheduler {
    /// The tasks recorded as running on a host, in the order they arrived; empty if the
    /// host is not known. Scale-down hints use it to know what must move off a host.
    public func runningTasks(on name: HostName) -> [RunningTask] {
        guard let slot = slotOfHost[name] else { return [] }
        return hosts[slot].tasks.compactMap { runningTask($0) }
    }

    /// Forgets a host that has left the fleet (terminated, or lost), so it no longer
    /// appears in `hostViews` or counts towards its group's size.
    ///
    /// The tasks recorded on it are removed and returned, so the caller can report them
    /// lost and queue them again; its leases are released and returned too. A host of
    /// the same name that offers a lease later is a new host.
    /// - Parameter name: the host to forget.
    /// - Returns: the tasks that were recorded on it and the leases it held.
    @discardableResult
    public mutating func removeHost(_ name: HostName) throws(SchedulingError) -> RemovedHost {
        guard let slot = slotOfHost[name] else { throw .unknownHost(name) }
        var tasks: [RunningTask] = []
        for id in hosts[slot].tasks {
            if let task = try? removeRunningTask(id) { tasks.append(task) }
        }
        let leases = releaseLeases(of: slot)
        hosts[slot].disabledUntil = nil
        disabledSlots.remove(slot)
        setAttributes([:], slot: slot)
        slotOfHost[name] = nil
        reindex(slot)
        return RemovedHost(name: name, tasks: tasks, leases: leases)
    }

    /// Keeps new tasks off hosts picked for removal while their tasks finish: they are
    /// disabled until `until` (or until enabled), and running tasks stay where they are.
    /// - Parameters:
    ///   - names: the hosts to drain; unknown names are skipped and returned.
    ///   - until: when they may take tasks again if they are still in the fleet then.
    /// - Returns: the names that are not known to the scheduler.
    @discardableResult
    public mutating func drainHosts(_ names: [HostName], until: Instant) -> [HostName] {
        var unknown: [HostName] = []
        for name in names {
            do throws(SchedulingError) {
                try disableHost(name, until: until)
            } catch {
                unknown.append(name)
            }
        }
        return unknown
    }
}

/// A host the scheduler forgot, with what it held.
public struct RemovedHost: Sendable {
    public var name: HostName
    /// The tasks recorded on it, now removed: they ended with the host.
    public var tasks: [RunningTask]
    /// The leases it held, now released.
    public var leases: [Lease]
}
