/// The presence bitmap of a column segment (bit `o & 7` of byte `o >> 3` for row ordinal
/// `o`): counting its set bits gives a fixed-width cell's rank, hence its offset.
enum SegmentBitmap {
    /// Set bits in the `n` bytes at `offset` of `bytes` (which must hold them).
    @inline(__always)
    static func count(_ bytes: UnsafeRawBufferPointer, from offset: Int, bytes n: Int) -> Int {
        guard n > 0 else { return 0 }
        let p = bytes.baseAddress! + offset
        var total = 0, i = 0
        while i + 8 <= n {
            total += p.loadUnaligned(fromByteOffset: i, as: UInt64.self).nonzeroBitCount
            i += 8
        }
        while i < n {
            total += p.load(fromByteOffset: i, as: UInt8.self).nonzeroBitCount
            i += 1
        }
        return total
    }
}
