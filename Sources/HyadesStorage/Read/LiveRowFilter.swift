import HyadesCore

/// Turns the raw rows of ONE source (an `SSTableRowView`, tombstones included) into live
/// rows at `nowInSeconds`, inline: the single-source equivalent of
/// `MergingPartitionIterator` (shadowing by partition deletion, range tombstones and row
/// deletion) followed by `FilteredPartitionIterator` (`Reconcile.live`). Used only when
/// one source can hold the data, so there is nothing to reconcile.
///
/// Fetched vs queried columns: a view read with `livenessAt:` may carry columns outside
/// `queried` (`hasUnqueriedColumns`); they decide whether the row lives but are not handed
/// on (a live row may then reach the visitor with no columns at all).
struct LiveRowFilter {
    let nowInSeconds: Int32
    let queried: ColumnFilter
    var scratch: LiveRowScratch?
    /// The read's tombstone counter, if the query layer bound one (`TombstoneMonitor`).
    let monitor: TombstoneMonitor?

    init(nowInSeconds: Int32, queried: ColumnFilter = .all) {
        self.nowInSeconds = nowInSeconds
        self.queried = queried
        self.monitor = TombstoneMonitor.current
    }

    /// Calls `body` with the live part of `v`, if anything in it is live. Returns what
    /// `body` returned (true = go on).
    @inline(__always)
    mutating func visit(_ v: borrowing SSTableRowView, _ body: (borrowing LiveRowView) throws -> Bool) throws -> Bool {
        if v.kind == .partition {
            if let monitor { try monitor.countTombstones(v.rangeTombstones.count) }
            return true
        }
        // What shadows the row: the partition deletion, then (regular rows) the range
        // tombstones covering its clustering, then its own deletion.
        var effective = v.partitionDeletion
        if v.kind == .row && !v.rangeTombstones.isEmpty {
            for rt in v.rangeTombstones where rt.deletion > effective && Self.covers(rt, v.clustering) {
                effective = rt.deletion
            }
        }
        if v.deletion > effective { effective = v.deletion }
        let shadowing = !effective.isLive
        let now = nowInSeconds
        var liveness = v.liveness
        if !liveness.isEmpty && ((shadowing && effective.deletes(timestamp: liveness.timestamp)) || !liveness.isLive(nowInSeconds: now)) {
            liveness = .empty
        }
        // Fast path: every column simple and every cell live and unshadowed: hand the
        // source's own views through.
        var allLive = true
        for c in v.columns {
            if c.isComplex { allLive = false; break }
            let cell = v.cells[Int(c.firstCell)]
            if !cell.isLive(nowInSeconds: now) || (shadowing && effective.deletes(timestamp: cell.timestamp)) {
                allLive = false
                break
            }
        }
        let wide = v.hasUnqueriedColumns && queried.columns != nil
        if let monitor {
            // Cassandra's count: each dead cell, else the row's own deletion.
            var dead = 0
            if !allLive { for c in v.columns { for i in c.cells where !v.cells[i].isLive(nowInSeconds: now) { dead += 1 } } }
            if dead == 0 && !v.deletion.isLive { dead = 1 }
            try monitor.countTombstones(dead)
        }
        if allLive && !wide {
            if liveness.isEmpty && v.columns.isEmpty { return true }
            monitor?.countLiveRow()
            return try body(LiveRowView(isStatic: v.kind == .staticRow, partitionKey: v.partitionKey, clustering: v.clustering,
                                        liveness: liveness, columns: v.columns, cells: v.cells))
        }
        let s: LiveRowScratch
        if let existing = scratch { s = existing } else { s = LiveRowScratch(); scratch = s }
        s.reserve(columns: v.columns.count, cells: v.cells.count, bytes: 0)
        var nc = 0, nCells = 0
        var liveElsewhere = false
        for c in v.columns {
            if wide && !queried.includes(c.column) {
                // Fetched for liveness only: is any of its cells live?
                if liveElsewhere { continue }
                var d = effective
                if c.isComplex && c.complexDeletion > d { d = c.complexDeletion }
                for i in c.cells {
                    let cell = v.cells[i]
                    if cell.isLive(nowInSeconds: now) && !(!d.isLive && d.deletes(timestamp: cell.timestamp)) {
                        liveElsewhere = true
                        break
                    }
                }
                continue
            }
            var d = effective
            if c.isComplex && c.complexDeletion > d { d = c.complexDeletion }
            let dShadows = !d.isLive
            let first = nCells
            for i in c.cells {
                let cell = v.cells[i]
                if cell.isLive(nowInSeconds: now) && !(dShadows && d.deletes(timestamp: cell.timestamp)) {
                    s.cells[nCells] = cell
                    nCells += 1
                }
            }
            if nCells > first {
                s.columns[nc] = SSTableColumnView(column: c.column, isComplex: c.isComplex, complexDeletion: .live,
                                                  firstCell: Int32(first), cellCount: Int32(nCells - first))
                nc += 1
            }
        }
        // Static rows live through their queried columns only (Cassandra fetches only the
        // queried static columns); a wide block hands them over with every column.
        if liveness.isEmpty && nc == 0 && !(liveElsewhere && v.kind == .row) { return true }
        monitor?.countLiveRow()
        return try body(LiveRowView(isStatic: v.kind == .staticRow, partitionKey: v.partitionKey, clustering: v.clustering,
                                    liveness: liveness, columns: UnsafeBufferPointer(start: s.columns, count: nc),
                                    cells: UnsafeBufferPointer(start: s.cells, count: nCells)))
    }

    @inline(__always)
    static func covers(_ rt: RangeTombstone, _ clustering: UnsafeRawBufferPointer) -> Bool {
        rt.start.withUnsafeBytes { ByteOrder.compare($0, clustering) } <= 0
            && rt.end.withUnsafeBytes { ByteOrder.compare(clustering, $0) } < 0
    }
}

/// Copies live `Row`s (of the merged path) into `LiveRowScratch` and hands them out as
/// `LiveRowView`s, so both paths feed the visitor the same type.
struct LiveRowAdapter {
    let scratch = LiveRowScratch()

    func visit(key keyBytes: [UInt8], _ row: Row, isStatic: Bool,
               _ body: (borrowing LiveRowView) throws -> Bool) throws -> Bool {
        var cellCount = 0
        var byteCount = keyBytes.count + row.clustering.count
        for c in row.columns {
            switch c {
            case .simple(_, let cell):
                cellCount += 1
                byteCount += cell.value.count + cell.path.count
            case .complex(_, let d):
                cellCount += d.cells.count
                for cell in d.cells { byteCount += cell.value.count + cell.path.count }
            }
        }
        let s = scratch
        s.reserve(columns: row.columns.count, cells: cellCount, bytes: byteCount)
        var at = 0
        func put(_ a: [UInt8]) -> UnsafeRawBufferPointer {
            let start = s.bytes + at
            a.withUnsafeBytes { if $0.count > 0 { start.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
            at += a.count
            return UnsafeRawBufferPointer(start: start, count: a.count)
        }
        func cellView(_ id: ColumnID, _ cell: Cell) -> SSTableCellView {
            SSTableCellView(column: id, isTombstone: cell.isTombstone, timestamp: cell.timestamp, ttl: cell.ttl,
                            localDeletionTime: cell.localDeletionTime, path: put(cell.path), value: put(cell.value))
        }
        let key = put(keyBytes)
        let clustering = put(row.clustering)
        var nc = 0, n = 0
        for c in row.columns {
            switch c {
            case .simple(let id, let cell):
                s.cells[n] = cellView(id, cell)
                s.columns[nc] = SSTableColumnView(column: id, isComplex: false, complexDeletion: .live,
                                                  firstCell: Int32(n), cellCount: 1)
                n += 1
            case .complex(let id, let d):
                let first = n
                for cell in d.cells { s.cells[n] = cellView(id, cell); n += 1 }
                s.columns[nc] = SSTableColumnView(column: id, isComplex: true, complexDeletion: .live,
                                                  firstCell: Int32(first), cellCount: Int32(n - first))
            }
            nc += 1
        }
        return try body(LiveRowView(isStatic: isStatic, partitionKey: key, clustering: clustering, liveness: row.liveness,
                                    columns: UnsafeBufferPointer(start: s.columns, count: nc),
                                    cells: UnsafeBufferPointer(start: s.cells, count: n)))
    }
}

extension SSTableCellView {
    /// `Cell.isLive` on the view.
    @inline(__always) func isLive(nowInSeconds: Int32) -> Bool {
        !isTombstone && (ttl == 0 || nowInSeconds < localDeletionTime)
    }
}
