/// The token ranges rows are grouped in before sorting: `(previous end, end]` for each
/// end in `ends` (ascending), the last range taking every token above the last end.
/// The parser groups each chunk's rows by these ranges and the SSTable builder sorts
/// and writes each range on its own core, so both must use one definition.
struct TokenBuckets: Sendable, Equatable {
    let ends: [Int64]

    var count: Int { ends.count + 1 }

    /// The first end at or above `token` (the number of ends below it). Branch-free
    /// halving: tokens are uniformly random, so each step of a branching search was a
    /// coin toss for the branch predictor; here the steps depend only on the count.
    @inline(__always)
    func bucket(_ token: Int64) -> Int {
        ends.withUnsafeBufferPointer { e in
            var n = e.count
            if n == 0 { return 0 }
            guard let p = e.baseAddress else { return 0 }
            var base = 0
            while n > 1 {
                let half = n >> 1
                base = p[base + half] < token ? base + half : base
                n -= half
            }
            return base + (p[base] < token ? 1 : 0)
        }
    }

    /// Reorders `refs` so each bucket's refs are contiguous, in bucket order, each in its
    /// original order (a stable counting sort: a chunk's refs fit in cache). Returns the
    /// bucket starts: bucket b is `starts[b]..<starts[b + 1]`.
    func group(_ refs: inout [RowRef]) -> [Int] {
        let (grouped, starts) = refs.withUnsafeBufferPointer { group($0) }
        refs = grouped
        return starts
    }

    /// `refs` grouped by bucket into a new array (see `group(_:)`), and the bucket starts.
    func group(_ rs: UnsafeBufferPointer<RowRef>) -> (refs: [RowRef], starts: [Int]) {
        let n = rs.count
        if count == 1 { return (Array(rs), [0, n]) }
        var starts = [Int](repeating: 0, count: count + 1)
        var ids = [UInt32](repeating: 0, count: n)
        for i in 0..<n {
            let b = bucket(rs[i].token)
            ids[i] = UInt32(truncatingIfNeeded: b)
            starts[b + 1] += 1
        }
        for b in 0..<count { starts[b + 1] += starts[b] }
        var next = starts
        let grouped = [RowRef](unsafeUninitializedCapacity: n) { out, initialized in
            for i in 0..<n {
                let b = Int(ids[i])
                (out.baseAddress! + next[b]).initialize(to: rs[i])
                next[b] += 1
            }
            initialized = n
        }
        return (grouped, starts)
    }
}
