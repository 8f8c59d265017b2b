import Dispatch
import Foundation
import HyadesCore
import HyadesStorage

/// Turns buffered row batches into sorted SSTables: rows are bucketed by token range
/// (one bucket per core, cut further at the sink's owner boundaries), each bucket is
/// sorted and written by its own SSTableWriter in parallel. Buckets cover disjoint
/// token ranges, so the SSTables of one flush never overlap.
struct SSTableBuilder {
    let table: TableMetadata
    let options: TableOptions
    let schema: SSTableSchemaHeader
    let writeTimestamp: Int64
    let directory: String
    let fileSystem: any FileSystem
    /// The token ranges written as separate SSTables (in parallel).
    let buckets: TokenBuckets
    let threads: Int

    init(table: TableMetadata, writeTimestamp: Int64, directory: String, splitTokens: [Int64], threads: Int,
         fileSystem: any FileSystem = PosixFileSystem()) {
        self.table = table
        self.options = TableOptions(params: table.params)
        self.schema = Self.schemaHeader(table)
        self.writeTimestamp = writeTimestamp
        self.directory = directory
        self.fileSystem = fileSystem
        self.threads = max(threads, 1)
        // Uniform cuts (Murmur3 tokens are uniform) merged with the owner boundaries.
        var cuts = Set(splitTokens)
        let n = self.threads
        for i in 1..<max(n, 1) {
            let step = Double(UInt64.max) / Double(n)
            cuts.insert(Int64(bitPattern: UInt64(step * Double(i))) ^ Int64.min)
        }
        buckets = TokenBuckets(ends: cuts.sorted())
    }

    /// The schema header every adopted SSTable must carry: the node checks it against
    /// the table (names, types and storage column ids) before adopting the file.
    static func schemaHeader(_ t: TableMetadata) -> SSTableSchemaHeader { SSTableSchemaHeader(table: t) }

    /// Writes every row of `batches` (batch i = the i-th in input order); returns the
    /// SSTables in token order. Generations start at `firstGeneration`. `written`, when
    /// given, is called (on the writing thread) with each SSTable as soon as it is
    /// complete, so it can be on its way while the other buckets are still written; such
    /// an SSTable then belongs to the callee (not removed here if another bucket fails).
    ///
    /// With an `uploader`, no file is written here: each SSTable is streamed to its nodes
    /// as it is written (`SSTableUpload`), and `written` gets the upload as well, to
    /// COMMIT it (an upload that fails here is aborted: its nodes adopt nothing).
    func write(_ batches: [RowBatch], firstGeneration: Int64,
               uploader: (any SSTableUploader)? = nil,
               written: (@Sendable (WrittenSSTable, SSTableUpload?) -> Void)? = nil) throws -> [WrittenSSTable] {
        let grouped = self.grouped(batches)
        // The slices point into the batches' refs (and regrouped copies): both live
        // until this function returns.
        defer { withExtendedLifetime(batches) {}; withExtendedLifetime(grouped.regrouped) {} }
        let slices = grouped.slices
        let arenas = UnsafeSendable(batches.map { UnsafeRawPointer($0.arena.base) })
        let plans: [[ColumnID]] = batches.map { b in b.plan.regularSlots.map { b.plan.slots[$0].column.id } }
        let nonEmpty = slices.indices.filter { slices[$0].contains { $0.count > 0 } }
        let results = ResultBox<WrittenSSTable>(count: nonEmpty.count)
        let work = UnsafeSendable(slices)
        DispatchQueue.concurrentPerform(iterations: nonEmpty.count) { j in
            let i = nonEmpty[j]
            do {
                LoadTrace.mark("sort bucket \(i)")
                // Sorted first without comparing the partition keys of a token's rows
                // (a load per row, each a cache miss); the writer sees every row's key
                // anyway and stops at a token shared by two keys, then the bucket is
                // sorted with the keys compared and written again.
                var refs = RowRefRadixSort.sorted(work.value[i])
                Self.orderTokenRuns(&refs, arenas.value, checkKeys: false)
                LoadTrace.mark("write bucket \(i): \(refs.count) rows")
                let generation = firstGeneration + Int64(j)
                let w: WrittenSSTable
                var upload: SSTableUpload?
                do {
                    upload = try uploader?.openUpload(generation: generation, rows: refs.count, minToken: refs.first!.token,
                                                      maxToken: refs.last!.token, attempt: 0)
                    w = try writeOne(refs, arenas: arenas.value, columnIDs: plans, generation: generation, keysChecked: false, upload: upload)
                } catch is TokenCollision {
                    upload?.abort()
                    Self.sort(&refs, arenas.value, checkKeys: true)
                    upload = try uploader?.openUpload(generation: generation, rows: refs.count, minToken: refs.first!.token,
                                                      maxToken: refs.last!.token, attempt: 1)
                    w = try writeOne(refs, arenas: arenas.value, columnIDs: plans, generation: generation, keysChecked: true, upload: upload)
                }
                results.set(j, .success(w))
                LoadTrace.mark("bucket \(i) written: \(w.bytes) bytes")
                written?(w, upload)
            } catch {
                results.set(j, .failure(error))
            }
        }
        var out: [WrittenSSTable] = []
        var firstError: (any Error)?
        for r in results.values {
            switch r {
            case .success(let w)?: out.append(w)
            case .failure(let e)?: if firstError == nil { firstError = e }
            case nil: break
            }
        }
        if let firstError {
            if written == nil { for w in out { removeSSTable(w) } }
            throw firstError
        }
        return out
    }

    /// Per bucket, its rows in each batch (in input order): the slices of the batches'
    /// refs the parser grouped by these buckets. A batch grouped otherwise (or not at
    /// all) is regrouped here, into a copy returned in `regrouped`.
    func grouped(_ batches: [RowBatch]) -> (slices: [[UnsafeBufferPointer<RowRef>]], regrouped: [[RowRef]]) {
        var slices = [[UnsafeBufferPointer<RowRef>]](repeating: [], count: buckets.count)
        var regrouped: [[RowRef]] = []
        for b in batches {
            var starts = b.bucketStarts
            var base: UnsafePointer<RowRef>?
            if b.buckets == buckets && starts.count == buckets.count + 1 && starts.last == b.refs.count {
                // Stays valid: the batch's refs are not changed while it is written.
                base = b.refs.withUnsafeBufferPointer { $0.baseAddress }
            } else {
                var copy = b.refs
                starts = buckets.group(&copy)
                regrouped.append(copy)
                base = regrouped[regrouped.count - 1].withUnsafeBufferPointer { $0.baseAddress }
            }
            guard let base else { continue }
            for k in 0..<buckets.count where starts[k + 1] > starts[k] {
                slices[k].append(UnsafeBufferPointer(start: base + starts[k], count: starts[k + 1] - starts[k]))
            }
        }
        return (slices, regrouped)
    }

    func removeSSTable(_ w: WrittenSSTable) {
        for c in SSTableFormat.Component.allCases {
            try? fileSystem.removeFile(w.directory + "/" + SSTableFormat.fileName(generation: w.generation, c))
        }
    }

    /// Ring order: token, then key bytes, then clustering bytes, then input order.
    /// First by integers only (token, clustering prefix, input order), which is the
    /// final order unless two keys share a token or two clusterings share the prefix;
    /// runs where that happens are re-sorted with the full comparison.
    /// Without `checkKeys`, a token's rows are assumed to share one partition key (the
    /// caller must then check it, as `writeOne(keysChecked: false)` does).
    static func sort(_ refs: inout [RowRef], _ arenas: [UnsafeRawPointer], checkKeys: Bool = true) {
        RowRefRadixSort.sort(&refs)
        orderTokenRuns(&refs, arenas, checkKeys: checkKeys)
    }

    /// The second half of `sort`: runs of one token that need the keys compared.
    static func orderTokenRuns(_ refs: inout [RowRef], _ arenas: [UnsafeRawPointer], checkKeys: Bool) {
        arenas.withUnsafeBufferPointer { a in
            var i = 0
            while i < refs.count {
                // The run of one token.
                var j = i + 1
                while j < refs.count && refs[j].token == refs[i].token { j += 1 }
                if j - i > 1 && needsFullSort(refs, i, j, a, checkKeys: checkKeys) {
                    refs[i..<j].sort { x, y in
                        let c = compareKeys(a[Int(x.batch)] + Int(x.offset), a[Int(y.batch)] + Int(y.offset))
                        if c != 0 { return c < 0 }
                        if x.batch != y.batch { return x.batch < y.batch }
                        return x.offset < y.offset
                    }
                }
                i = j
            }
        }
    }

    /// A run of one token needs the full comparison when its keys differ (a token
    /// collision) or two clusterings share a prefix but are longer than it.
    static func needsFullSort(_ refs: [RowRef], _ from: Int, _ to: Int, _ a: UnsafeBufferPointer<UnsafeRawPointer>,
                              checkKeys: Bool = true) -> Bool {
        let first = a[Int(refs[from].batch)] + Int(refs[from].offset)
        for k in from + 1..<to {
            let rec = a[Int(refs[k].batch)] + Int(refs[k].offset)
            if checkKeys && !sameKey(first, rec) { return true }
            if refs[k].clusteringPrefix == refs[k - 1].clusteringPrefix {
                let keyLength = Int(rec.loadUnaligned(as: UInt16.self))
                let length = Int((rec + 2 + keyLength).loadUnaligned(as: UInt16.self))
                let prev = a[Int(refs[k - 1].batch)] + Int(refs[k - 1].offset)
                let prevKeyLength = Int(prev.loadUnaligned(as: UInt16.self))
                let prevLength = Int((prev + 2 + prevKeyLength).loadUnaligned(as: UInt16.self))
                // Zero padding hides a length difference; beyond 9 bytes the prefix is partial.
                if length > 9 || prevLength != length { return true }
            }
        }
        return false
    }

    /// Compares (key, clustering) of two records.
    @inline(__always)
    static func compareKeys(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer) -> Int {
        let ka = Int(a.loadUnaligned(as: UInt16.self)), kb = Int(b.loadUnaligned(as: UInt16.self))
        let c = ByteOrder.compare(UnsafeRawBufferPointer(start: a + 2, count: ka), UnsafeRawBufferPointer(start: b + 2, count: kb))
        if c != 0 { return c }
        let ca = Int((a + 2 + ka).loadUnaligned(as: UInt16.self)), cb = Int((b + 2 + kb).loadUnaligned(as: UInt16.self))
        return ByteOrder.compare(UnsafeRawBufferPointer(start: a + 4 + ka, count: ca), UnsafeRawBufferPointer(start: b + 4 + kb, count: cb))
    }

    /// Bytes of the record at `p` with `columns` value columns (layout: RowBatch).
    @inline(__always)
    static func recordLength(_ p: UnsafeRawPointer, columns: Int) -> Int {
        var n = 2 + Int(p.loadUnaligned(as: UInt16.self))
        n += 2 + Int((p + n).loadUnaligned(as: UInt16.self))
        for _ in 0..<columns {
            let length = (p + n).loadUnaligned(as: UInt32.self)
            n += 4
            if length != UInt32.max { n += Int(length) }
        }
        return n
    }

    /// A new array holding `n` bytes at `p` (one memcpy).
    @inline(__always)
    static func bytes(_ p: UnsafeRawPointer, _ n: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: n) { b, count in
            if n > 0 { UnsafeMutableRawPointer(b.baseAddress!).copyMemory(from: p, byteCount: n) }
            count = n
        }
    }

    /// Same partition key?
    @inline(__always)
    static func sameKey(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer) -> Bool {
        let ka = Int(a.loadUnaligned(as: UInt16.self)), kb = Int(b.loadUnaligned(as: UInt16.self))
        return ka == kb && memcmp(a + 2, b + 2, ka) == 0
    }

    /// Two partition keys with one token in a bucket sorted without `checkKeys`.
    struct TokenCollision: Error {}

    func writeOne(_ refs: [RowRef], arenas: [UnsafeRawPointer], columnIDs: [[ColumnID]], generation: Int64,
                  keysChecked: Bool = true, upload: SSTableUpload? = nil) throws -> WrittenSSTable {
        do {
            return try writeOne(refs, arenas: arenas, columnIDs: columnIDs, generation: generation, keysChecked: keysChecked,
                                fileSystem: upload ?? fileSystem, upload: upload)
        } catch {
            if !(error is TokenCollision) { upload?.abort() }
            throw error
        }
    }

    private func writeOne(_ refs: [RowRef], arenas: [UnsafeRawPointer], columnIDs: [[ColumnID]], generation: Int64,
                          keysChecked: Bool, fileSystem: any FileSystem, upload: SSTableUpload?) throws -> WrittenSSTable {
        // Partitions, for sizing the bloom filter: token changes (a token shared by two
        // keys only makes the filter a little small).
        var partitions = 0
        for i in refs.indices where i == 0 || refs[i].token != refs[i - 1].token { partitions += 1 }
        let writer = try SSTableWriter(fileSystem: fileSystem, directory: directory, generation: generation,
                                       options: options, schema: schema, expectedPartitions: max(partitions, 1))
        var rows = 0
        // Column ids of every batch, flat: one lookup per row, no nested-array retain.
        var idsFlat: [ColumnID] = [], idsStart: [Int] = []
        for ids in columnIDs { idsStart.append(idsFlat.count); idsFlat += ids }
        idsStart.append(idsFlat.count)
        // Per row: the ids and values of its non-null columns, reused buffers.
        let maxColumns = columnIDs.map(\.count).max() ?? 0
        let rowIDs = UnsafeMutableBufferPointer<ColumnID>.allocate(capacity: max(maxColumns, 1))
        let rowValues = UnsafeMutableBufferPointer<UnsafeRawBufferPointer>.allocate(capacity: max(maxColumns, 1))
        // Records are read in ring order but lie in file order: every one is a cache
        // miss. A window of them is first copied, in ring order, into one buffer by a
        // loop that does nothing else (so many misses are in flight at once); the
        // writing loop then reads that buffer sequentially.
        let window = 4096
        var gather = ByteArena(capacity: window * 128)
        let gathered = UnsafeMutableBufferPointer<Int>.allocate(capacity: window)
        defer { rowIDs.deallocate(); rowValues.deallocate(); gathered.deallocate() }
        // The current partition's key (the previous record may be in an overwritten window).
        var partitionKey: [UInt8] = []
        do {
            let ts = writeTimestamp
            try refs.withUnsafeBufferPointer { refs in
            try arenas.withUnsafeBufferPointer { arenas in
            try idsFlat.withUnsafeBufferPointer { ids in
            try idsStart.withUnsafeBufferPointer { idsStart in
            var start = 0
            while start < refs.count {
                let end = min(start + window, refs.count)
                gather.truncate(to: 0)
                // Each ref carries its record's length, so the copy loop's iterations
                // are independent and the CPU has many of the misses in flight. Only a
                // record of 64 KiB or more is measured first (by walking it).
                for j in start..<end where refs[j].length == RowRef.longRecord {
                    let src = arenas[Int(refs[j].batch)] + Int(refs[j].offset)
                    gathered[j - start] = Self.recordLength(src, columns: idsStart[Int(refs[j].batch) + 1] - idsStart[Int(refs[j].batch)])
                }
                for j in start..<end {
                    let src = arenas[Int(refs[j].batch)] + Int(refs[j].offset)
                    let length = refs[j].length == RowRef.longRecord ? gathered[j - start] : Int(refs[j].length)
                    gathered[j - start] = gather.count
                    gather.append(UnsafeRawBufferPointer(start: src, count: length))
                }
                let base = UnsafeRawPointer(gather.base)
                for i in start..<end {
                    let r = refs[i]
                    let rec = base + gathered[i - start]
                    // Two rows with one primary key: the later in the input wins (as two
                    // INSERTs would), so skip this one when the next has the same key.
                    if i + 1 < refs.count && refs[i + 1].token == r.token && refs[i + 1].clusteringPrefix == r.clusteringPrefix {
                        let next = i + 1 < end ? base + gathered[i + 1 - start] : arenas[Int(refs[i + 1].batch)] + Int(refs[i + 1].offset)
                        if Self.compareKeys(rec, next) == 0 { continue }
                    }
                    let keyLength = Int(rec.loadUnaligned(as: UInt16.self))
                    let newPartition = rows == 0 || refs[i - 1].token != r.token || partitionKey.count != keyLength
                        || partitionKey.withUnsafeBytes { memcmp($0.baseAddress!, rec + 2, keyLength) != 0 }
                    if newPartition {
                        // Same token, another key: the sort did not order these keys.
                        if !keysChecked && rows > 0 && refs[i - 1].token == r.token { throw TokenCollision() }
                        partitionKey = Self.bytes(rec + 2, keyLength)
                        try writer.beginPartition(PartitionHeader(key: DecoratedKey(token: Token(r.token), key: partitionKey)))
                    }
                    var p = rec + 2 + keyLength
                    let ckLength = Int(p.loadUnaligned(as: UInt16.self))
                    let clustering = UnsafeRawBufferPointer(start: p + 2, count: ckLength)
                    p += 2 + ckLength
                    var n = 0
                    let b = Int(r.batch)
                    for k in idsStart[b]..<idsStart[b + 1] {
                        let length = p.loadUnaligned(as: UInt32.self)
                        p += 4
                        if length == UInt32.max { continue }
                        rowIDs[n] = ids[k]
                        rowValues[n] = UnsafeRawBufferPointer(start: p, count: Int(length))
                        n += 1
                        p += Int(length)
                    }
                    try writer.appendLiveRow(clustering: clustering, timestamp: ts,
                                             columnIDs: UnsafeBufferPointer(rebasing: rowIDs[0..<n]),
                                             values: UnsafeBufferPointer(rebasing: rowValues[0..<n]))
                    rows += 1
                }
                start = end
            }
            }
            }
            }
            }
            var bytes: Int64 = 0
            if let upload {
                _ = try writer.finishWithoutOpening()
                bytes = upload.bytes
                try upload.sendRemainingFiles()
            } else {
                _ = try writer.finish()
                for c in SSTableFormat.Component.allCases {
                    bytes += (try? fileSystem.fileSize(directory + "/" + SSTableFormat.fileName(generation: generation, c))) ?? 0
                }
            }
            return WrittenSSTable(directory: directory, generation: generation, rows: rows, partitions: partitions,
                                  minToken: refs.first?.token ?? 0, maxToken: refs.last?.token ?? 0, bytes: bytes)
        } catch {
            writer.abort()
            throw error
        }
    }
}

/// Results of parallel work, one slot per task (each task writes only its own slot).
final class ResultBox<T>: @unchecked Sendable {
    private(set) var values: [Result<T, any Error>?]
    private let lock = NSLock()
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ v: Result<T, any Error>) {
        lock.withLock { values[i] = v }
    }
}

/// A value handed to concurrent tasks that only read it.
struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
