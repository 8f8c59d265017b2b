import Testing
@testable import HyadesLoader

/// The radix sort must give exactly the order of the comparison it replaced: token, then
/// clustering prefix, then input order (batch, offset).
@Suite struct RadixSortTests {
    static func reference(_ refs: [RowRef]) -> [RowRef] {
        refs.sorted { x, y in
            if x.token != y.token { return x.token < y.token }
            if x.clusteringPrefix != y.clusteringPrefix { return x.clusteringPrefix < y.clusteringPrefix }
            if x.batch != y.batch { return x.batch < y.batch }
            return x.offset < y.offset
        }
    }

    static func key(_ r: RowRef) -> [UInt64] { [UInt64(bitPattern: r.token), r.clusteringPrefix, UInt64(r.batch), UInt64(r.offset)] }

    @Test(arguments: [0, 1, 2, 100, 5000])
    func matchesTheComparisonSort(count: Int) {
        var g = SystemRandomNumberGenerator()
        // Few distinct tokens (long runs, like rows of one partition), extremes included,
        // and many distinct ones; refs in input order as the builder makes them.
        let tokens: [Int64] = [Int64.min, -1, 0, 1, Int64.max] + (0..<40).map { _ in Int64.random(in: .min ... .max, using: &g) }
        var refs: [RowRef] = []
        for i in 0..<count {
            let token = i % 3 == 0 ? Int64.random(in: .min ... .max, using: &g) : tokens.randomElement(using: &g)!
            refs.append(RowRef(token: token, clusteringPrefix: UInt64.random(in: 0...7, using: &g),
                               batch: UInt32(i / 1000), offset: UInt32(i % 1000) * 16))
        }
        var sorted = refs
        RowRefRadixSort.sort(&sorted)
        #expect(sorted.map(Self.key) == Self.reference(refs).map(Self.key))
    }

    /// Many distinct tokens with one 24-bit prefix (the part the radix passes order):
    /// the rest of the order comes from the run sort.
    @Test(arguments: [2, 300, 5000])
    func tokensSharingTheSortedPrefix(count: Int) {
        var g = SystemRandomNumberGenerator()
        let prefixes: [Int64] = [0x1234_56 << 40, -(0x0000_01 << 40), Int64.min, 0]
        var refs: [RowRef] = []
        for i in 0..<count {
            let low = i % 4 == 0 ? Int64(i % 7) : Int64.random(in: 0..<(1 << 40), using: &g)
            refs.append(RowRef(token: prefixes.randomElement(using: &g)! | low, clusteringPrefix: UInt64.random(in: 0...3, using: &g),
                               batch: UInt32(i / 100), offset: UInt32(i % 100) * 8))
        }
        var sorted = refs
        RowRefRadixSort.sort(&sorted)
        #expect(sorted.map(Self.key) == Self.reference(refs).map(Self.key))
    }

    @Test func tokensDifferingOnlyInTheTopDigitOrLowDigit() {
        let refs = [Int64.max, Int64.min, 0x0001_0000_0000_0000, 0x0000_0000_0000_0001, -0x0001_0000_0000_0000, 0]
            .enumerated().map { RowRef(token: $0.element, clusteringPrefix: 0, batch: 0, offset: UInt32($0.offset)) }
        var sorted = refs
        RowRefRadixSort.sort(&sorted)
        #expect(sorted.map(\.token) == refs.map(\.token).sorted())
    }
}
