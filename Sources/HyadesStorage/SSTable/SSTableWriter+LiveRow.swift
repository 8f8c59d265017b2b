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
        guard var entry = current else { throw misuse("row appended outside a partition") }
        guard columnIDs.count == values.count else { throw misuse("\(columnIDs.count) column ids for \(values.count) values") }
        if let lastClustering, lastClustering.withUnsafeBytes({ ByteOrder.compare($0, clustering) }) >= 0 {
            throw misuse("rows out of clustering order in partition \(DecoratedKey(byteComparable: entry.key).map { "\($0)" } ?? "?")")
        }
        var previous = -1
        for id in columnIDs {
            guard Int(id) > previous, id != SSTableFormat.entriesSegmentID else {
                throw misuse("row columns not sorted by id or duplicated (column \(id))")
            }
            previous = Int(id)
        }
        if block.rawSize >= options.chunkLengthBytes {
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
    mutating func addLiveRow(_ clustering: UnsafeRawBufferPointer, timestamp ts: Int64, columnIDs: UnsafeBufferPointer<ColumnID>,
                             values: UnsafeBufferPointer<UnsafeRawBufferPointer>, stats: inout SSTableStatistics) -> Int {
        let before = entries.count
        entries.append(SSTableFormat.entryRow)
        entries.putVarint(UInt64(clustering.count))
        entries.append(contentsOf: clustering)
        entries.append(SSTableFormat.rowHasLiveness)
        timestamp(ts)
        stats.noteTimestamp(ts)
        var size = entries.count - before
        let ordinal = rowCount
        for k in 0..<columnIDs.count {
            let i = builderSlot(columnIDs[k], guess: k)
            let old = builders[i].body.count
            builders[i].addLiveCell(values[k], ordinal: ordinal)
            stats.noteTimestamp(ts)
            size += (builders[i].body.count - old) + 1
        }
        entryCount += 1
        rowCount += 1
        rawSize += size
        return size
    }
}

extension ColumnSegmentBuilder {
    /// `add` for a live cell at the row's timestamp: flags, then the value.
    mutating func addLiveCell(_ value: UnsafeRawBufferPointer, ordinal: Int) {
        if !ordinals.isEmpty && ordinals.count % SSTableFormat.cellCheckpointInterval == 0 {
            checkpoints.append(UInt32(body.count))
        }
        ordinals.append(ordinal)
        body.append(SSTableFormat.cellUsesRowTimestamp)
        body.putVarint(UInt64(value.count))
        body.append(contentsOf: value)
    }
}
