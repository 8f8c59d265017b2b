import HyadesCore

extension TableStore {
    /// The table's live rows counted from its SSTables' statistics alone, when that count
    /// is exact; nil when the rows must be read (the caller then counts them).
    ///
    /// Exact when: nothing is in a memtable; no SSTable holds a tombstone or an expiring
    /// cell or row (so every row written is live now and forever, and shadows nothing);
    /// and the SSTables cover disjoint partition key ranges (so no row is in two of
    /// them). That is the state right after a bulk load into an empty table: `hyades
    /// load`'s SSTables of one flush are token-disjoint. Static rows are not counted
    /// (`rowCount` holds clustering rows only): the caller must not use this for a
    /// table with static columns, nor for one with dropped columns (whose cells the read
    /// path skips).
    public func liveRowCountFromStatistics() -> Int64? {
        state.withLock { s -> Int64? in
            guard s.flushing.isEmpty, s.live.isEmpty else { return nil }
            var tables: [(first: [UInt8], last: [UInt8], rows: Int64)] = []
            tables.reserveCapacity(s.sstables.count)
            for t in s.sstables {
                let st = t.reader.statistics
                guard st.tombstoneCount == 0, st.maxLocalDeletionTime == Int32.min else { return nil }
                if st.partitionCount == 0 { continue }
                tables.append((t.firstKey, t.lastKey, st.rowCount))
            }
            tables.sort { ByteOrder.compare($0.first, $1.first) < 0 }
            var total: Int64 = 0
            for (i, t) in tables.enumerated() {
                if i > 0 && ByteOrder.compare(t.first, tables[i - 1].last) <= 0 { return nil }
                total += t.rows
            }
            return total
        }
    }
}
