/// What a team asks Titan to run: the body of `POST /jobs`, after validation.
///
/// Build one from JSON with ``JobSpec/parse(_:)`` (or `JSONDecoder`, which runs the same
/// validation), or in code with the memberwise initialiser and then ``problems()``.
/// `Docs/job-spec.md` lists every field with its type, default, limits and errors.
public struct JobSpec: Hashable, Sendable {
    /// The job's name: 1–63 of `a-z`, `0-9`, `-`, starting with a letter or digit. Required.
    public var name: String
    /// The application the job belongs to; same rules as `name`. Defaults to `name`.
    public var applicationName: String
    /// The application's version, free-form (`1.06`); up to 128 of `A-Z a-z 0-9 . _ + -`. Default empty.
    public var version: String
    /// How many instances run in which cell, in the order given. Never empty.
    public var location: [CellInstances]
    /// CPU cores per task (fractions allowed): more than 0, at most 1024. Default 1.
    public var cpus: Double
    /// Memory per task in MB: 1 to 16,777,216 (16 TB). Default 512.
    public var memoryMB: Int
    /// Disk per task in GB: 0 to 65,536. Default 10.
    public var diskGB: Int
    /// How many host ports each task gets: 0 to 64. Default 0.
    public var ports: Int
    /// Network bandwidth per task in Mbps: 1 to 400,000, or none to ask for none. Default none.
    public var networkMbps: Int?
    /// Restart a task that failed (non-zero exit, OOM). Default true.
    public var restartOnFailure: Bool
    /// How many failure restarts an instance may have: 0 to 1000. Default 10.
    public var numRetries: Int
    /// Restart a service task that exited successfully. Default true for services, false for
    /// batch jobs (where true is refused).
    public var restartOnSuccess: Bool
    /// What runs: a Docker image or a command.
    public var workload: Workload
    /// Environment variables for every task. Default none.
    public var environment: [String: String]
    /// Service (runs until killed) or batch (finishes when its tasks do). Default service.
    public var kind: JobKind
    /// Scheduling tier: critical (0) before flex (1). Default flex.
    public var tier: JobTier
    /// The capacity group whose share the job uses; same rules as `name`. Default `default`.
    public var capacityGroup: String
    /// Constraints every placement must satisfy. Default none.
    public var hardConstraints: [JobConstraint]
    /// Constraints that steer placement among allowed hosts. Default none.
    public var softConstraints: [JobConstraint]
    /// How long a simulated task runs, in seconds (more than 0, at most one year). Default none:
    /// the task runs until it exits by itself.
    public var durationSeconds: Double?

    public init(
        name: String,
        applicationName: String? = nil,
        version: String = "",
        location: [CellInstances] = [CellInstances(cell: .defaultCell, instances: 1)],
        cpus: Double = JobSpec.Defaults.cpus,
        memoryMB: Int = JobSpec.Defaults.memoryMB,
        diskGB: Int = JobSpec.Defaults.diskGB,
        ports: Int = 0,
        networkMbps: Int? = nil,
        restartOnFailure: Bool = true,
        numRetries: Int = JobSpec.Defaults.numRetries,
        restartOnSuccess: Bool? = nil,
        workload: Workload,
        environment: [String: String] = [:],
        kind: JobKind = .service,
        tier: JobTier = .flex,
        capacityGroup: String = JobSpec.Defaults.capacityGroup,
        hardConstraints: [JobConstraint] = [],
        softConstraints: [JobConstraint] = [],
        durationSeconds: Double? = nil
    ) {
        self.name = name
        self.applicationName = applicationName ?? name
        self.version = version
        self.location = location
        self.cpus = cpus
        self.memoryMB = memoryMB
        self.diskGB = diskGB
        self.ports = ports
        self.networkMbps = networkMbps
        self.restartOnFailure = restartOnFailure
        self.numRetries = numRetries
        self.restartOnSuccess = restartOnSuccess ?? (kind == .service)
        self.workload = workload
        self.environment = environment
        self.kind = kind
        self.tier = tier
        self.capacityGroup = capacityGroup
        self.hardConstraints = hardConstraints
        self.softConstraints = softConstraints
        self.durationSeconds = durationSeconds
    }

    /// The total number of instances over all cells.
    public var instances: Int { location.reduce(0) { $0 + $1.instances } }

    /// How long a simulated task runs, if the spec says.
    public var simulatedDuration: Duration? {
        durationSeconds.map { .milliseconds(Int64(($0 * 1000).rounded())) }
    }

    /// The defaults of fields a spec may leave out.
    public enum Defaults {
        public static let cpus: Double = 1
        public static let memoryMB = 512
        public static let diskGB = 10
        public static let numRetries = 10
        public static let capacityGroup = "default"
    }
}

/// What a task runs.
public enum Workload: Hashable, Sendable {
    /// A Docker image reference, such as `nginx:1.27` or `registry.example/team/app@sha256:…`.
    case image(String)
    /// A program and its arguments (argv), run without a shell: `["/bin/sh", "-c", "echo hi"]`
    /// for a shell line.
    case command([String])
}

/// Whether a job runs until killed or until its tasks finish.
public enum JobKind: String, Hashable, Codable, CaseIterable, Sendable {
    /// Long-running: instances are kept running (restart policy permitting) until the job is killed.
    case service
    /// Run to completion: the job finishes when every instance has finished for good.
    case batch
}

/// The scheduling tier: critical jobs are placed before flex ones.
public enum JobTier: String, Hashable, Codable, CaseIterable, Sendable {
    case critical
    case flex

    /// The tier number FenzoCore's queue uses: 0 for critical, 1 for flex.
    public var number: Int {
        switch self {
        case .critical: 0
        case .flex: 1
        }
    }
}

/// How many instances of a job run in one cell.
public struct CellInstances: Hashable, Codable, Sendable {
    public var cell: CellName
    public var instances: Int

    public init(cell: CellName, instances: Int) {
        self.cell = cell
        self.instances = instances
    }
}

/// A placement rule as a job spec writes it. FenzoCore's `PlacementConstraint` has a case
/// for each; services translate.
public enum JobConstraint: Hashable, Sendable {
    /// `{"type":"uniqueHostAttr","attribute":"zone"}`: no two of the job's tasks on hosts
    /// sharing a value of the attribute.
    case uniqueHostAttribute(attribute: String)
    /// `{"type":"balancedHostAttr","attribute":"zone","expectedValues":3}`: spread the job's
    /// tasks evenly over the attribute's values (`expectedValues` optional).
    case balancedHostAttribute(attribute: String, expectedValues: Int?)
    /// `{"type":"hostAttrValue","attribute":"instanceType","values":["m5"]}`: the host's
    /// attribute is one of the values.
    case hostAttributeValue(attribute: String, values: [String])
    /// `{"type":"exclusiveHost"}`: the task is alone on its host.
    case exclusiveHost
    /// `{"type":"hostname","values":["h1"]}`: the host is one of these.
    case hostname(values: [String])

    /// The `type` string of the JSON form.
    public var typeName: String {
        switch self {
        case .uniqueHostAttribute: "uniqueHostAttr"
        case .balancedHostAttribute: "balancedHostAttr"
        case .hostAttributeValue: "hostAttrValue"
        case .exclusiveHost: "exclusiveHost"
        case .hostname: "hostname"
        }
    }

    /// Every `type` string a constraint may have.
    public static let typeNames = ["uniqueHostAttr", "balancedHostAttr", "hostAttrValue", "exclusiveHost", "hostname"]
}
