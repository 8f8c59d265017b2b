/// The token ranges rows are grouped in before sorting: `(previous end, end]` for each
/// end in `ends` (ascending), the last range taking every token above the last end.
/// The parser groups each chunk's rows by these ranges and the SSTable builder sorts
/// and writes each range on its own core, so both must use one definition.
struct TokenBuckets: Sendable, Equatable {
    let ends: [Int64]

    var count: Int { ends.count + 1 }

    @inline(__always)
    func bucket(_ token: Int64) -> Int {
        ends.withUnsafeBufferPointer { e in
            var lo = 0, hi = e.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if e[mid] < token { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
    }

    /// Reorders `refs` so each bucket's refs are contiguous, in bucket order, each in its
    /// original order (a stable counting sort: a chunk's refs fit in cache). Returns the
    /// bucket starts: bucket b is `starts[b]..<starts[b + 1]`.
    func group(_ refs: inout [RowRef]) -> [Int] {
        let n = refs.count
        if count == 1 { return [0, n] }
        var starts = [Int](repeating: 0, count: count + 1)
        var ids = [UInt32](repeating: 0, count: n)
        refs.withUnsafeBufferPointer { rs in
            for i in 0..<n {
                let b = bucket(rs[i].token)
                ids[i] = UInt32(truncatingIfNeeded: b)
                starts[b + 1] += 1
            }
        }
        for b in 0..<count { starts[b + 1] += starts[b] }
        var next = starts
        let grouped = [RowRef](unsafeUninitializedCapacity: n) { out, initialized in
            refs.withUnsafeBufferPointer { rs in
                for i in 0..<n {
                    let b = Int(ids[i])
                    (out.baseAddress! + next[b]).initialize(to: rs[i])
                    next[b] += 1
                }
            }
            initialized = n
        }
        refs = grouped
        return starts
    }
}
