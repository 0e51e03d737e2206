import Testing

@testable import TitanModel

@Suite("Location spread")
struct LocationSpreadTests {
    static let weights = LocationSpread(cells: [
        CellInstances(cell: "dc1", instances: 20), CellInstances(cell: "dc2", instances: 40),
        CellInstances(cell: "dc5", instances: 60),
    ])

    @Test("a new job's instances are numbered cell by cell in location order")
    func initialInstances() {
        let instances = Self.weights.initialInstances()
        #expect(instances.count == 120)
        #expect(instances.filter { $0.cell == "dc1" }.map(\.index) == Array(0..<20))
        #expect(instances.filter { $0.cell == "dc2" }.map(\.index) == Array(20..<60))
        #expect(instances.filter { $0.cell == "dc5" }.map(\.index) == Array(60..<120))
    }

    @Test(
        "targets are proportional shares by largest remainder, ties to the earlier cell",
        arguments: [
            (120, [20, 40, 60]), (6, [1, 2, 3]), (7, [1, 2, 4]), (1, [0, 0, 1]), (2, [0, 1, 1]), (0, [0, 0, 0]),
        ]
    )
    func targets(total: Int, expected: [Int]) {
        #expect(Self.weights.targets(total: total).map(\.instances) == expected)
    }

    @Test("with all weights zero, cells share equally")
    func zeroWeights() {
        let spread = LocationSpread(cells: [
            CellInstances(cell: "a", instances: 0), CellInstances(cell: "b", instances: 0),
        ])
        #expect(spread.targets(total: 3).map(\.instances) == [2, 1])
    }

    @Test("scaling up adds fresh indexes to the cells below target")
    func scaleUp() {
        let current = Self.weights.initialInstances()
        let plan = Self.weights.scale(current: current, nextIndex: 120, to: 126)
        #expect(plan.remove.isEmpty)
        #expect(
            plan.add == [
                InstancePlacement(index: 120, cell: "dc1"), InstancePlacement(index: 121, cell: "dc2"),
                InstancePlacement(index: 122, cell: "dc2"), InstancePlacement(index: 123, cell: "dc5"),
                InstancePlacement(index: 124, cell: "dc5"), InstancePlacement(index: 125, cell: "dc5"),
            ]
        )
    }

    @Test("scaling down removes the highest indexes of each cell above target")
    func scaleDown() {
        let current = Self.weights.initialInstances()
        let plan = Self.weights.scale(current: current, nextIndex: 120, to: 114)
        #expect(plan.add.isEmpty)
        #expect(plan.remove == [119, 118, 117, 59, 58, 19])
    }

    @Test("instances in cells the location does not name are removed first")
    func strayCell() {
        let spread = LocationSpread(cells: [CellInstances(cell: "a", instances: 1)])
        let current = [InstancePlacement(index: 0, cell: "a"), InstancePlacement(index: 1, cell: "gone")]
        let plan = spread.scale(current: current, nextIndex: 2, to: 2)
        #expect(plan.remove == [1])
        #expect(plan.add == [InstancePlacement(index: 2, cell: "a")])
    }
}
