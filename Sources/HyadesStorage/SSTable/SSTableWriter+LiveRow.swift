import HyadesCore

extension SSTableWriter {
    /// Appends a live row of the current partition straight from bytes: a row marker and
    /// one cell per column, all at `timestamp`, none expiring — what a bulk load writes.
    /// The bytes written are exactly those `append(Row(clustering:liveness:columns:))`
    /// writes for the same row with `Cell.live` cells, without building the Row, its
    /// cells or an array per value. `columnIDs` ascending; `values[k]` is the serialized
    /// value of `columnIDs[k]`; clusterings must strictly increase.
    public func appendLiveRow(clustering: UnsafeRawBufferPointer, timestamp: Int64,
                              columnIDs: UnsafeBufferPointer<ColumnID>, values: UnsafeBufferPointer<UnsafeRawBufferPointer>) throws {
        try state.appendLiveRow(clustering: clustering, timestamp: timestamp, columnIDs: columnIDs, values: values)
    }
}

extension SSTableWriterState {
    mutating func appendLiveRow(clustering: UnsafeRawBufferPointer, timestamp: Int64,
                                columnIDs: UnsafeBufferPointer<ColumnID>, values: UnsafeBufferPointer<UnsafeRawBufferPointer>) throws {
        // No copy of `current` or `lastClustering` per row (each copy is a retain and a
        // release of their arrays): the partition entry is copied only when a block ends.
        if case .none = current { throw misuse("row appended outside a partition") }
        guard columnIDs.count == values.count else { throw misuse("\(columnIDs.count) column ids for \(values.count) values") }
        if lastClustering != nil && lastClustering!.withUnsafeBytes({ ByteOrder.compare($0, clustering) }) >= 0 {
            throw misuse("rows out of clustering order in partition \(DecoratedKey(byteComparable: current!.key).map { "\($0)" } ?? "?")")
        }
        var previous = -1
        for id in columnIDs {
            guard Int(id) > previous, id != SSTableFormat.entriesSegmentID else {
                throw misuse("row columns not sorted by id or duplicated (column \(id))")
            }
            previous = Int(id)
        }
        if block.rawSize >= options.chunkLengthBytes {
            var entry = current!
            try flushBlock()
            if entry.blockList.isEmpty {
                entry.blockList.append(.init(firstClustering: [], offset: entry.blockOffset))
            }
            entry.blockList.append(.init(firstClustering: Array(clustering), offset: currentBlockOffset))
            current = entry
        }
        partitionBytes += Int64(block.addLiveRow(clustering, timestamp: timestamp, columnIDs: columnIDs, values: values, stats: &stats))
        // Reuse the buffer: no allocation per row once it has grown.
        if lastClustering == nil { lastClustering = [] }
        lastClustering!.removeAll(keepingCapacity: true)
        lastClustering!.append(contentsOf: clustering)
        stats.rowCount += 1
    }
}

extension BlockBuilder {
    /// `addRow` for a live row whose cells use the row timestamp (see `appendLiveRow`).
    /// Each buffer gets one `append` per row (entry) or per cell (column segment), of
    /// bytes assembled on the stack: every array append is a uniqueness and capacity
    /// check, and a varint appended byte by byte is one per byte.
    mutating func addLiveRow(_ clustering: UnsafeRawBufferPointer, timestamp ts: Int64, columnIDs: UnsafeBufferPointer<ColumnID>,
                             values: UnsafeBufferPointer<UnsafeRawBufferPointer>, stats: inout SSTableStatistics) -> Int {
        if entriesBase == nil { entriesBase = ts }
        let base = entriesBase!
        // kind, clustering (length-prefixed), flags, timestamp: at most 1 + 10 + c + 1 + 10.
        let entrySize = withUnsafeTemporaryAllocation(byteCount: clustering.count + 22, alignment: 8) { buf -> Int in
            var n = 0
            buf[n] = SSTableFormat.entryRow; n += 1
            n = Self.putVarint(UInt64(clustering.count), buf, n)
            if clustering.count > 0 {
                (buf.baseAddress! + n).copyMemory(from: clustering.baseAddress!, byteCount: clustering.count)
                n += clustering.count
            }
            buf[n] = SSTableFormat.rowHasLiveness; n += 1
            n = Self.putVarint(VarInt.zigzag(ts &- base), buf, n)
            entries.append(contentsOf: UnsafeRawBufferPointer(rebasing: buf[0..<n]))
            return n
        }
        stats.noteTimestamp(ts)
        var size = entrySize
        let ordinal = rowCount
        // Usually the row's columns are builders 0..<count in order: then one exclusive
        // access to `builders` for the whole row.
        var inOrder = columnIDs.count <= builderIDs.count
        if inOrder {
            for k in 0..<columnIDs.count where builderIDs[k] != columnIDs[k] { inOrder = false; break }
        }
        if inOrder {
            size += builders.withUnsafeMutableBufferPointer { b -> Int in
                var added = 0
                for k in 0..<columnIDs.count { added += b[k].addLiveCell(values[k], ordinal: ordinal) + 1 }
                return added
            }
        } else {
            for k in 0..<columnIDs.count {
                let i = builderSlot(columnIDs[k], guess: k)
                size += builders[i].addLiveCell(values[k], ordinal: ordinal) + 1
            }
        }
        if !columnIDs.isEmpty { stats.noteTimestamp(ts) }
        entryCount += 1
        rowCount += 1
        rawSize += size
        return size
    }

    /// LEB128 `v` into `buf` at `n`; returns the offset after it (same bytes as `VarInt.append`).
    @inline(__always)
    static func putVarint(_ v: UInt64, _ buf: UnsafeMutableRawBufferPointer, _ n: Int) -> Int {
        var v = v, n = n
        while v >= 0x80 {
            buf[n] = UInt8(truncatingIfNeeded: v) | 0x80
            v >>= 7
            n += 1
        }
        buf[n] = UInt8(v)
        return n + 1
    }
}

extension ColumnSegmentBuilder {
    /// `add` for a live cell at the row's timestamp: its value alone while the segment is
    /// fixed-width, else flags, then the value (length-prefixed). Returns the bytes added
    /// to `body`.
    @inline(__always)
    mutating func addLiveCell(_ value: UnsafeRawBufferPointer, ordinal: Int) -> Int {
        if isFixed {
            if fixedWidth == value.count || fixedWidth < 0 {
                fixedWidth = value.count
                markPresent(ordinal)
                body.append(contentsOf: value)
                return value.count
            }
            let before = body.count
            convertToCells()
            _ = addCellsLayoutLiveCell(value, ordinal: ordinal)
            return body.count - before
        }
        return addCellsLayoutLiveCell(value, ordinal: ordinal)
    }

    @inline(__always)
    mutating func addCellsLayoutLiveCell(_ value: UnsafeRawBufferPointer, ordinal: Int) -> Int {
        noteCell(ordinal: ordinal)
        if value.count <= 16 {
            // Flags, a one-byte length and the value in one append.
            return withUnsafeTemporaryAllocation(byteCount: 18, alignment: 8) { buf -> Int in
                buf[0] = SSTableFormat.cellUsesRowTimestamp
                buf[1] = UInt8(value.count)
                if value.count > 0 { (buf.baseAddress! + 2).copyMemory(from: value.baseAddress!, byteCount: value.count) }
                body.append(contentsOf: UnsafeRawBufferPointer(rebasing: buf[0..<(2 + value.count)]))
                return 2 + value.count
            }
        }
        let before = body.count
        body.append(SSTableFormat.cellUsesRowTimestamp)
        body.putVarint(UInt64(value.count))
        body.append(contentsOf: value)
        return body.count - before
    }
}
