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
        let n = refs.count
        guard n > 1 else { return }
        let radix = 1 << digitBits
        let mask = UInt64(radix - 1)
        var counts = [Int](repeating: 0, count: digits * radix)
        refs.withUnsafeMutableBufferPointer { a in
            counts.withUnsafeMutableBufferPointer { c in
                // Unsigned order of the token = signed order (sign bit flipped).
                for r in a {
                    let k = key(r) >> prefixShift
                    c[Int(k & mask)] += 1
                    c[radix + Int(k >> UInt64(digitBits))] += 1
                }
                let scratch = UnsafeMutableBufferPointer<RowRef>.allocate(capacity: n)
                defer { scratch.deallocate() }
                var src = a, dst = scratch
                var inScratch = false
                for d in 0..<digits {
                    let h = UnsafeMutableBufferPointer(rebasing: c[d * radix..<(d + 1) * radix])
                    let shift = prefixShift + UInt64(digitBits * d)
                    // One bucket holds everything: this digit orders nothing.
                    let first = Int(key(src[0]) >> shift & mask)
                    if h[first] == n { continue }
                    var sum = 0
                    for i in 0..<radix { let v = h[i]; h[i] = sum; sum += v }
                    for r in src {
                        let digit = Int(key(r) >> shift & mask)
                        dst[h[digit]] = r
                        h[digit] += 1
                    }
                    swap(&src, &dst)
                    inScratch.toggle()
                }
                if inScratch { _ = a.update(fromContentsOf: scratch) }
            }
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
