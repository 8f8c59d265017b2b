import HyadesCore

/// The streaming read API of the query layer: live rows handed to a visitor as
/// `LiveRowView`s, to be encoded straight into response frames, without a `Row` per row.
///
/// When only one source can hold the data (nothing in the memtables there, one SSTable,
/// e.g. after a major compaction) rows come straight from the SSTable's zero-allocation
/// reads, filtered inline. Scans over SSTables that overlap each other merge per-SSTable
/// cursors (`MergedScan`): a partition one source holds streams the same way; only one
/// that several hold is copied and merged. Slices go through the general merge, adapted
/// to the same view. Results equal `read`/`scan` through `FilteredPartitionIterator` row
/// for row.
extension TableStore {
    /// Every live row of the partitions in `range`, in ring then clustering order (a
    /// partition's live static row first). `body` returns false to stop.
    public func forEachLiveRow(in range: PartitionRange, slices: Slices = .all, columns: ColumnFilter = .all,
                               nowInSeconds: Int32, _ body: (borrowing LiveRowView) throws -> Bool) throws {
        // A corrupt SSTable met on the way is noted (SSTableReadFailures) and rethrown.
        do { try forEachLiveRowUnnoted(in: range, slices: slices, columns: columns, nowInSeconds: nowInSeconds, body) }
        catch { throw noted(error) }
    }

    private func forEachLiveRowUnnoted(in range: PartitionRange, slices: Slices, columns: ColumnFilter,
                                       nowInSeconds: Int32, _ body: (borrowing LiveRowView) throws -> Bool) throws {
        let (memtables, sstables) = snapshot()
        if slices.isAll {
            let inMemtables = memtables.filter { $0.hasPartitions(in: range) }
            // Overlapping SSTables, or rows only in memtables (a node that has not flushed
            // yet: its memtable holds the whole table), merge source cursors.
            let chain = Self.disjointChain(sstables, overlapping: range)
            guard let chain, !(chain.isEmpty && !inMemtables.isEmpty) else {
                var scan = try MergedScan(range: range, columns: columns, nowInSeconds: nowInSeconds, memtables: inMemtables,
                                          sstables: sstables.filter { $0.overlaps(range) }.map(\.reader))
                try scan.run(body)
                return
            }
            if chain.isEmpty && inMemtables.isEmpty { return }
            if !chain.isEmpty {
                if inMemtables.isEmpty {
                    var filter = LiveRowFilter(nowInSeconds: nowInSeconds, queried: columns)
                    var stopped = false
                    for t in chain where !stopped {
                        try t.reader.forEachRow(in: range, columns: columns, livenessAt: nowInSeconds) { v in
                            if try filter.visit(v, body) { return true }
                            stopped = true
                            return false
                        }
                    }
                } else {
                    try hybridScan(range, columns: columns, nowInSeconds: nowInSeconds, memtables: inMemtables, sstables: chain, body)
                }
                return
            }
        }
        let it = try scan(range, slices: slices, columns: columns, nowInSeconds: nowInSeconds)
        try Self.visitMerged(it, body)
    }

    /// The live rows of partition `key` (its live static row first). `body` returns false
    /// to stop. The key is hashed once for every SSTable's bloom filter.
    public func readLiveRows(_ key: DecoratedKey, slices: Slices = .all, columns: ColumnFilter = .all,
                             nowInSeconds: Int32, _ body: (borrowing LiveRowView) throws -> Bool) throws {
        do { try readLiveRowsUnnoted(key, slices: slices, columns: columns, nowInSeconds: nowInSeconds, body) }
        catch { throw noted(error) }
    }

    private func readLiveRowsUnnoted(_ key: DecoratedKey, slices: Slices, columns: ColumnFilter,
                                     nowInSeconds: Int32, _ body: (borrowing LiveRowView) throws -> Bool) throws {
        let (memtables, sstables) = snapshot()
        let hash = key.key.withUnsafeBytes { Murmur3.hash128($0) }
        if slices.isAll {
            var inMemtable = false
            if memtables.contains(where: { !$0.isEmpty }) {
                let keyBytes = key.comparableBytes
                inMemtable = memtables.contains { $0.contains(keyBytes: keyBytes) }
            }
            if !inMemtable {
                var single: LiveSSTable?
                var count = 0
                for t in sstables where t.reader.mayContain(key, hash: hash) {
                    count += 1
                    single = t
                    if count > 1 { break }
                }
                if count == 0 { return }
                if count == 1, let t = single {
                    var filter = LiveRowFilter(nowInSeconds: nowInSeconds, queried: columns)
                    try t.reader.readPartition(key, hash: hash, columns: columns, livenessAt: nowInSeconds) { v in
                        try filter.visit(v, body)
                    }
                    return
                }
            }
        }
        // Every column fetched: liveness of a row needs them all (fetched vs queried).
        let it = FilteredPartitionIterator(try unfilteredRead(key, hash: hash, slices: slices, columns: .all,
                                                              memtables: memtables, sstables: sstables),
                                           nowInSeconds: nowInSeconds, columns: columns)
        try Self.visitMerged(it, body)
    }

    /// SSTables that do not overlap each other (one, or a leveled run, in key order) and
    /// some memtable data in `range`: the SSTables' rows stream through the
    /// zero-allocation filter except in partitions the memtables also hold, which are
    /// copied and merged (the memtables' partitions are few next to the SSTables').
    private func hybridScan(_ range: PartitionRange, columns: ColumnFilter, nowInSeconds: Int32, memtables: [Memtable],
                            sstables: [LiveSSTable], _ body: (borrowing LiveRowView) throws -> Bool) throws {
        // The memtables' rows with every column: liveness needs them all (fetched vs queried).
        var scan = HybridScan(mem: MergingPartitionIterator(memtables.map { $0.scan(range, columns: .all) }),
                              columns: columns, nowInSeconds: nowInSeconds)
        try scan.start()
        for sstable in sstables where !scan.stopped {
            scan.reader = sstable.reader
            try sstable.reader.forEachRow(in: range, columns: columns, livenessAt: nowInSeconds) { v in try scan.visit(v, body) }
        }
        try scan.finish(body)
    }

    /// The SSTables overlapping `range` in key order when no two of them overlap each
    /// other (one SSTable, or a leveled run): each partition then lives in at most one of
    /// them. Nil when some overlap.
    static func disjointChain(_ sstables: [LiveSSTable], overlapping range: PartitionRange) -> [LiveSSTable]? {
        var chain = sstables.filter { $0.overlaps(range) }
        if chain.count < 2 { return chain }
        chain.sort { ByteOrder.compare($0.firstKey, $1.firstKey) < 0 }
        for i in 1..<chain.count where ByteOrder.compare(chain[i - 1].lastKey, chain[i].firstKey) >= 0 { return nil }
        return chain
    }

    static func visitMerged(_ it: FilteredPartitionIterator, _ body: (borrowing LiveRowView) throws -> Bool) throws {
        let adapter = LiveRowAdapter()
        while let (key, staticRow) = try it.nextPartition() {
            let keyBytes = key.comparableBytes
            if let s = staticRow {
                guard try adapter.visit(key: keyBytes, s, isStatic: true, body) else { return }
            }
            while let r = try it.nextRow() {
                guard try adapter.visit(key: keyBytes, r, isStatic: false, body) else { return }
            }
        }
    }
}
