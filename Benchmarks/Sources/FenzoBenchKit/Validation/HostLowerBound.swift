/// Lower bounds on how many hosts a demand needs: no packing can use fewer.
///
/// `perResource` is the bound `validate.py` computes at every instant: for each resource,
/// the fewest of the largest hosts whose capacity adds up to the demand, and the maximum
/// over resources. `fractional` is the linear-programming bound it uses for one batch on a
/// mixed fleet: the fewest hosts, taken fractionally but whole in every resource at once,
/// that cover the demand in all resources together. It is solved exactly here by a small
/// bounded-variable simplex over host types (hosts with the same capacities).
public struct HostLowerBound: Sendable {
    static let epsilon = 1e-6

    private let hostCount: Int
    /// Per resource, the running sum of host capacities, largest first, from 0.
    private let prefixCapacity: [[Double]]
    private let hosts: [WorkloadHost]

    public init(hosts: [WorkloadHost]) {
        self.hosts = hosts
        hostCount = hosts.count
        prefixCapacity = WorkloadResource.allCases.map { resource in
            var sums = [0.0]
            sums.reserveCapacity(hosts.count + 1)
            var total = 0.0
            for capacity in hosts.map({ $0.amount(resource) }).sorted(by: >) {
                total += capacity
                sums.append(total)
            }
            return sums
        }
    }

    /// The per-resource bound for a demand given in the order of `WorkloadResource.allCases`.
    public func perResource(_ demand: [Double]) -> Int {
        var best = 0
        for (resource, need) in demand.enumerated() where need > Self.epsilon {
            let sums = prefixCapacity[resource]
            let target = need - Self.epsilon
            guard let last = sums.last, last >= target else {
                best = max(best, hostCount + 1)
                continue
            }
            // The smallest k with sums[k] >= target.
            var low = 0
            var high = sums.count - 1
            while low < high {
                let mid = (low + high) / 2
                if sums[mid] >= target { high = mid } else { low = mid + 1 }
            }
            best = max(best, low)
        }
        return best
    }

    /// The linear-programming bound, rounded up, or nil when there is no demand, no host,
    /// or the fleet cannot cover the demand even whole.
    public func fractional(_ demand: [Double]) -> Int? {
        fractionalValue(demand).map { Int(($0 - Self.epsilon).rounded(.up)) }
    }

    /// The linear-programming optimum itself (a fractional number of hosts).
    public func fractionalValue(_ demand: [Double]) -> Double? {
        let rows = demand.indices.filter { demand[$0] > Self.epsilon }
        guard !rows.isEmpty, !hosts.isEmpty else { return nil }
        let resources = WorkloadResource.allCases
        var countOfType: [[Double]: Int] = [:]
        var types: [[Double]] = []
        for host in hosts {
            let capacity = rows.map { host.amount(resources[$0]) }
            if let count = countOfType[capacity] {
                countOfType[capacity] = count + 1
            } else {
                countOfType[capacity] = 1
                types.append(capacity)
            }
        }
        // Scale each row so its largest coefficient is 1, for numerical steadiness.
        var matrix: [[Double]] = []
        var bounds: [Double] = []
        for (row, resource) in rows.enumerated() {
            let scale = types.map { $0[row] }.max() ?? 0
            guard scale > 0 else { return nil }
            matrix.append(types.map { $0[row] / scale })
            bounds.append(demand[resource] / scale)
        }
        var simplex = BoundedSimplex(
            coverage: matrix,
            demand: bounds,
            upper: types.map { Double(countOfType[$0] ?? 0) }
        )
        return simplex.minimizeHosts()
    }
}

/// Minimises Σx subject to A·x ≥ b, 0 ≤ x ≤ u, with A and b non-negative: the primal
/// simplex with bounded variables, two phases, and Bland's rule against cycling.
struct BoundedSimplex {
    private let rowCount: Int
    private let typeCount: Int
    private var tableau: [[Double]]
    private var upper: [Double]
    private var basis: [Int]
    private var isBasic: [Bool]
    private var atUpper: [Bool]
    private var values: [Double]
    private static let tolerance = 1e-9

    /// Columns: the host types, then one surplus per row, then one artificial per row.
    init(coverage: [[Double]], demand: [Double], upper typeUpper: [Double]) {
        let rows = coverage.count
        let types = typeUpper.count
        rowCount = rows
        typeCount = types
        let columns = types + 2 * rows
        tableau = coverage.enumerated().map { row, coefficients in
            var line = coefficients
            line += (0..<rows).map { $0 == row ? -1.0 : 0 }
            line += (0..<rows).map { $0 == row ? 1.0 : 0 }
            return line
        }
        upper = typeUpper + Array(repeating: Double.infinity, count: 2 * rows)
        basis = (0..<rows).map { types + rows + $0 }
        isBasic = Array(repeating: false, count: columns)
        for column in basis { isBasic[column] = true }
        atUpper = Array(repeating: false, count: columns)
        values = demand
    }

    /// The least number of (fractional) hosts, or nil if no mix of the hosts covers the demand.
    mutating func minimizeHosts() -> Double? {
        let columns = typeCount + 2 * rowCount
        let artificial = typeCount + rowCount
        let phaseOne = (0..<columns).map { $0 >= artificial ? 1.0 : 0 }
        guard run(cost: phaseOne, allowed: columns) else { return nil }
        if objective(phaseOne) > 1e-7 { return nil }
        // Artificials may no longer grow; those still basic sit at 0 and leave when hit.
        for column in artificial..<columns { upper[column] = 0 }
        let phaseTwo = (0..<columns).map { $0 < typeCount ? 1.0 : 0 }
        guard run(cost: phaseTwo, allowed: artificial) else { return nil }
        return objective(phaseTwo)
    }

    private func value(of column: Int) -> Double {
        if isBasic[column], let row = basis.firstIndex(of: column) { return values[row] }
        return atUpper[column] ? upper[column] : 0
    }

    private func objective(_ cost: [Double]) -> Double {
        cost.indices.reduce(0.0) { $0 + (cost[$1] == 0 ? 0 : cost[$1] * value(of: $1)) }
    }

    /// Runs the simplex for `cost`, letting only columns below `allowed` enter. False if
    /// unbounded or out of iterations (neither happens for covering problems).
    private mutating func run(cost: [Double], allowed: Int) -> Bool {
        let tolerance = Self.tolerance
        for _ in 0..<100_000 {
            var entering = -1
            var direction = 0.0
            for column in 0..<allowed where !isBasic[column] {
                var reduced = cost[column]
                for row in 0..<rowCount { reduced -= cost[basis[row]] * tableau[row][column] }
                if !atUpper[column], reduced < -tolerance, upper[column] > tolerance {
                    entering = column
                    direction = 1
                    break
                }
                if atUpper[column], reduced > tolerance {
                    entering = column
                    direction = -1
                    break
                }
            }
            if entering < 0 { return true }
            // Ratio test: how far the entering column may move before a variable hits a bound.
            var step = upper[entering]
            var leaving = -1
            var leavingToUpper = false
            for row in 0..<rowCount {
                let rate = tableau[row][entering] * direction
                let limit: Double
                let toUpper: Bool
                if rate > tolerance {
                    limit = max(0, values[row]) / rate
                    toUpper = false
                } else if rate < -tolerance, upper[basis[row]].isFinite {
                    limit = max(0, upper[basis[row]] - values[row]) / -rate
                    toUpper = true
                } else {
                    continue
                }
                if limit < step - tolerance
                    || (limit <= step + tolerance && leaving >= 0 && basis[row] < basis[leaving])
                {
                    step = limit
                    leaving = row
                    leavingToUpper = toUpper
                }
            }
            guard step.isFinite else { return false }
            for row in 0..<rowCount { values[row] -= step * direction * tableau[row][entering] }
            if leaving < 0 {
                atUpper[entering].toggle()
                continue
            }
            let enteringValue = (atUpper[entering] ? upper[entering] : 0) + direction * step
            let left = basis[leaving]
            isBasic[left] = false
            atUpper[left] = leavingToUpper
            pivot(row: leaving, column: entering)
            basis[leaving] = entering
            isBasic[entering] = true
            atUpper[entering] = false
            values[leaving] = enteringValue
        }
        return false
    }

    private mutating func pivot(row pivotRow: Int, column: Int) {
        let pivot = tableau[pivotRow][column]
        for index in tableau[pivotRow].indices { tableau[pivotRow][index] /= pivot }
        for row in 0..<rowCount where row != pivotRow {
            let factor = tableau[row][column]
            if factor == 0 { continue }
            for index in tableau[row].indices { tableau[row][index] -= factor * tableau[pivotRow][index] }
        }
    }
}
