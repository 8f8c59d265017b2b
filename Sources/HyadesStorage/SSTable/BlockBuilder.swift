import HyadesCore

/// The cells of one column for the rows of the block being built, PAX-style: which row
/// ordinals have a value (a bitmap at finish) and the encoded cells in ordinal order.
struct ColumnSegmentBuilder {
    var ordinals: [Int] = []
    var body: [UInt8] = []
    var base: Int64? = nil

    mutating func timestamp(_ ts: Int64) {
        if base == nil { base = ts }
        body.putTimestamp(ts, base: base!)
    }

    /// Offsets (into `body`) of cells number 16, 32, ...: point reads jump near the row
    /// they want instead of skipping every earlier cell.
    var checkpoints: [UInt32] = []

    mutating func add(_ data: ColumnData, ordinal: Int, rowLiveness: LivenessInfo, stats: inout SSTableStatistics) {
        if !ordinals.isEmpty && ordinals.count % SSTableFormat.cellCheckpointInterval == 0 {
            checkpoints.append(UInt32(body.count))
        }
        ordinals.append(ordinal)
        switch data {
        case .simple(_, let cell):
            encodeCell(cell, withPath: false, rowLiveness: rowLiveness, stats: &stats)
        case .complex(_, let complex):
            var flags = SSTableFormat.cellIsComplex
            if !complex.deletion.isLive { flags |= SSTableFormat.complexHasDeletion }
            body.append(flags)
            if !complex.deletion.isLive {
                timestamp(complex.deletion.markedForDeleteAt)
                body.putInt32(complex.deletion.localDeletionTime)
                stats.noteTimestamp(complex.deletion.markedForDeleteAt)
                stats.noteTombstone(localDeletionTime: complex.deletion.localDeletionTime)
            }
            body.putVarint(UInt64(complex.cells.count))
            for cell in complex.cells {
                encodeCell(cell, withPath: true, rowLiveness: rowLiveness, stats: &stats)
            }
        }
    }

    // flags u8; [timestamp] unless usesRowTimestamp; [ttl, localDeletionTime] if
    // hasDeletionInfo; [path] in complex columns; value (length-prefixed).
    mutating func encodeCell(_ cell: Cell, withPath: Bool, rowLiveness: LivenessInfo, stats: inout SSTableStatistics) {
        var flags: UInt8 = 0
        if cell.isTombstone { flags |= SSTableFormat.cellIsTombstone }
        let usesRow = !cell.isTombstone && !rowLiveness.isEmpty && cell.timestamp == rowLiveness.timestamp
            && cell.ttl == rowLiveness.ttl && cell.localDeletionTime == rowLiveness.localExpirationTime
        let hasDeletionInfo = !usesRow && (cell.ttl != 0 || cell.localDeletionTime != Cell.noDeletionTime)
        if usesRow { flags |= SSTableFormat.cellUsesRowTimestamp }
        if hasDeletionInfo { flags |= SSTableFormat.cellHasDeletionInfo }
        body.append(flags)
        if !usesRow { timestamp(cell.timestamp) }
        if hasDeletionInfo {
            body.putInt32(cell.ttl)
            body.putInt32(cell.localDeletionTime)
        }
        if withPath { body.putLengthPrefixed(cell.path) }
        body.putLengthPrefixed(cell.value)
        stats.noteTimestamp(cell.timestamp)
        if cell.isTombstone {
            stats.noteTombstone(localDeletionTime: cell.localDeletionTime)
        } else if cell.ttl != 0 {
            stats.noteLocalDeletionTime(cell.localDeletionTime)
        }
    }

    /// base timestamp (zigzag varint), presence bitmap of `rowCount` bits, checkpoint
    /// count (varint) and checkpoints (u32 each), cells.
    func finished(rowCount: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(body.count + rowCount / 8 + 12 + checkpoints.count * 4)
        out.putSignedVarint(base ?? 0)
        let bitmapStart = out.count
        out.append(contentsOf: repeatElement(0, count: (rowCount + 7) / 8))
        for o in ordinals { out[bitmapStart + o >> 3] |= 1 << UInt8(o & 7) }
        out.putVarint(UInt64(checkpoints.count))
        for c in checkpoints { out.putU32(c) }
        out.append(contentsOf: body)
        return out
    }
}

/// Builds one data block: segment 0 (partition starts, static rows, rows) and one
/// segment per column present, then compresses and checksums each segment.
struct BlockBuilder {
    var entries: [UInt8] = []
    var entriesBase: Int64? = nil
    var entryCount = 0
    var rowCount = 0
    /// One builder per column present, in first-seen order (ids sorted at finish), and
    /// its id. Rows of one table list their columns in the same order, so the k-th column
    /// of a row is almost always builder k: no hashing per cell.
    var builders: [ColumnSegmentBuilder] = []
    var builderIDs: [ColumnID] = []
    /// Column id → index in `builders`, for rows whose columns differ from the first's.
    var builderIndex: [ColumnID: Int] = [:]
    /// The column segments, by column id (tests, checks).
    var columns: [ColumnID: ColumnSegmentBuilder] {
        Dictionary(uniqueKeysWithValues: zip(builderIDs, builders))
    }
    var rawSize = 0

    var isEmpty: Bool { entryCount == 0 }

    mutating func timestamp(_ ts: Int64) {
        if entriesBase == nil { entriesBase = ts }
        entries.putTimestamp(ts, base: entriesBase!)
    }

    mutating func deletion(_ d: DeletionTime) {
        timestamp(d.markedForDeleteAt)
        entries.putInt32(d.localDeletionTime)
    }

    /// kind, key (byte-comparable, length-prefixed), flags, [deletion], [range tombstones].
    mutating func addPartitionStart(_ header: PartitionHeader, keyBytes: [UInt8], stats: inout SSTableStatistics) {
        let before = entries.count
        entries.append(SSTableFormat.entryPartitionStart)
        entries.putLengthPrefixed(keyBytes)
        var flags: UInt8 = 0
        if !header.deletion.isLive { flags |= SSTableFormat.partitionHasDeletion }
        if !header.rangeTombstones.isEmpty { flags |= SSTableFormat.partitionHasRangeTombstones }
        entries.append(flags)
        if !header.deletion.isLive {
            deletion(header.deletion)
            stats.noteTimestamp(header.deletion.markedForDeleteAt)
            stats.noteTombstone(localDeletionTime: header.deletion.localDeletionTime)
        }
        if !header.rangeTombstones.isEmpty {
            entries.putVarint(UInt64(header.rangeTombstones.count))
            for rt in header.rangeTombstones {
                entries.putLengthPrefixed(rt.start)
                entries.putLengthPrefixed(rt.end)
                deletion(rt.deletion)
                stats.noteTimestamp(rt.deletion.markedForDeleteAt)
                stats.noteTombstone(localDeletionTime: rt.deletion.localDeletionTime)
            }
        }
        entryCount += 1
        rawSize += entries.count - before
    }

    /// kind, [clustering] (rows only), flags, [liveness], [deletion]; cells go to the
    /// column segments under this row's ordinal. Returns the encoded size.
    @discardableResult
    mutating func addRow(_ row: Row, isStatic: Bool, stats: inout SSTableStatistics) -> Int {
        let before = entries.count
        entries.append(isStatic ? SSTableFormat.entryStaticRow : SSTableFormat.entryRow)
        if !isStatic { entries.putLengthPrefixed(row.clustering) }
        var flags: UInt8 = 0
        if !row.liveness.isEmpty { flags |= SSTableFormat.rowHasLiveness }
        if row.liveness.isExpiring { flags |= SSTableFormat.rowLivenessExpiring }
        if !row.deletion.isLive { flags |= SSTableFormat.rowHasDeletion }
        entries.append(flags)
        if !row.liveness.isEmpty {
            timestamp(row.liveness.timestamp)
            stats.noteTimestamp(row.liveness.timestamp)
            if row.liveness.isExpiring {
                entries.putInt32(row.liveness.ttl)
                entries.putInt32(row.liveness.localExpirationTime)
                stats.noteLocalDeletionTime(row.liveness.localExpirationTime)
            }
        }
        if !row.deletion.isLive {
            deletion(row.deletion)
            stats.noteTimestamp(row.deletion.markedForDeleteAt)
            stats.noteTombstone(localDeletionTime: row.deletion.localDeletionTime)
        }
        var size = entries.count - before
        let ordinal = rowCount
        for (k, data) in row.columns.enumerated() {
            let i = builderSlot(data.column, guess: k)
            let old = builders[i].body.count
            builders[i].add(data, ordinal: ordinal, rowLiveness: row.liveness, stats: &stats)
            size += (builders[i].body.count - old) + 1
        }
        entryCount += 1
        rowCount += 1
        rawSize += size
        return size
    }

    @inline(__always)
    mutating func builderSlot(_ id: ColumnID, guess k: Int) -> Int {
        if k < builderIDs.count && builderIDs[k] == id { return k }
        if let i = builderIndex[id] { return i }
        builders.append(ColumnSegmentBuilder())
        builderIDs.append(id)
        builderIndex[id] = builders.count - 1
        return builders.count - 1
    }

    /// The largest raw column segment so far.
    var largestColumnBodyBytes: Int { builders.reduce(0) { max($0, $1.body.count) } }

    /// The finished block: header, directory, header CRC, then the stored segments.
    /// Also reports the raw (uncompressed) size of its segments.
    func finished(compression: CompressionAlgorithm) -> (bytes: [UInt8], rawBytes: Int) {
        var segments: [(id: UInt16, raw: [UInt8])] = []
        var seg0: [UInt8] = []
        seg0.reserveCapacity(entries.count + 10)
        seg0.putSignedVarint(entriesBase ?? 0)
        seg0.append(contentsOf: entries)
        segments.append((SSTableFormat.entriesSegmentID, seg0))
        for i in builderIDs.indices.sorted(by: { builderIDs[$0] < builderIDs[$1] }) {
            segments.append((builderIDs[i], builders[i].finished(rowCount: rowCount)))
        }
        var stored: [(codec: CompressionAlgorithm, bytes: [UInt8])] = []
        var rawTotal = 0
        for s in segments {
            rawTotal += s.raw.count
            if let c = s.raw.withUnsafeBytes({ BlockCompressor.compress($0, compression) }) {
                stored.append((compression, c))
            } else {
                stored.append((.none, s.raw))
            }
        }
        let headerSize = SSTableFormat.blockHeaderFixedSize + segments.count * SSTableFormat.directoryEntrySize + 4
        let total = headerSize + stored.reduce(0) { $0 + $1.bytes.count }
        var out: [UInt8] = []
        out.reserveCapacity(total)
        out.putU32(UInt32(total))
        out.putU32(UInt32(entryCount))
        out.putU32(UInt32(rowCount))
        out.putU16(UInt16(segments.count))
        out.putU16(0)
        for (i, s) in segments.enumerated() {
            out.putU16(s.id)
            out.append(stored[i].codec.rawValue)
            out.append(0)
            out.putU32(UInt32(stored[i].bytes.count))
            out.putU32(UInt32(s.raw.count))
            out.putU32(CRC32C.checksum(stored[i].bytes))
        }
        out.putU32(CRC32C.checksum(out))
        for s in stored { out.append(contentsOf: s.bytes) }
        // Assert what must hold just before writing to disk.
        precondition(out.count == total, "block size bookkeeping")
        return (out, rawTotal)
    }
}
