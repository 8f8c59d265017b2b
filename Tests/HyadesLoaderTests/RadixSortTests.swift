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
                               batch: UInt16(i / 1000), offset: UInt32(i % 1000) * 16))
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
                               batch: UInt16(i / 100), offset: UInt32(i % 100) * 8))
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

    /// A bucket is sorted straight from its slices of every parsed chunk: the result is
    /// the order of all of them together, whatever the slices' sizes (empty included).
    @Test(arguments: [[0], [7], [0, 5, 0, 3000, 1], [1000, 1000, 1000]])
    func sortingSeveralSourcesEqualsSortingTheirConcatenation(sizes: [Int]) {
        var g = SystemRandomNumberGenerator()
        let tokens: [Int64] = (0..<30).map { _ in Int64.random(in: .min ... .max, using: &g) }
        var sources: [[RowRef]] = []
        for (b, n) in sizes.enumerated() {
            sources.append((0..<n).map { i in
                RowRef(token: i % 2 == 0 ? Int64.random(in: .min ... .max, using: &g) : tokens.randomElement(using: &g)!,
                       clusteringPrefix: UInt64.random(in: 0...3, using: &g), batch: UInt16(b), offset: UInt32(i) * 8)
            })
        }
        let all = Array(sources.joined())
        let sorted = withPointers(sources) { RowRefRadixSort.sorted($0) }
        #expect(sorted.map(Self.key) == Self.reference(all).map(Self.key))
    }

    /// One token everywhere (every radix digit skipped) still copies every ref from every source.
    @Test func oneTokenInSeveralSources() {
        let sources = (0..<3).map { b in (0..<4).map { RowRef(token: 99, clusteringPrefix: UInt64(3 - $0), batch: UInt16(b), offset: UInt32($0)) } }
        let sorted = withPointers(sources) { RowRefRadixSort.sorted($0) }
        #expect(sorted.map(Self.key) == Self.reference(Array(sources.joined())).map(Self.key))
    }

    /// The parser groups a chunk's refs by the builder's token buckets, stably; bucket b
    /// holds exactly the refs whose token falls in it.
    @Test func groupingByTokenBucketsIsStableAndExact() {
        var g = SystemRandomNumberGenerator()
        let buckets = TokenBuckets(ends: [-5_000_000_000_000_000_000, 0, 10, 4_000_000_000_000_000_000])
        let edges: [Int64] = [Int64.min, -5_000_000_000_000_000_000, 0, 10, 11, Int64.max]
        var refs: [RowRef] = []
        for i in 0..<2000 {
            let token: Int64 = i % 50 == 0 ? edges[i / 50 % edges.count] : Int64.random(in: .min ... .max, using: &g)
            refs.append(RowRef(token: token, clusteringPrefix: 0, batch: 0, offset: UInt32(i)))
        }
        var grouped = refs
        let starts = buckets.group(&grouped)
        #expect(starts.count == buckets.count + 1 && starts.first == 0 && starts.last == refs.count)
        for b in 0..<buckets.count {
            let lower: Int64? = b == 0 ? nil : buckets.ends[b - 1]
            let upper: Int64? = b < buckets.ends.count ? buckets.ends[b] : nil
            let expected: [UInt32] = refs.filter { (r: RowRef) -> Bool in
                (lower.map { r.token > $0 } ?? true) && (upper.map { r.token <= $0 } ?? true)
            }.map { $0.offset }
            let got: [UInt32] = grouped[starts[b]..<starts[b + 1]].map { $0.offset }
            #expect(got == expected)
        }
    }

    func withPointers<R>(_ sources: [[RowRef]], _ body: ([UnsafeBufferPointer<RowRef>]) -> R) -> R {
        var buffers: [UnsafeMutableBufferPointer<RowRef>] = []
        for s in sources {
            let b = UnsafeMutableBufferPointer<RowRef>.allocate(capacity: max(s.count, 1))
            _ = b.initialize(from: s)
            buffers.append(UnsafeMutableBufferPointer(rebasing: b[0..<s.count]))
        }
        defer { for b in buffers { b.baseAddress?.deallocate() } }
        return body(buffers.map { UnsafeBufferPointer($0) })
    }
}
