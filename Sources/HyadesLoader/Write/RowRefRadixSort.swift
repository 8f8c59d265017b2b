/// Ring order for row references without comparisons: a stable LSD radix sort on the
/// token (four 16-bit digits, histograms counted in one pass, digits on which every
/// token agrees skipped), then each run of one token ordered by clustering prefix.
/// Stable, so rows that tie keep input order (the bucket arrays are built in input
/// order), which is what decides between two rows with the same primary key.
/// Replaced a comparison merge sort that took ~10% of a load's CPU.
enum RowRefRadixSort {
    static func sort(_ refs: inout [RowRef]) {
        let n = refs.count
        guard n > 1 else { return }
        let digits = 4
        let radix = 1 << 16
        var counts = [Int](repeating: 0, count: digits * radix)
        refs.withUnsafeMutableBufferPointer { a in
            counts.withUnsafeMutableBufferPointer { c in
                // Unsigned order of the token = signed order (sign bit flipped).
                for r in a {
                    let k = UInt64(bitPattern: r.token) ^ (1 << 63)
                    c[Int(k & 0xFFFF)] += 1
                    c[radix + Int((k >> 16) & 0xFFFF)] += 1
                    c[2 * radix + Int((k >> 32) & 0xFFFF)] += 1
                    c[3 * radix + Int(k >> 48)] += 1
                }
                let scratch = UnsafeMutableBufferPointer<RowRef>.allocate(capacity: n)
                defer { scratch.deallocate() }
                var src = a, dst = scratch
                var inScratch = false
                for d in 0..<digits {
                    let h = UnsafeMutableBufferPointer(rebasing: c[d * radix..<(d + 1) * radix])
                    let shift = UInt64(16 * d)
                    // One bucket holds everything: this digit orders nothing.
                    let first = Int((UInt64(bitPattern: src[0].token) ^ (1 << 63)) >> shift & 0xFFFF)
                    if h[first] == n { continue }
                    var sum = 0
                    for i in 0..<radix { let v = h[i]; h[i] = sum; sum += v }
                    for r in src {
                        let digit = Int((UInt64(bitPattern: r.token) ^ (1 << 63)) >> shift & 0xFFFF)
                        dst[h[digit]] = r
                        h[digit] += 1
                    }
                    swap(&src, &dst)
                    inScratch.toggle()
                }
                if inScratch { _ = a.update(fromContentsOf: scratch) }
            }
            // Runs of one token (a partition, or a collision): by clustering prefix,
            // ties in input order. Usually short and often already in order.
            var i = 0
            while i < n {
                var j = i + 1
                var ordered = true
                while j < n && a[j].token == a[i].token {
                    if !before(a[j - 1], a[j]) { ordered = false }
                    j += 1
                }
                if !ordered { insertionSort(a, i, j) }
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
