import HyadesCore

/// One source's copy of a partition that several sources hold (`MergedScan`), taken from
/// the views a cursor walk hands out, into buffers reused from one merged partition to
/// the next: nothing is allocated per row once they have grown. Byte ranges are kept as
/// offsets while copying (the arena may move) and turned into views by `resolve`.
final class CopiedPartition {
    struct CopiedRow {
        var kind: SSTableRowView.Kind
        var clustering: Range<Int>
        var liveness: LivenessInfo
        var deletion: DeletionTime
        var columns: Range<Int>
    }

    struct CopiedCell {
        var column: ColumnID
        var isTombstone: Bool
        var timestamp: Int64
        var ttl: Int32
        var localDeletionTime: Int32
        var path: Range<Int>
        var value: Range<Int>

        /// The cell with its byte ranges resolved in `arena` (once it no longer moves).
        @inline(__always) func view(in arena: BlockOutputBuffer) -> SSTableCellView {
            SSTableCellView(column: column, isTombstone: isTombstone, timestamp: timestamp, ttl: ttl,
                            localDeletionTime: localDeletionTime, path: arena.view(path), value: arena.view(value))
        }
    }

    // Unchecked exclusivity: one scan's merge owns the copy and touches it from one
    // thread, and dynamic checks on every append were a measurable part of the copy.
    @exclusivity(unchecked) var deletion = DeletionTime.live
    @exclusivity(unchecked) var rangeTombstones: [RangeTombstone] = []
    @exclusivity(unchecked) var rows: [CopiedRow] = []
    /// `firstCell` indexes `cells` / `cellViews`.
    @exclusivity(unchecked) var columns: [SSTableColumnView] = []
    @exclusivity(unchecked) var cells: [CopiedCell] = []
    /// `cells` as views into `bytes`, after `resolve`.
    @exclusivity(unchecked) var cellViews: [SSTableCellView] = []
    /// The copied bytes (keys, clusterings, paths, values).
    let arena = BlockOutputBuffer(capacity: 4096)

    func reset() {
        deletion = .live
        rangeTombstones = []
        rows.removeAll(keepingCapacity: true)
        columns.removeAll(keepingCapacity: true)
        cells.removeAll(keepingCapacity: true)
        cellViews.removeAll(keepingCapacity: true)
        arena.count = 0
    }

    private func put(_ b: UnsafeRawBufferPointer) -> Range<Int> { arena.put(b) }

    /// Copies one view of the partition (every kind).
    func append(_ v: borrowing SSTableRowView) {
        deletion = v.partitionDeletion
        if !v.rangeTombstones.isEmpty { rangeTombstones = v.rangeTombstones }
        if v.kind == .partition { return }
        let firstColumn = columns.count
        let clustering = put(v.clustering)
        for c in v.columns {
            let first = cells.count
            for i in c.cells {
                let cell = v.cells[i]
                cells.append(CopiedCell(column: cell.column, isTombstone: cell.isTombstone, timestamp: cell.timestamp, ttl: cell.ttl,
                                        localDeletionTime: cell.localDeletionTime, path: put(cell.path), value: put(cell.value)))
            }
            columns.append(SSTableColumnView(column: c.column, isComplex: c.isComplex, complexDeletion: c.complexDeletion,
                                             firstCell: Int32(first), cellCount: Int32(cells.count - first)))
        }
        rows.append(CopiedRow(kind: v.kind, clustering: clustering, liveness: v.liveness, deletion: v.deletion,
                              columns: firstColumn..<columns.count))
    }

    /// Fills `cellViews` (call when the copy is complete: the arena no longer moves).
    func resolve() {
        for c in cells { cellViews.append(c.view(in: arena)) }
    }

    @inline(__always) func view(_ r: Range<Int>) -> UnsafeRawBufferPointer { arena.view(r) }

    /// One live row with simple columns only and nothing deleted at partition or row level
    /// (every row of a key-value table): what the merge's fast path reconciles in place.
    var isSimpleRow: Bool {
        guard rows.count == 1, rows[0].kind == .row, deletion.isLive, rangeTombstones.isEmpty, rows[0].deletion.isLive else { return false }
        for c in columns where c.isComplex { return false }
        return true
    }

    /// The copy as a merge source (allocates: the general path).
    func header(_ key: DecoratedKey) -> (PartitionHeader, [Row]) {
        var header = PartitionHeader(key: key, deletion: deletion, rangeTombstones: rangeTombstones)
        var out: [Row] = []
        columns.withUnsafeBufferPointer { columns in
            cellViews.withUnsafeBufferPointer { cells in
                for r in rows {
                    let v = SSTableRowView(kind: r.kind, partitionKey: UnsafeRawBufferPointer(start: nil, count: 0),
                                           partitionDeletion: deletion, rangeTombstones: rangeTombstones,
                                           clustering: view(r.clustering), liveness: r.liveness, deletion: r.deletion,
                                           columns: UnsafeBufferPointer(rebasing: columns[r.columns]), cells: cells)
                    if r.kind == .staticRow { header.staticRow = v.row() } else { out.append(v.row()) }
                }
            }
        }
        return (header, out)
    }
}

extension SSTableCellView {
    /// `Cell.reconcile` on views: the higher timestamp wins; on a tie a tombstone or
    /// expiring cell beats a plain live one, a tombstone beats an expiring cell, then the
    /// later local deletion time, then the greater value.
    @inline(__always)
    static func reconcile(_ a: SSTableCellView, _ b: SSTableCellView) -> SSTableCellView {
        if a.timestamp != b.timestamp { return a.timestamp > b.timestamp ? a : b }
        let aDel = a.localDeletionTime != Cell.noDeletionTime
        let bDel = b.localDeletionTime != Cell.noDeletionTime
        if aDel || bDel {
            if aDel != bDel { return aDel ? a : b }
            if a.isTombstone != b.isTombstone { return a.isTombstone ? a : b }
            if a.localDeletionTime != b.localDeletionTime { return a.localDeletionTime > b.localDeletionTime ? a : b }
        }
        return ByteOrder.compare(a.value, b.value) >= 0 ? a : b
    }
}
