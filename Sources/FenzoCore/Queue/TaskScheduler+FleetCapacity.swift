extension TaskScheduler {
    /// What every known host has in all, free plus used: the whole a tier's shares are
    /// measured against when it has no capacity of its own.
    public var fleetCapacity: Resources {
        var total = Resources.zero
        for host in hosts { total += host.total }
        return total
    }
}
