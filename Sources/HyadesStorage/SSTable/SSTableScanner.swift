import HyadesCore

/// Streams partitions and rows out of an SSTable's data blocks: a range scan, or one
/// partition found through the index (which may then jump between the blocks of a wide
/// partition to reach each slice).
final class SSTableScanner: UnfilteredPartitionIterator {
    enum Start {
        case lowerBound([UInt8])
        case entry(PartitionIndexEntry)
    }

    enum State {
        case notStarted
        case betweenPartitions
        case inRows
        /// The rows the slices want are done; the rest is skipped by `nextPartition`.
        case rowsDone
        case ended
    }

    let reader: SSTableReader
    let start: Start
    let upper: [UInt8]?
    let slices: [ClusteringSlice]
    let allRows: Bool
    let columns: ColumnFilter
    var state = State.notStarted
    var block: DecodedBlock?
    var sliceIndex = 0
    var jumpCheckPending = false
    /// Range scans with slices look the current partition up in the index the first time
    /// they would skip rows, to jump through its block list like a point read.
    var partitionKeyBytes: [UInt8] = []
    var partitionEntry: PartitionIndexEntry?
    var partitionEntryLooked = false
    var partitionsReturned = 0
    /// Where the current partition starts: its block's offset and entry index (for dumps).
    var partitionPosition: (blockOffset: Int64, entryIndex: Int) = (0, 0)

    init(reader: SSTableReader, start: Start, upper: [UInt8]?, slices: Slices, columns: ColumnFilter) {
        self.reader = reader
        self.start = start
        self.upper = upper
        self.slices = slices.slices
        self.allRows = slices.isAll
        self.columns = columns
    }

    var startKey: [UInt8]? {
        if case .lowerBound(let k) = start, !k.isEmpty { return k }
        return nil
    }

    var singleEntry: PartitionIndexEntry? {
        if case .entry(let e) = start { return e }
        return nil
    }

    func corrupt(_ error: any Error) -> any Error {
        guard let e = error as? DecodeFailure else { return error }
        let at = block.map { $0.offset + Int64($0.header.segments[0].offset) } ?? 0
        return SSTableCorruptionError(path: reader.data.path, offset: at, what: "entries segment: \(e.what)")
    }

    /// Blocks this scanner loaded (tests check that slices skip blocks).
    var blocksLoaded = 0

    func load(_ offset: Int64) throws {
        blocksLoaded += 1
        block = try reader.readBlock(at: offset, columns: columns, populate: singleEntry != nil)
    }

    func position() throws {
        switch start {
        case .entry(let e):
            try load(e.blockOffset)
            do { try block!.seek(entryIndex: e.entryIndex, byteOffset: e.entryByteOffset, rowOrdinal: e.rowOrdinal) } catch { throw corrupt(error) }
        case .lowerBound(let lower):
            if lower.isEmpty {
                guard reader.dataEnd > reader.dataStart else { state = .ended; return }
                try load(reader.dataStart)
            } else {
                guard let e = try reader.index.lowerBound(lower) else { state = .ended; return }
                try load(e.blockOffset)
                do { try block!.seek(entryIndex: e.entryIndex, byteOffset: e.entryByteOffset, rowOrdinal: e.rowOrdinal) } catch { throw corrupt(error) }
            }
        }
        state = .betweenPartitions
    }

    /// Makes sure `block` has an unread entry; false at the end of the data.
    func ensureEntry() throws -> Bool {
        while let b = block, b.exhausted {
            do { try b.checkEnd() } catch { throw corrupt(error) }
            let next = b.nextOffset
            if next >= reader.dataEnd {
                block = nil
                return false
            }
            try load(next)
        }
        return block != nil
    }

    func nextPartition() throws -> PartitionHeader? {
        if case .notStarted = state { try position() }
        switch state {
        case .ended: return nil
        case .inRows, .rowsDone:
            if singleEntry != nil {
                state = .ended
                return nil
            }
            // Skip what is left of the previous partition: from its last block when the
            // index told us its block list.
            if let last = partitionEntry?.blockList.last, let b = block, last.offset > b.offset {
                try load(last.offset)
            }
            partitionEntry = nil
            while try ensureEntry() {
                do {
                    if try block!.peekKind() == SSTableFormat.entryPartitionStart { break }
                    try block!.skipEntry()
                } catch { throw corrupt(error) }
            }
        default: break
        }
        guard try ensureEntry() else {
            state = .ended
            return nil
        }
        let b = block!
        do {
            guard try b.peekKind() == SSTableFormat.entryPartitionStart else {
                throw DecodeFailure("expected a partition start")
            }
            partitionPosition = (b.offset, b.entryIndex)
            let (keyBytes, deletion, rts) = try b.readPartitionStart()
            if let upper, ByteOrder.compare(keyBytes, upper) >= 0 {
                state = .ended
                return nil
            }
            if let e = singleEntry, e.key != keyBytes { throw DecodeFailure("index entry points at another partition") }
            if partitionsReturned == 0, let lower = startKey, ByteOrder.compare(keyBytes, lower) < 0 {
                throw DecodeFailure("index entry points before its partition")
            }
            guard let key = DecoratedKey(byteComparable: keyBytes) else { throw DecodeFailure("bad partition key") }
            var staticRow: Row?
            if !b.exhausted, try b.peekKind() == SSTableFormat.entryStaticRow {
                let (_, c) = try b.readRowKindAndClustering()
                staticRow = try b.readRowBody(clustering: c, decodeColumns: true)
            }
            state = .inRows
            sliceIndex = 0
            jumpCheckPending = !allRows
            if singleEntry == nil && !allRows {
                partitionKeyBytes = keyBytes
                partitionEntry = nil
                partitionEntryLooked = false
            }
            partitionsReturned += 1
            return PartitionHeader(key: key, deletion: deletion, rangeTombstones: rts, staticRow: staticRow)
        } catch { throw corrupt(error) }
    }

    func nextRow() throws -> Row? {
        guard case .inRows = state else { return nil }
        while true {
            if jumpCheckPending {
                jumpCheckPending = false
                if let e = singleEntry ?? partitionEntry, sliceIndex < slices.count,
                   let target = e.blockOffset(forSliceStart: slices[sliceIndex].start), let b = block, target > b.offset {
                    try load(target)
                }
            }
            guard try ensureEntry() else {
                state = .rowsDone
                return nil
            }
            let b = block!
            do {
                let kind = try b.peekKind()
                if kind == SSTableFormat.entryPartitionStart {
                    state = .rowsDone
                    return nil
                }
                let (isStatic, clustering) = try b.readRowKindAndClustering()
                if isStatic { throw DecodeFailure("static row in the middle of a partition") }
                if allRows { return try b.readRowBody(clustering: clustering, decodeColumns: true) }
                while sliceIndex < slices.count, ByteOrder.compare(clustering, slices[sliceIndex].end) >= 0 {
                    sliceIndex += 1
                    jumpCheckPending = true
                }
                if sliceIndex == slices.count {
                    // Consume this row so the entries cursor stays on an entry boundary.
                    _ = try b.readRowBody(clustering: clustering, decodeColumns: false)
                    state = .rowsDone
                    return nil
                }
                if ByteOrder.compare(clustering, slices[sliceIndex].start) < 0 {
                    _ = try b.readRowBody(clustering: clustering, decodeColumns: false)
                    if singleEntry == nil && !partitionEntryLooked {
                        partitionEntryLooked = true
                        partitionEntry = try reader.index.find(partitionKeyBytes, cache: reader.blockCache, owner: reader.cacheOwner)
                        jumpCheckPending = partitionEntry != nil
                    }
                    continue
                }
                // Passing a slice end may make a jump worthwhile, but this row is in the slice.
                jumpCheckPending = false
                return try b.readRowBody(clustering: clustering, decodeColumns: true)
            } catch let e as DecodeFailure {
                throw corrupt(e)
            }
        }
    }
}
