/// Whether one column's segments are worth compressing, decided per writer from what the
/// codec saved on the column's recent blocks (Cassandra's `min_compress_ratio`, applied
/// per column segment). Random doubles and floats, most of a catalogue's bytes, do not
/// shrink under lz4: trying costs the write (and every read decompresses them) for
/// nothing. A column whose segments saved less than `1 - 1/minCompressRatio` of their raw
/// bytes over `window` blocks is stored with codec 0 for the next `skipBlocks` blocks
/// without trying the codec; then one block probes again (a column may become
/// compressible: a run of equal values).
struct SegmentCodecPolicy {
    static let window = 8
    static let skipBlocks = 64

    /// Blocks tried in the current window, their raw bytes and what the codec saved.
    var tried = 0
    var raw = 0
    var saved = 0
    /// Blocks still to store raw without trying.
    var skipLeft = 0
    /// Blocks the next decision waits for: `window`, or 1 for the probe after a skip.
    var decideAfter = SegmentCodecPolicy.window
    /// Times the codec ran on this column (tests, to see the skip work).
    var attempts = 0

    /// Whether to run the codec on this block's segment.
    @inline(__always) mutating func shouldTry(_ minCompressRatio: Double) -> Bool {
        guard minCompressRatio > 1 else { return true }
        if skipLeft > 0 {
            skipLeft -= 1
            return false
        }
        return true
    }

    /// Notes a tried block: `stored` is its stored length (raw when the codec did not pay).
    mutating func note(raw r: Int, stored: Int, _ minCompressRatio: Double) {
        attempts += 1
        guard minCompressRatio > 1 else { return }
        tried += 1
        raw += r
        saved += r - stored
        guard tried >= decideAfter else { return }
        if Double(saved) < Double(raw) * (1 - 1 / minCompressRatio) {
            skipLeft = Self.skipBlocks
            decideAfter = 1
        } else {
            decideAfter = Self.window
        }
        tried = 0
        raw = 0
        saved = 0
    }

    /// The largest stored length worth keeping for a segment of `raw` bytes: smaller by at
    /// least the ratio (any saving when the ratio is off).
    @inline(__always) static func storedLimit(raw: Int, _ minCompressRatio: Double) -> Int {
        minCompressRatio > 1 ? Int(Double(raw) / minCompressRatio) : raw - 1
    }
}
