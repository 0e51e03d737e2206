import Testing

@testable import FenzoCore

@Suite("Port ranges")
struct PortRangesTests {
    @Test("a task wanting 6 ports from ranges 1-4 and 5-10 gets six from both")
    func takesAcrossRanges() {
        var ports = PortRanges([1...4, 5...10])
        #expect(ports.ranges == [1...10])
        var split = PortRanges([1...4, 6...10])
        #expect(split.take(6) == [1, 2, 3, 4, 6, 7])
        #expect(split.ranges == [8...10])
        #expect(ports.take(6) == [1, 2, 3, 4, 5, 6])
        #expect(ports.count == 4)
    }

    @Test("taking more ports than the set holds takes none")
    func takingTooManyLeavesSetUnchanged() {
        var ports = PortRanges([1...3])
        #expect(ports.take(4) == nil)
        #expect(ports.count == 3)
    }

    @Test("removing a port splits its range and inserting it back merges")
    func removeAndInsert() {
        var ports = PortRanges([10...20])
        ports.remove(15)
        #expect(ports.ranges == [10...14, 16...20])
        #expect(!ports.contains(15))
        ports.insert(15...15)
        #expect(ports.ranges == [10...20])
        #expect(ports.count == 11)
    }
}
