/// Ring order for row references, mostly without comparisons: a stable LSD radix sort on
/// the token's top 24 bits (two 12-bit digits, histograms counted in one pass, a digit on
/// which every token agrees skipped), then each run of one 24-bit prefix put in full
/// order. Tokens are Murmur3 hashes, uniform: a bucket's rows rarely share a prefix
/// unless they share the token (rows of one partition), so a run is almost always one
/// token, ordered by clustering prefix (usually already in order); a run of several
/// tokens is sorted by (token, clustering prefix, input order). Rows that tie keep input
/// order (batch, offset), which decides between two rows with the same primary key.
/// Replaced a comparison merge sort that took ~10% of a load's CPU, then four 16-bit
/// passes (histograms of 64k entries: every scatter a cache and TLB miss).
enum RowRefRadixSort {
    static let digitBits = 12
    static let digits = 2
    /// Bits of the (sign-flipped) token below the sorted prefix.
    static let prefixShift = UInt64(64 - digitBits * digits)

    @inline(__always)
    static func key(_ r: RowRef) -> UInt64 { UInt64(bitPattern: r.token) ^ (1 << 63) }

    static func sort(_ refs: inout [RowRef]) {
        guard refs.count > 1 else { return }
        refs = refs.withUnsafeBufferPointer { sorted([$0]) }
    }

    /// The refs of `sources` (read, never written) in ring order, in a new array. Taking
    /// the sources as they are (each parsed chunk's rows of this bucket) saves gathering
    /// a bucket's rows into one array first: the first scatter reads them in place.
    static func sorted(_ sources: [UnsafeBufferPointer<RowRef>]) -> [RowRef] {
        let n = sources.reduce(0) { $0 + $1.count }
        guard n > 0 else { return [] }
        let radix = 1 << digitBits
        let mask = UInt64(radix - 1)
        var counts = [Int](repeating: 0, count: digits * radix)
        return [RowRef](unsafeUninitializedCapacity: n) { out, initialized in
            counts.withUnsafeMutableBufferPointer { c in
                // Unsigned order of the token = signed order (sign bit flipped).
                var firstKey: UInt64? = nil
                for source in sources {
                    for r in source {
                        let k = key(r) >> prefixShift
                        c[Int(k & mask)] += 1
                        c[radix + Int(k >> UInt64(digitBits))] += 1
                    }
                    if firstKey == nil, let r = source.first { firstKey = key(r) }
                }
                // The digits that order something (a digit on which every ref agrees does not).
                var passes: [Int] = []
                for d in 0..<digits {
                    let shift = prefixShift + UInt64(digitBits * d)
                    if c[d * radix + Int(firstKey! >> shift & mask)] != n { passes.append(d) }
                }
                func scatter(_ from: [UnsafeBufferPointer<RowRef>], _ to: UnsafeMutableBufferPointer<RowRef>, digit d: Int) {
                    let h = UnsafeMutableBufferPointer(rebasing: c[d * radix..<(d + 1) * radix])
                    let shift = prefixShift + UInt64(digitBits * d)
                    var sum = 0
                    for i in 0..<radix { let v = h[i]; h[i] = sum; sum += v }
                    for source in from {
                        for r in source {
                            let digit = Int(key(r) >> shift & mask)
                            (to.baseAddress! + h[digit]).initialize(to: r)
                            h[digit] += 1
                        }
                    }
                }
                switch passes.count {
                case 0:
                    var at = 0
                    for source in sources {
                        if source.count > 0 { (out.baseAddress! + at).initialize(from: source.baseAddress!, count: source.count) }
                        at += source.count
                    }
                case 1:
                    scatter(sources, out, digit: passes[0])
                default:
                    let scratch = UnsafeMutableBufferPointer<RowRef>.allocate(capacity: n)
                    defer { scratch.deallocate() }
                    scatter(sources, scratch, digit: passes[0])
                    scatter([UnsafeBufferPointer(scratch)], out, digit: passes[1])
                }
            }
            initialized = n
            orderRuns(UnsafeMutableBufferPointer(rebasing: out[0..<n]))
        }
    }

    /// Puts each run of one token prefix (radix-sorted refs) in full order.
    static func orderRuns(_ a: UnsafeMutableBufferPointer<RowRef>) {
        let n = a.count
        var i = 0
        while i < n {
            let prefix = key(a[i]) >> prefixShift
            var j = i + 1
            var oneToken = true
            var ordered = true
            while j < n && key(a[j]) >> prefixShift == prefix {
                if a[j].token != a[i].token { oneToken = false } else if !before(a[j - 1], a[j]) { ordered = false }
                j += 1
            }
            if !oneToken {
                var run = UnsafeMutableBufferPointer(rebasing: a[i..<j])
                run.sort { x, y in x.token != y.token ? x.token < y.token : before(x, y) }
            } else if !ordered {
                insertionSort(a, i, j)
            }
            i = j
        }
    }

    /// (clustering prefix, batch, offset) order within one token.
    @inline(__always)
    static func before(_ x: RowRef, _ y: RowRef) -> Bool {
        if x.clusteringPrefix != y.clusteringPrefix { return x.clusteringPrefix < y.clusteringPrefix }
        if x.batch != y.batch { return x.batch < y.batch }
        return x.offset < y.offset
    }

    static func insertionSort(_ a: UnsafeMutableBufferPointer<RowRef>, _ from: Int, _ to: Int) {
        if to - from > 64 {
            var run = UnsafeMutableBufferPointer(rebasing: a[from..<to])
            run.sort(by: before)
            return
        }
        for k in from + 1..<to {
            let v = a[k]
            var m = k
            while m > from && before(v, a[m - 1]) { a[m] = a[m - 1]; m -= 1 }
            a[m] = v
        }
    }
}
