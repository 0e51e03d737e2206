/// Where a job is in its life, derived from its instances.
public enum JobStatus: String, Hashable, Codable, CaseIterable, Sendable {
    /// Has instances that are running, waiting, or waiting to restart; or is a service scaled to 0.
    case active
    /// A kill was requested; some instances have not finished yet.
    case killing
    /// Every instance finished for good and every one succeeded.
    case succeeded
    /// Every instance finished for good and at least one did not succeed.
    case failed
    /// A kill was requested and every instance has finished.
    case killed

    /// Whether the job has ended; an ended job changes no more.
    public var isFinished: Bool { self == .succeeded || self == .failed || self == .killed }

    /// The status of a job from counts of its instances.
    ///
    /// Instances removed by a scale-down are not counted. Rules, in order:
    /// 1. kill requested: `killing` while any instance is live, then `killed`;
    /// 2. any instance live (not finished for good, including waiting to restart): `active`;
    /// 3. no instances at all (a service scaled to 0): `active`;
    /// 4. all finished for good: `succeeded` if all succeeded, else `failed`.
    ///
    /// A batch job so ends when its last instance finishes for good; a service ends only if all
    /// its instances end for good (no restart on success, or retries used up), or when killed.
    public static func derive(killRequested: Bool, instances: InstanceTally) -> JobStatus {
        if killRequested { return instances.live > 0 ? .killing : .killed }
        if instances.live > 0 { return .active }
        if instances.finished == 0 { return .active }
        return instances.succeeded == instances.finished ? .succeeded : .failed
    }
}

/// How many of a job's instances are live and how its finished ones ended.
public struct InstanceTally: Hashable, Sendable {
    /// Instances not finished for good.
    public var live: Int
    /// Instances finished for good that succeeded.
    public var succeeded: Int
    /// Instances finished for good, whatever the reason.
    public var finished: Int

    public init(live: Int, succeeded: Int, finished: Int) {
        self.live = live
        self.succeeded = succeeded
        self.finished = finished
    }
}
