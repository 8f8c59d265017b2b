import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file in blocks of whole CSV records (a block never ends inside a quoted
/// field) and cuts each block into chunks at record boundaries, so chunks can be parsed
/// on all cores independently. Quote state is tracked by counting `"` (an escaped `""`
/// counts twice, so the parity is the state); newlines are found with memchr.
final class CSVBlockReader: @unchecked Sendable {
    let source: ByteSource
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    /// Valid bytes in the buffer; `consumed` of them were handed out in the last block.
    private var filled = 0
    private var consumed = 0
    private var eof = false
    /// The next block is read into a second buffer while the caller parses the current
    /// one (reading 16 MiB took 9-11 ms, on one core, between blocks: 20 ms of a 0.24 s
    /// load). Blocks start small and double up to `capacity`, so the first parse starts
    /// after ~1 ms and each read is hidden behind the parse of a block half its size.
    private var spare: UnsafeMutableRawPointer
    private var spareCapacity: Int
    private var ramp: Int
    private let prefetch = DispatchGroup()
    private var prefetching = false
    private var spareFilled = 0
    private var spareEOF = false
    private var spareError: (any Error)?
    /// Bytes of the file read so far (for progress; updated between blocks).
    private(set) var fileBytesRead: Int64 = 0
    /// The last block holds no `"` (known from finding its end; false when not known).
    private(set) var lastBlockQuoteFree = false
    /// A plain file's blocks come from mappings of it (no buffers, no copy); gzip input
    /// (or a file that cannot be mapped) is read into the buffers.
    private let mapped: MappedBlocks?

    init(source: ByteSource, blockBytes: Int) {
        self.source = source
        capacity = max(blockBytes, 1 << 16)
        ramp = min(capacity, 1 << 20)
        mapped = source.isGzip ? nil : MappedBlocks(path: source.path, fd: source.fileDescriptor, fileBytes: source.fileBytes)
        // Mapped: the buffers are never used (nothing is allocated for them beyond a page).
        let bufferBytes = mapped == nil ? capacity : 64
        buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferBytes, alignment: 64)
        spareCapacity = bufferBytes
        spare = UnsafeMutableRawPointer.allocate(byteCount: bufferBytes, alignment: 64)
        if mapped != nil { capacity = bufferBytes }
        blockLimit = max(blockBytes, 1 << 16)
    }

    /// The largest block handed out (a record longer than it still comes whole).
    private let blockLimit: Int

    deinit {
        prefetch.wait()
        buffer.deallocate()
        spare.deallocate()
    }

    /// The next block of whole records, valid until the next call; nil at the end.
    func nextBlock() throws -> UnsafeBufferPointer<UInt8>? {
        if let mapped {
            let want = ramp
            ramp = min(blockLimit, ramp * 2)
            let block = try mapped.nextBlock(want: want, following: ramp)
            fileBytesRead = Int64(mapped.offset)
            lastBlockQuoteFree = mapped.lastBlockQuoteFree
            return block
        }
        lastBlockQuoteFree = false
        if prefetching {
            prefetch.wait()
            prefetching = false
            if let e = spareError { spareError = nil; throw e }
            swap(&buffer, &spare)
            swap(&capacity, &spareCapacity)
            filled = spareFilled
            eof = spareEOF
            consumed = 0
        } else if consumed > 0 {
            // Keep the unconsumed tail (an incomplete record) at the front.
            let rest = filled - consumed
            if rest > 0 { buffer.copyMemory(from: buffer + consumed, byteCount: rest) }
            filled = rest
            consumed = 0
        }
        while true {
            let target = min(capacity, max(ramp, filled + 1))
            while !eof && filled < target {
                let n = try source.read(into: buffer + filled, count: target - filled)
                if n == 0 { eof = true } else { filled += n }
            }
            fileBytesRead = source.fileBytesRead
            if filled == 0 { return nil }
            let p = buffer.assumingMemoryBound(to: UInt8.self)
            if eof {
                consumed = filled
                return UnsafeBufferPointer(start: p, count: filled)
            }
            let (cut, quoteFree) = Self.lastRecordBoundaryAndQuotes(p, filled)
            if let end = cut {
                lastBlockQuoteFree = quoteFree
                consumed = end
                ramp = min(capacity, ramp * 2)
                startPrefetch()
                return UnsafeBufferPointer(start: p, count: end)
            }
            if filled < capacity { ramp = capacity; continue }
            // One record larger than the block: grow and read on.
            let bigger = UnsafeMutableRawPointer.allocate(byteCount: capacity * 2, alignment: 64)
            bigger.copyMemory(from: buffer, byteCount: filled)
            buffer.deallocate()
            buffer = bigger
            capacity *= 2
            ramp = capacity
        }
    }

    /// Reads the next block into the spare buffer in the background: the unconsumed tail
    /// of the current block first (the caller reads only the bytes before it), then the
    /// file, up to `ramp` bytes.
    private func startPrefetch() {
        if spareCapacity < capacity {
            spare.deallocate()
            spare = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
            spareCapacity = capacity
        }
        prefetching = true
        let target = ramp
        DispatchQueue.global().async(group: prefetch) { [self] in
            let rest = filled - consumed
            if rest > 0 { spare.copyMemory(from: buffer + consumed, byteCount: rest) }
            var n = rest
            var end = false
            do {
                while n < max(target, rest + 1) && n < spareCapacity {
                    let r = try source.read(into: spare + n, count: min(max(target, rest + 1), spareCapacity) - n)
                    if r == 0 { end = true; break }
                    n += r
                }
            } catch {
                spareError = error
            }
            spareFilled = n
            spareEOF = end
        }
    }

    /// One past the last newline outside quotes, nil when there is none.
    static func lastRecordBoundary(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int? {
        lastRecordBoundaryAndQuotes(p, n).end
    }

    /// `lastRecordBoundary`, and whether the `n` bytes hold no `"` at all: then the block
    /// cut there is quote-free and `chunkStarts` need not scan it for quotes again (a
    /// second serial pass over every block while the other cores waited).
    static func lastRecordBoundaryAndQuotes(_ p: UnsafePointer<UInt8>, _ n: Int) -> (end: Int?, quoteFree: Bool) {
        var pos = 0
        var inQuote = false
        var last: Int? = nil
        var quoteFree = true
        while pos < n {
            let q = find(p, 34, from: pos, to: n)
            if !inQuote, let nl = findLast(p, 10, from: pos, to: q) { last = nl + 1 }
            if q == n { break }
            quoteFree = false
            inQuote.toggle()
            pos = q + 1
        }
        return (last, quoteFree)
    }

    /// Chunk start offsets (first is 0) for `count` roughly equal chunks of `block`, each
    /// starting at a record boundary.
    /// `quoteFree`: the block is known to hold no `"` (every newline ends a record).
    static func chunkStarts(_ p: UnsafePointer<UInt8>, _ n: Int, count: Int, quoteFree: Bool = false) -> [Int] {
        var starts = [0]
        guard count > 1, n > 0 else { return starts }
        let step = n / count
        if quoteFree {
            var target = step
            while target < n && starts.count < count {
                let nl = find(p, 10, from: max(target, starts.last!), to: n)
                if nl + 1 >= n { break }
                starts.append(nl + 1)
                target = max(target + step, nl + 1)
            }
            return starts
        }
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
