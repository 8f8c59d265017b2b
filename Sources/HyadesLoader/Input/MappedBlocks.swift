import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The blocks of a plain (not gzip) file read through memory mappings instead of `read`:
/// the parser reads the page cache's pages in place. Reading into a buffer cost a copy of
/// every byte and a page fault per 4 KiB of fresh buffer (a quarter of the loader's page
/// faults, ~10 ms of a 0.2 s load). Only the block being parsed and the next one are
/// mapped (peak RSS stays two blocks whatever the file size); the next is mapped with its
/// pages populated in the background while the current one is parsed.
final class MappedBlocks: @unchecked Sendable {
    let path: String
    let fd: Int32
    let fileBytes: Int
    let pageSize: Int
    /// File offset where the next block starts.
    private(set) var offset = 0
    /// The last block holds no `"` (known when its end was searched for).
    private(set) var lastBlockQuoteFree = false
    private var current: Mapping?
    private var next: Mapping?
    private let prefetch = DispatchGroup()
    private var prefetching = false

    struct Mapping {
        var base: UnsafeMutableRawPointer
        var length: Int
        /// File offset of `base` (page aligned).
        var fileOffset: Int

        /// Whether `[from, to)` of the file lies in this mapping.
        func covers(_ from: Int, _ to: Int) -> Bool { from >= fileOffset && to <= fileOffset + length }
    }

    /// nil when the file cannot be mapped (then the caller reads it).
    init?(path: String, fd: Int32, fileBytes: Int64) {
        self.path = path
        self.fd = fd
        self.fileBytes = Int(fileBytes)
        pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard fileBytes > 0, let probe = Self.map(fd, from: 0, to: min(Int(fileBytes), pageSize), pageSize: pageSize, populate: false) else {
            return nil
        }
        current = probe
    }

    deinit {
        prefetch.wait()
        if let current { munmap(current.base, current.length) }
        if let next { munmap(next.base, next.length) }
    }

    /// `[from, to)` of the file mapped read-only, starting at the page holding `from`.
    static func map(_ fd: Int32, from: Int, to: Int, pageSize: Int, populate: Bool) -> Mapping? {
        let start = from & ~(pageSize - 1)
        let length = to - start
        guard length > 0 else { return nil }
        #if os(Linux)
        let flags = MAP_PRIVATE | (populate ? MAP_POPULATE : 0)
        #else
        let flags = MAP_PRIVATE
        #endif
        guard let p = mmap(nil, length, PROT_READ, flags, fd, off_t(start)), p != MAP_FAILED else { return nil }
        return Mapping(base: p, length: length, fileOffset: start)
    }

    /// The next `want` bytes or fewer (the file's end) cut at the last record boundary,
    /// mapped until the next call; nil at the end of the file. A record longer than
    /// `want` doubles the mapping until it fits (or the file ends).
    func nextBlock(want: Int, following: Int) throws -> UnsafeBufferPointer<UInt8>? {
        if prefetching {
            prefetch.wait()
            prefetching = false
        }
        guard offset < fileBytes else { return nil }
        var want = max(want, pageSize)
        while true {
            let end = min(offset + want, fileBytes)
            var m: Mapping
            if let n = next, n.covers(offset, end) {
                m = n
                next = nil
            } else if let c = current, c.covers(offset, end) {
                m = c
                current = nil
            } else {
                if let n = next { munmap(n.base, n.length); next = nil }
                guard let fresh = Self.map(fd, from: offset, to: end, pageSize: pageSize, populate: true) else {
                    throw LoaderInputError(path: path, message: "cannot map the file: \(String(cString: strerror(errno)))")
                }
                m = fresh
            }
            if let c = current { munmap(c.base, c.length) }
            current = m
            let p = (UnsafeRawPointer(m.base) + (offset - m.fileOffset)).assumingMemoryBound(to: UInt8.self)
            let n = end - offset
            let blockEnd: Int
            lastBlockQuoteFree = false
            if end == fileBytes {
                blockEnd = n
            } else if case let (b?, quoteFree) = CSVBlockReader.lastRecordBoundaryAndQuotes(p, n) {
                blockEnd = b
                lastBlockQuoteFree = quoteFree
            } else {
                want *= 2
                continue
            }
            offset += blockEnd
            startPrefetch(bytes: following)
            return UnsafeBufferPointer(start: p, count: blockEnd)
        }
    }

    /// Maps the next block's bytes with their pages populated, on another thread.
    private func startPrefetch(bytes: Int) {
        guard offset < fileBytes, next == nil else { return }
        let from = offset, to = min(offset + max(bytes, pageSize), fileBytes)
        prefetching = true
        DispatchQueue.global().async(group: prefetch) { [self] in
            next = Self.map(fd, from: from, to: to, pageSize: pageSize, populate: true)
        }
    }
}
