/// A set of host ports, kept as sorted, non-overlapping, non-adjacent inclusive ranges.
///
/// A host offers ranges (for example 31000-31999); a task asks for a number of ports
/// and is given concrete port numbers taken from the lowest free ones.
public struct PortRanges: Hashable, Sendable, CustomStringConvertible {
    /// The ranges, sorted and merged.
    public private(set) var ranges: [ClosedRange<Int>]

    /// How many ports the set holds.
    public private(set) var count: Int

    public init() {
        ranges = []
        count = 0
    }

    /// The ports of `ranges`; overlapping or adjacent ranges merge.
    public init(_ ranges: [ClosedRange<Int>]) {
        self.init()
        for range in ranges { insert(range) }
    }

    public static let none = PortRanges()

    public var isEmpty: Bool { count == 0 }

    /// The problems that make these ranges unusable: ports outside 0...65535.
    public func problems() -> [String] {
        ranges.compactMap { range in
            range.lowerBound < 0 || range.upperBound > 65535
                ? "port range \(range.lowerBound)-\(range.upperBound) is outside 0-65535" : nil
        }
    }

    public func contains(_ port: Int) -> Bool {
        var low = 0
        var high = ranges.count - 1
        while low <= high {
            let mid = (low + high) / 2
            if ranges[mid].upperBound < port {
                low = mid + 1
            } else if ranges[mid].lowerBound > port {
                high = mid - 1
            } else {
                return true
            }
        }
        return false
    }

    /// Adds the ports of `range`.
    public mutating func insert(_ range: ClosedRange<Int>) {
        var merged = range
        var result: [ClosedRange<Int>] = []
        result.reserveCapacity(ranges.count + 1)
        var placed = false
        for existing in ranges {
            if existing.upperBound + 1 < merged.lowerBound {
                result.append(existing)
            } else if merged.upperBound + 1 < existing.lowerBound {
                if !placed {
                    result.append(merged)
                    placed = true
                }
                result.append(existing)
            } else {
                merged = min(existing.lowerBound, merged.lowerBound)...max(existing.upperBound, merged.upperBound)
            }
        }
        if !placed { result.append(merged) }
        ranges = result
        count = result.reduce(0) { $0 + $1.count }
    }

    /// Adds every port of `other`.
    public mutating func formUnion(_ other: PortRanges) {
        for range in other.ranges { insert(range) }
    }

    /// Removes one port; does nothing if it is not in the set.
    public mutating func remove(_ port: Int) {
        guard let index = ranges.firstIndex(where: { $0.contains(port) }) else { return }
        let range = ranges[index]
        var replacement: [ClosedRange<Int>] = []
        if range.lowerBound < port { replacement.append(range.lowerBound...(port - 1)) }
        if port < range.upperBound { replacement.append((port + 1)...range.upperBound) }
        ranges.replaceSubrange(index...index, with: replacement)
        count -= 1
    }

    /// Takes the `count` lowest ports out of the set and returns them, or nil (leaving the
    /// set unchanged) if it holds fewer.
    public mutating func take(_ wanted: Int) -> [Int]? {
        guard wanted > 0 else { return [] }
        guard wanted <= count else { return nil }
        var taken: [Int] = []
        taken.reserveCapacity(wanted)
        var remaining = wanted
        var firstKept = 0
        for (index, range) in ranges.enumerated() {
            if remaining == 0 { break }
            let use = min(remaining, range.count)
            taken.append(contentsOf: range.lowerBound..<(range.lowerBound + use))
            remaining -= use
            if use == range.count {
                firstKept = index + 1
            } else {
                ranges[index] = (range.lowerBound + use)...range.upperBound
                firstKept = index
            }
        }
        ranges.removeFirst(firstKept)
        count -= wanted
        return taken
    }

    public var description: String {
        ranges.isEmpty
            ? "none"
            : ranges.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
                .joined(separator: ",")
    }
}
