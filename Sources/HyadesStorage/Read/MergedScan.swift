import HyadesCore

/// `TableStore.forEachLiveRow` over SSTables that overlap each other (size-tiered flushes
/// of random keys each span the ring) and the memtables: a merge by partition over one
/// `SSTablePartitionCursor` per SSTable and one `MemtableScanCursor` per memtable, in
/// ring order.
///
/// A partition only one SSTable holds — nearly every one with random keys — streams from
/// that SSTable through `LiveRowFilter`, zero-allocation; its cursor walks on until the
/// next partition another source holds, so a run of such partitions costs one call. A
/// partition one memtable alone holds is filtered from its snapshot. A partition several
/// sources hold is copied into `Row`s (every column) and merged as `scan` does. Results
/// equal `scan` + `FilteredPartitionIterator` row for row.
struct MergedScan: ~Copyable {
    let cursors: UnsafeMutablePointer<SSTablePartitionCursor>
    let count: Int
    /// Sources `count...`: one cursor per memtable.
    var mems: [MemtableScanCursor]
    let columns: ColumnFilter
    let nowInSeconds: Int32
    var filter: LiveRowFilter
    let adapter = LiveRowAdapter()
    var stopped = false
    /// Reused for partitions several sources hold: one copy per SSTable holding it, and
    /// the merged row of the fast path.
    var copies: [CopiedPartition] = []
    var mergedCells: [SSTableCellView] = []
    var otherCells: [SSTableCellView] = []
    var mergedColumns: [SSTableColumnView] = []
    /// The key of the partition being merged, then a 0 byte (`key + [0]` sorts right
    /// after it: where the holders' walks stop).
    var mergeKey: UnsafeMutableRawPointer
    var mergeKeyCapacity = 64

    /// `memtables`: those with data in `range` (read with every column: liveness needs
    /// them all); `sstables`: those overlapping `range`.
    init(range: PartitionRange, columns: ColumnFilter, nowInSeconds: Int32, memtables: [Memtable], sstables: [SSTableReader]) throws {
        let cursors = UnsafeMutablePointer<SSTablePartitionCursor>.allocate(capacity: max(sstables.count, 1))
        var made = 0
        do {
            for r in sstables {
                (cursors + made).initialize(to: try SSTablePartitionCursor(reader: r, range: range, columns: columns,
                                                                           livenessAt: nowInSeconds))
                made += 1
            }
        } catch {
            cursors.deinitialize(count: made)
            cursors.deallocate()
            throw error
        }
        self.cursors = cursors
        self.count = made
        self.mems = memtables.map { MemtableScanCursor(memtable: $0, range: range) }
        self.columns = columns
        self.nowInSeconds = nowInSeconds
        self.filter = LiveRowFilter(nowInSeconds: nowInSeconds, queried: columns)
        mergeKey = .allocate(byteCount: mergeKeyCapacity, alignment: 8)
    }

    deinit {
        cursors.deinitialize(count: count)
        cursors.deallocate()
        for m in mems { m.release() }
        mergeKey.deallocate()
    }

    @inline(__always)
    func head(_ i: Int) -> UnsafeRawBufferPointer? { i < count ? cursors[i].head : mems[i - count].head }

    /// Visits every live row; `body` returns false to stop.
    mutating func run(_ body: (borrowing LiveRowView) throws -> Bool) throws {
        let sources = count + mems.count
        while !stopped {
            // The smallest head, how many sources hold it, and the smallest head past it
            // (where a lone holder's walk must stop).
            var minKey = UnsafeRawBufferPointer(start: nil, count: 0)
            var minSource = -1
            var holders = 0
            var next: UnsafeRawBufferPointer?
            for i in 0..<sources {
                guard let h = head(i) else { continue }
                if minSource < 0 {
                    minKey = h
                    minSource = i
                    holders = 1
                    continue
                }
                let c = ByteOrder.compare(h, minKey)
                if c < 0 {
                    next = minKey
                    minKey = h
                    minSource = i
                    holders = 1
                } else if c == 0 {
                    holders += 1
                } else if next == nil || ByteOrder.compare(h, next!) < 0 {
                    next = h
                }
            }
            if minSource < 0 { return }
            if holders > 1 {
                if minKey.count + 1 > mergeKeyCapacity {
                    mergeKey.deallocate()
                    mergeKeyCapacity = max(minKey.count + 1, mergeKeyCapacity * 2)
                    mergeKey = .allocate(byteCount: mergeKeyCapacity, alignment: 8)
                }
                mergeKey.copyMemory(from: minKey.baseAddress!, byteCount: minKey.count)
                mergeKey.storeBytes(of: 0, toByteOffset: minKey.count, as: UInt8.self)
                try emitMerged(minKey.count, body)
            } else if minSource < count {
                let go = try cursors[minSource].walk(until: next) { v in try filter.visit(v, body) }
                if !go { stopped = true }
            } else {
                try emitMemtablePartition(minSource - count, body)
            }
        }
    }

    /// The current partition of memtable `m`, which no other source holds: its flat copy
    /// through `LiveRowFilter` as one source's rows (its own shadowing by partition, range
    /// and row deletions, then liveness from every column, then the projection; static
    /// rows live through their queried columns only), as `MergingPartitionIterator` with
    /// one source then `FilteredPartitionIterator` would.
    private mutating func emitMemtablePartition(_ m: Int, _ body: (borrowing LiveRowView) throws -> Bool) throws {
        let go = try mems[m].batch.visit(mems[m].index, queried: columns) { v in try filter.visit(v, body) }
        if !go {
            stopped = true
            return
        }
        mems[m].advance()
    }

    /// Partition `keyBytes`, held by several sources: each holder's copy (every column;
    /// memtables first, as in `scan`), merged in place when it is an overwritten
    /// key-value row, else merged and filtered as `scan` does.
    private mutating func emitMerged(_ keyCount: Int, _ body: (borrowing LiveRowView) throws -> Bool) throws {
        let k = UnsafeRawBufferPointer(start: mergeKey, count: keyCount)
        let past = UnsafeRawBufferPointer(start: mergeKey, count: keyCount + 1)
        var n = 0
        for m in mems.indices {
            guard let h = mems[m].head, ByteOrder.compare(h, k) == 0 else { continue }
            if n == copies.count { copies.append(CopiedPartition()) }
            copies[n].reset()
            mems[m].batch.copy(mems[m].index, into: copies[n])
            copies[n].resolve()
            n += 1
            mems[m].advance()
        }
        for i in 0..<count {
            guard let h = cursors[i].head, ByteOrder.compare(h, k) == 0 else { continue }
            if n == copies.count { copies.append(CopiedPartition()) }
            let copy = copies[n]
            copy.reset()
            try cursors[i].copyPartition(past: past, into: copy)
            copy.resolve()
            n += 1
        }
        if try emitSimpleMerge(k, n, body) { return }
        let keyBytes = Array(k)
        guard let key = DecoratedKey(byteComparable: keyBytes) else {
            throw SSTableCorruptionError(path: "", offset: 0, what: "bad partition key in a merged scan")
        }
        var sources: [any UnfilteredPartitionIterator] = []
        for c in copies[0..<n] {
            let (header, rows) = c.header(key)
            sources.append(ArrayPartitionIterator(header, rows: rows))
        }
        let it = FilteredPartitionIterator(MergingPartitionIterator(sources), nowInSeconds: nowInSeconds, columns: columns)
        guard let (_, staticRow) = try it.nextPartition() else { return }
        if let s = staticRow, !(try adapter.visit(key: keyBytes, s, isStatic: true, body)) {
            stopped = true
            return
        }
        while let r = try it.nextRow() {
            if !(try adapter.visit(key: keyBytes, r, isStatic: false, body)) {
                stopped = true
                return
            }
        }
    }

    /// The merge's fast path: every copy is one row of simple columns, nothing deleted at
    /// partition or row level, the same clustering (an overwritten row of a key-value
    /// table). The row is reconciled in place (`Reconcile.mergeRows` on views: the later
    /// liveness, per column the reconciled cell) and filtered as a single source's row.
    /// False when the copies do not have that shape (nothing was visited).
    private mutating func emitSimpleMerge(_ key: UnsafeRawBufferPointer, _ n: Int, _ body: (borrowing LiveRowView) throws -> Bool) throws -> Bool {
        guard n > 1 else { return false }
        let first = copies[0]
        guard first.isSimpleRow else { return false }
        let clustering = first.view(first.rows[0].clustering)
        for j in 1..<n {
            let c = copies[j]
            guard c.isSimpleRow, ByteOrder.compare(c.view(c.rows[0].clustering), clustering) == 0 else { return false }
        }
        var liveness = first.rows[0].liveness
        mergedCells.removeAll(keepingCapacity: true)
        mergedCells.append(contentsOf: first.cellViews)
        for j in 1..<n {
            let c = copies[j]
            liveness = LivenessInfo.merge(liveness, c.rows[0].liveness)
            // Both sorted by column, one cell per (simple) column.
            otherCells.removeAll(keepingCapacity: true)
            var a = 0, b = 0
            let bs = c.cellViews
            while a < mergedCells.count && b < bs.count {
                let x = mergedCells[a], y = bs[b]
                if x.column < y.column { otherCells.append(x); a += 1 }
                else if y.column < x.column { otherCells.append(y); b += 1 }
                else { otherCells.append(SSTableCellView.reconcile(x, y)); a += 1; b += 1 }
            }
            while a < mergedCells.count { otherCells.append(mergedCells[a]); a += 1 }
            while b < bs.count { otherCells.append(bs[b]); b += 1 }
            swap(&mergedCells, &otherCells)
        }
        mergedColumns.removeAll(keepingCapacity: true)
        for i in mergedCells.indices {
            mergedColumns.append(SSTableColumnView(column: mergedCells[i].column, isComplex: false, complexDeletion: .live,
                                                   firstCell: Int32(i), cellCount: 1))
        }
        // The copies carry every column (liveness needs them all): a projection that drops
        // some of them is applied by the filter after liveness.
        var wide = false
        if columns.columns != nil {
            for c in mergedCells where !columns.includes(c.column) {
                wide = true
                break
            }
        }
        let go = try mergedCells.withUnsafeBufferPointer { cells in
            try mergedColumns.withUnsafeBufferPointer { cols in
                try filter.visit(SSTableRowView(kind: .row, partitionKey: key, partitionDeletion: .live, rangeTombstones: [],
                                                clustering: clustering, liveness: liveness, deletion: .live, columns: cols,
                                                cells: cells, hasUnqueriedColumns: wide), body)
            }
        }
        if !go { stopped = true }
        return true
    }
}
