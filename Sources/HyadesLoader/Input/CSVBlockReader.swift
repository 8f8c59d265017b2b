#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file in blocks of whole CSV records (a block never ends inside a quoted
/// field) and cuts each block into chunks at record boundaries, so chunks can be parsed
/// on all cores independently. Quote state is tracked by counting `"` (an escaped `""`
/// counts twice, so the parity is the state); newlines are found with memchr.
final class CSVBlockReader {
    let source: ByteSource
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    /// Valid bytes in the buffer; `consumed` of them were handed out in the last block.
    private var filled = 0
    private var consumed = 0
    private var eof = false

    init(source: ByteSource, blockBytes: Int) {
        self.source = source
        capacity = max(blockBytes, 1 << 16)
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
    }

    deinit { buffer.deallocate() }

    /// The next block of whole records, valid until the next call; nil at the end.
    func nextBlock() throws -> UnsafeBufferPointer<UInt8>? {
        // Keep the unconsumed tail (an incomplete record) at the front.
        if consumed > 0 {
            let rest = filled - consumed
            if rest > 0 { buffer.copyMemory(from: buffer + consumed, byteCount: rest) }
            filled = rest
            consumed = 0
        }
        while true {
            while !eof && filled < capacity {
                let n = try source.read(into: buffer + filled, count: capacity - filled)
                if n == 0 { eof = true } else { filled += n }
            }
            if filled == 0 { return nil }
            let p = buffer.assumingMemoryBound(to: UInt8.self)
            if eof {
                consumed = filled
                return UnsafeBufferPointer(start: p, count: filled)
            }
            if let end = Self.lastRecordBoundary(p, filled) {
                consumed = end
                return UnsafeBufferPointer(start: p, count: end)
            }
            // One record larger than the block: grow and read on.
            let bigger = UnsafeMutableRawPointer.allocate(byteCount: capacity * 2, alignment: 64)
            bigger.copyMemory(from: buffer, byteCount: filled)
            buffer.deallocate()
            buffer = bigger
            capacity *= 2
        }
    }

    /// One past the last newline outside quotes, nil when there is none.
    static func lastRecordBoundary(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int? {
        var pos = 0
        var inQuote = false
        var last: Int? = nil
        while pos < n {
            let q = find(p, 34, from: pos, to: n)
            if !inQuote, let nl = findLast(p, 10, from: pos, to: q) { last = nl + 1 }
            if q == n { break }
            inQuote.toggle()
            pos = q + 1
        }
        return last
    }

    /// Chunk start offsets (first is 0) for `count` roughly equal chunks of `block`, each
    /// starting at a record boundary.
    static func chunkStarts(_ p: UnsafePointer<UInt8>, _ n: Int, count: Int) -> [Int] {
        var starts = [0]
        guard count > 1, n > 0 else { return starts }
        let step = n / count
        var target = step
        var pos = 0
        var inQuote = false
        while pos < n && starts.count < count {
            let q = find(p, 34, from: pos, to: n)
            if !inQuote {
                // Outside quotes over [pos, q): every target in it gets the next newline.
                while target < q && starts.count < count {
                    let from = max(target, pos)
                    let nl = find(p, 10, from: from, to: q)
                    if nl >= q { break }   // the segment ends first; look again after it
                    if nl + 1 < n && nl + 1 > starts.last! { starts.append(nl + 1) }
                    target = max(target + step, nl + 1)
                }
            }
            if q == n { break }
            inQuote.toggle()
            pos = q + 1
            if target < pos { target = pos }
        }
        return starts
    }

    @inline(__always)
    static func find(_ p: UnsafePointer<UInt8>, _ byte: UInt8, from: Int, to: Int) -> Int {
        guard from < to else { return to }
        guard let r = memchr(p + from, Int32(byte), to - from) else { return to }
        return UnsafeRawPointer(p).distance(to: UnsafeRawPointer(r))
    }

    @inline(__always)
    static func findLast(_ p: UnsafePointer<UInt8>, _ byte: UInt8, from: Int, to: Int) -> Int? {
        // memrchr is a GNU extension; a backward scan finds the last newline of a block
        // within one record's length.
        var i = to - 1
        while i >= from {
            if p[i] == byte { return i }
            i -= 1
        }
        return nil
    }
}
