import HyadesCore

/// The zero-allocation read paths: rows handed to a callback as `SSTableRowView`s decoded
/// in place, instead of `Row` values through `UnfilteredPartitionIterator`.
extension SSTableReader {
    /// Every row of the partitions in `range`, in ring then clustering order, projected to
    /// `columns`. `body` returns false to stop. Nothing is allocated per row (a partition's
    /// range tombstones, when it has some, are one array per partition); the view is valid
    /// only inside `body`. Reads through the block cache when it holds a block but never
    /// fills it, so one pass over a big table does not evict the point reads' working set.
    /// Corrupt bytes throw `SSTableCorruptionError`.
    ///
    /// `livenessAt`: the read's `nowInSeconds` when the caller decides row liveness (CQL
    /// reads: fetched vs queried columns): a regular row that neither its row marker nor a
    /// projected cell keeps alive then comes with every column (`hasUnqueriedColumns`).
    public func forEachRow(in range: PartitionRange, columns: ColumnFilter, livenessAt: Int32? = nil,
                           _ body: (borrowing SSTableRowView) throws -> Bool) throws {
        guard statistics.partitionCount > 0, dataEnd > dataStart else { return }
        var offset = dataStart
        var start: BlockEntryPosition?
        if !range.lower.isEmpty {
            guard let p = try index.lowerBoundPosition(range.lower) else { return }
            offset = p.blockOffset
            start = p.entry
        }
        var walker = RowWalker(path: data.path, filter: columns, lower: range.lower, upper: range.upper, livenessNow: livenessAt)
        while true {
            guard try walker.walkBlock(file: data, offset: offset, dataEnd: dataEnd, start: start, cache: blockCache,
                                       owner: cacheOwner, populate: false, body) else { return }
            start = nil
            offset = walker.nextOffset
            if offset >= dataEnd { return }
        }
    }

    /// The rows of partition `key` (its `.partition` view first when it has a deletion or
    /// range tombstones, then its static row and rows), projected to `columns`. `hash` is
    /// `Murmur3.hash128(key.key)` when the caller already has it (the engine hashes a key
    /// once for every SSTable; its h1 is also the key's token). False when the partition is
    /// not in this SSTable. `body` returns false to stop early. Fills the block cache only
    /// through its admission window (see `SSTableBlockCache.admit`).
    @discardableResult
    public func readPartition(_ key: DecoratedKey, hash: (h1: Int64, h2: Int64)? = nil, columns: ColumnFilter,
                              livenessAt: Int32? = nil, _ body: (borrowing SSTableRowView) throws -> Bool) throws -> Bool {
        guard statistics.partitionCount > 0, key >= firstKey, key <= lastKey else { return false }
        let h = hash ?? key.key.withUnsafeBytes { Murmur3.hash128($0) }
        guard filter.mayContain(hash: (UInt64(bitPattern: h.h1), UInt64(bitPattern: h.h2))) else { return false }
        // The byte-comparable key, built on the stack.
        let n = 8 + key.key.count
        return try withUnsafeTemporaryAllocation(byteCount: n, alignment: 8) { buffer throws -> Bool in
            let t = key.token.byteComparable
            for i in 0..<8 { buffer[i] = UInt8(truncatingIfNeeded: t >> (56 - 8 * UInt64(i))) }
            key.key.withUnsafeBytes { k in
                if k.count > 0 { (buffer.baseAddress! + 8).copyMemory(from: k.baseAddress!, byteCount: k.count) }
            }
            let bc = UnsafeRawBufferPointer(buffer)
            guard let p = try index.findPosition(bc, cache: blockCache, owner: cacheOwner) else { return false }
            var walker = RowWalker(path: data.path, filter: columns, expectedKey: bc, livenessNow: livenessAt)
            var offset = p.blockOffset
            var start: BlockEntryPosition? = p.entry
            while true {
                guard try walker.walkBlock(file: data, offset: offset, dataEnd: dataEnd, start: start, cache: blockCache,
                                           owner: cacheOwner, populate: true, body) else { break }
                start = nil
                offset = walker.nextOffset
                if offset >= dataEnd { break }
            }
            guard walker.partitionsSeen == 1 else {
                throw SSTableCorruptionError(path: data.path, offset: p.blockOffset, what: "index entry points at no partition")
            }
            return true
        }
    }

    /// Point read of a table without clustering columns: `body` gets the partition's row
    /// (or static row, or `.partition` view for a deleted partition), every view of it.
    /// Same as `readPartition`; named for the engine's single-row fast path.
    @discardableResult
    public func readRow(_ key: DecoratedKey, hash: (h1: Int64, h2: Int64)?, columns: ColumnFilter,
                        _ body: (borrowing SSTableRowView) throws -> Void) throws -> Bool {
        try readPartition(key, hash: hash, columns: columns) { view in
            try body(view)
            return true
        }
    }

    /// `mayContain` with the key's Murmur3 hash128 already computed (the engine hashes once
    /// for every SSTable).
    public func mayContain(_ key: DecoratedKey, hash: (h1: Int64, h2: Int64)) -> Bool {
        guard statistics.partitionCount > 0, key >= firstKey, key <= lastKey else { return false }
        return filter.mayContain(hash: (UInt64(bitPattern: hash.h1), UInt64(bitPattern: hash.h2)))
    }
}
