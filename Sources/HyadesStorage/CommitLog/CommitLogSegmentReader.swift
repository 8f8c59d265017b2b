#if canImport(Glibc)
import Glibc
#endif
import HyadesCore

/// Walks the entries of one segment's bytes and decides, at the first bad entry, whether
/// it is a torn tail (cut) or corruption (throw). See docs/formats/commitlog.md, "Replay".
struct CommitLogSegmentReader {
    struct Outcome {
        /// Offset just past the last good entry (0 when even the header is torn).
        var validEnd: Int
        var truncatedBytes: Int
        var tailReason: String?
        var entries: Int
    }

    let path: String
    let segmentID: Int64
    /// True when no later segment holds any entry: only then may damage be a torn write.
    let mayHaveTornTail: Bool

    /// Calls `body(payload, entryOffset, endOffset)` for each good entry in order.
    func scan(_ bytes: UnsafeRawBufferPointer,
              _ body: (UnsafeRawBufferPointer, Int, Int) throws -> Void) throws -> Outcome {
        let n = bytes.count
        if let problem = CommitLogFormat.checkSegmentHeader(bytes, expectedID: segmentID) {
            // A version or id mismatch is never a torn write.
            let torn = n < CommitLogFormat.segmentHeaderBytes || problem.contains("magic") || problem.contains("checksum")
            if mayHaveTornTail && torn && !validEntryExists(bytes, from: CommitLogFormat.segmentHeaderBytes) {
                return Outcome(validEnd: 0, truncatedBytes: n, tailReason: problem, entries: 0)
            }
            throw CommitLogReplayError(path: path, offset: 0, reason: problem)
        }
        var off = CommitLogFormat.segmentHeaderBytes
        var entries = 0
        while off < n {
            let remaining = n - off
            var problem: String? = nil
            if remaining < CommitLogFormat.entryHeaderBytes {
                problem = "\(remaining) bytes cannot hold an entry header"
            } else {
                let length = CommitLogFormat.loadLE(UInt32.self, bytes, off)
                let lengthCRC = CommitLogFormat.loadLE(UInt32.self, bytes, off + 4)
                if length == 0 && lengthCRC == 0 {
                    problem = "zeroed entry header"
                } else if CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[off..<off + 4])) != lengthCRC {
                    problem = "entry length checksum mismatch"
                } else if length == 0 || Int(length) > remaining - CommitLogFormat.entryOverheadBytes {
                    problem = "entry of \(length) bytes does not fit in the \(remaining) bytes left"
                } else {
                    let start = off + CommitLogFormat.entryHeaderBytes
                    let end = start + Int(length)
                    let payload = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
                    if CRC32C.checksum(payload) != CommitLogFormat.loadLE(UInt32.self, bytes, end) {
                        problem = "entry checksum mismatch"
                    } else {
                        let next = end + CommitLogFormat.entryTrailerBytes
                        try body(payload, off, next)
                        entries += 1
                        off = next
                        continue
                    }
                }
            }
            let reason = problem!
            guard mayHaveTornTail else {
                throw CommitLogReplayError(path: path, offset: Int64(off), reason: reason)
            }
            // A torn write (partial, garbage, or unwritten pages reading back as zeros) is
            // the end of what was ever written: nothing valid can follow it. Valid entries
            // after the damage mean synced data was damaged: corruption. (All zeros to the
            // end — a segment still mapped at its full size when the process died — is
            // checked at memcmp speed first.)
            if !Self.allZero(bytes, from: off), validEntryExists(bytes, from: off + 1) {
                throw CommitLogReplayError(path: path, offset: Int64(off),
                                           reason: reason + ", and valid entries follow: corruption, not a torn write")
            }
            return Outcome(validEnd: off, truncatedBytes: n - off, tailReason: reason, entries: entries)
        }
        return Outcome(validEnd: off, truncatedBytes: 0, tailReason: nil, entries: entries)
    }

    private static let zeros = [UInt8](repeating: 0, count: 64 << 10)

    /// Whether every byte from `from` on is zero.
    static func allZero(_ bytes: UnsafeRawBufferPointer, from: Int) -> Bool {
        var p = from
        return zeros.withUnsafeBytes { z in
            while p < bytes.count {
                let n = min(z.count, bytes.count - p)
                if memcmp(bytes.baseAddress! + p, z.baseAddress!, n) != 0 { return false }
                p += n
            }
            return true
        }
    }

    /// Whether a complete entry with both checksums correct starts at any offset >= `from`.
    /// Random garbage passes two CRC32Cs with probability 2^-64.
    func validEntryExists(_ bytes: UnsafeRawBufferPointer, from: Int) -> Bool {
        let n = bytes.count
        var p = max(from, 0)
        while p + CommitLogFormat.entryOverheadBytes < n {
            let length = Int(CommitLogFormat.loadLE(UInt32.self, bytes, p))
            if length > 0 && length <= n - p - CommitLogFormat.entryOverheadBytes,
               CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[p..<p + 4]))
                == CommitLogFormat.loadLE(UInt32.self, bytes, p + 4) {
                let start = p + CommitLogFormat.entryHeaderBytes
                let payload = UnsafeRawBufferPointer(rebasing: bytes[start..<start + length])
                if CRC32C.checksum(payload) == CommitLogFormat.loadLE(UInt32.self, bytes, start + length) { return true }
            }
            p += 1
        }
        return false
    }
}
