/// The four scalar resources every host has: cpus (fractional), memory, disk and network.
///
/// Used both for what a task asks and for what a host offers or has left.
public struct Resources: Hashable, Sendable, CustomStringConvertible {
    public var cpus: Double
    public var memoryMB: Double
    public var diskMB: Double
    public var networkMbps: Double

    public init(cpus: Double = 0, memoryMB: Double = 0, diskMB: Double = 0, networkMbps: Double = 0) {
        self.cpus = cpus
        self.memoryMB = memoryMB
        self.diskMB = diskMB
        self.networkMbps = networkMbps
    }

    public static let zero = Resources()

    /// The amount of one kind.
    public subscript(kind: ResourceKind) -> Double {
        get {
            switch kind {
            case .cpus: cpus
            case .memoryMB: memoryMB
            case .diskMB: diskMB
            case .networkMbps: networkMbps
            }
        }
        set {
            switch kind {
            case .cpus: cpus = newValue
            case .memoryMB: memoryMB = newValue
            case .diskMB: diskMB = newValue
            case .networkMbps: networkMbps = newValue
            }
        }
    }

    public static func + (lhs: Resources, rhs: Resources) -> Resources {
        Resources(
            cpus: lhs.cpus + rhs.cpus,
            memoryMB: lhs.memoryMB + rhs.memoryMB,
            diskMB: lhs.diskMB + rhs.diskMB,
            networkMbps: lhs.networkMbps + rhs.networkMbps
        )
    }

    public static func - (lhs: Resources, rhs: Resources) -> Resources {
        Resources(
            cpus: lhs.cpus - rhs.cpus,
            memoryMB: lhs.memoryMB - rhs.memoryMB,
            diskMB: lhs.diskMB - rhs.diskMB,
            networkMbps: lhs.networkMbps - rhs.networkMbps
        )
    }

    public static func += (lhs: inout Resources, rhs: Resources) { lhs = lhs + rhs }
    public static func -= (lhs: inout Resources, rhs: Resources) { lhs = lhs - rhs }

    /// Whether every amount is at least the one asked, allowing for rounding error.
    public func covers(_ demand: Resources) -> Bool {
        cpus + Resources.tolerance >= demand.cpus
            && memoryMB + Resources.tolerance >= demand.memoryMB
            && diskMB + Resources.tolerance >= demand.diskMB
            && networkMbps + Resources.tolerance >= demand.networkMbps
    }

    /// The problems that make these amounts unusable (negative, NaN or infinite), one per kind.
    public func problems() -> [String] {
        ResourceKind.allCases.compactMap { kind in
            let value = self[kind]
            if value.isNaN { return "\(kind) is not a number" }
            if value.isInfinite { return "\(kind) is infinite" }
            if value < 0 { return "\(kind) is negative (\(value))" }
            return nil
        }
    }

    /// How far below an amount a sum of fractions may drift and still count as equal.
    static let tolerance = 1e-9

    public var description: String {
        "cpus \(cpus.compactText), memory \(memoryMB.compactText) MB, disk \(diskMB.compactText) MB, "
            + "network \(networkMbps.compactText) Mbps"
    }
}

/// One of the four resources every host has.
public enum ResourceKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case cpus
    case memoryMB
    case diskMB
    case networkMbps

    public var description: String { rawValue }

    /// The unit an amount of this kind is written in, for messages.
    public var unit: String {
        switch self {
        case .cpus: "cpus"
        case .memoryMB: "MB"
        case .diskMB: "MB"
        case .networkMbps: "Mbps"
        }
    }

    /// The word a person reads in a message.
    public var displayName: String {
        switch self {
        case .cpus: "cpus"
        case .memoryMB: "memory"
        case .diskMB: "disk"
        case .networkMbps: "network"
        }
    }
}

extension Double {
    /// A number without a trailing `.0` when whole, for messages.
    var compactText: String {
        if self == rounded(), abs(self) < 1e15 { return String(Int64(self)) }
        return String((self * 1000).rounded() / 1000)
    }
}
