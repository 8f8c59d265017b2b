import HyadesCore

/// Cassandra's reconciliation of two versions of the same row (`Rows.merge`): the later
/// liveness, the later row deletion, and per column the reconciled cell (simple columns)
/// or the union of cells by path under the later collection deletion (complex columns).
/// Shadowing by deletions is a separate step (`Reconcile.shadow`) so the merge stays
/// commutative and associative.
public enum Reconcile {
    public static func mergeRows(_ a: Row, _ b: Row) -> Row {
        var out = Row(clustering: a.clustering)
        out.liveness = LivenessInfo.merge(a.liveness, b.liveness)
        out.deletion = max(a.deletion, b.deletion)
        out.columns = mergeColumns(a.columns, b.columns)
        return out
    }

    static func mergeColumns(_ a: [ColumnData], _ b: [ColumnData]) -> [ColumnData] {
        if a.isEmpty { return b }
        if b.isEmpty { return a }
        var out: [ColumnData] = []
        out.reserveCapacity(max(a.count, b.count))
        var i = 0, j = 0
        while i < a.count && j < b.count {
            let ca = a[i].column, cb = b[j].column
            if ca < cb { out.append(a[i]); i += 1 }
            else if cb < ca { out.append(b[j]); j += 1 }
            else {
                out.append(mergeColumn(a[i], b[j]))
                i += 1; j += 1
            }
        }
        while i < a.count { out.append(a[i]); i += 1 }
        while j < b.count { out.append(b[j]); j += 1 }
        return out
    }

    static func mergeColumn(_ a: ColumnData, _ b: ColumnData) -> ColumnData {
        switch (a, b) {
        case (.simple(let id, let x), .simple(_, let y)):
            return .simple(id, Cell.reconcile(x, y))
        case (.complex(let id, let x), .complex(_, let y)):
            return .complex(id, ComplexColumnData(deletion: max(x.deletion, y.deletion),
                                                  cells: mergeCellsByPath(x.cells, y.cells)))
        // A column cannot change between simple and complex (the schema forbids it);
        // should corrupt input mix them, keep the newer-looking side deterministically.
        case (.simple, .complex): return b
        case (.complex, .simple): return a
        }
    }

    static func mergeCellsByPath(_ a: [Cell], _ b: [Cell]) -> [Cell] {
        if a.isEmpty { return b }
        if b.isEmpty { return a }
        var out: [Cell] = []
        out.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count && j < b.count {
            let c = ByteOrder.compare(a[i].path, b[j].path)
            if c < 0 { out.append(a[i]); i += 1 }
            else if c > 0 { out.append(b[j]); j += 1 }
            else { out.append(Cell.reconcile(a[i], b[j])); i += 1; j += 1 }
        }
        while i < a.count { out.append(a[i]); i += 1 }
        while j < b.count { out.append(b[j]); j += 1 }
        return out
    }

    /// Removes from `row` everything that `active` (the partition deletion and the range
    /// tombstones covering the row) or the row's own deletion shadows. A row deletion
    /// that `active` supersedes is dropped too. Returns nil when nothing is left.
    public static func shadow(_ row: Row, by active: DeletionTime) -> Row? {
        var row = row
        if !row.deletion.isLive && row.deletion <= active { row.deletion = .live }
        let effective = max(active, row.deletion)
        if effective.isLive {
            // Only collection deletions can shadow anything; most rows have none.
            var anyComplexDeletion = false
            for c in row.columns { if case .complex(_, let d) = c, !d.deletion.isLive { anyComplexDeletion = true; break } }
            if !anyComplexDeletion { return row.isEmpty ? nil : row }
        }
        if effective.deletes(timestamp: row.liveness.timestamp) { row.liveness = .empty }
        var k = 0
        var columns = row.columns
        for c in row.columns {
            switch c {
            case .simple(let id, let cell):
                if !effective.deletes(timestamp: cell.timestamp) { columns[k] = .simple(id, cell); k += 1 }
            case .complex(let id, var data):
                if !data.deletion.isLive && data.deletion <= effective { data.deletion = .live }
                let d = max(effective, data.deletion)
                data.cells.removeAll { d.deletes(timestamp: $0.timestamp) }
                if !data.cells.isEmpty || !data.deletion.isLive { columns[k] = .complex(id, data); k += 1 }
            }
        }
        columns.removeSubrange(k...)
        row.columns = columns
        return row.isEmpty ? nil : row
    }

    /// The partition deletion or the latest of `rangeTombstones` (sorted by start)
    /// covering `clustering`: what shadows a row there.
    @inline(__always)
    static func activeDeletion(_ partitionDeletion: DeletionTime, _ rangeTombstones: [RangeTombstone],
                               _ clustering: [UInt8]) -> DeletionTime {
        var active = partitionDeletion
        for rt in rangeTombstones {
            if ByteOrder.compare(rt.start, clustering) > 0 { break }
            if rt.covers(clustering) && rt.deletion > active { active = rt.deletion }
        }
        return active
    }

    /// Keeps only the columns `filter` selects.
    @inline(__always)
    public static func project(_ row: Row, _ filter: ColumnFilter) -> Row {
        guard filter.columns != nil else { return row }
        // Sources project already: copying the columns (an allocation) only when some
        // column really goes.
        if row.columns.allSatisfy({ filter.includes($0.column) }) { return row }
        var row = row
        row.columns.removeAll { !filter.includes($0.column) }
        return row
    }

    /// The live part of a merged, shadowed row at `nowInSeconds`, or nil when nothing in
    /// it is live: expired cells and markers are dead; a row lives through its liveness
    /// or any live cell.
    public static func live(_ row: Row, nowInSeconds: Int32) -> Row? {
        // Fast path (the common case): everything in the row is live, return it as is.
        if row.deletion.isLive && (row.liveness.isEmpty || row.liveness.isLive(nowInSeconds: nowInSeconds)) {
            var allLive = true
            for c in row.columns {
                guard case .simple(_, let cell) = c, cell.isLive(nowInSeconds: nowInSeconds) else { allLive = false; break }
            }
            if allLive { return row.liveness.isEmpty && row.columns.isEmpty ? nil : row }
        }
        var out = Row(clustering: row.clustering)
        if row.liveness.isLive(nowInSeconds: nowInSeconds) { out.liveness = row.liveness }
        out.columns.reserveCapacity(row.columns.count)
        for c in row.columns {
            switch c {
            case .simple(_, let cell):
                if cell.isLive(nowInSeconds: nowInSeconds) { out.columns.append(c) }
            case .complex(let id, let data):
                let cells = data.cells.filter { $0.isLive(nowInSeconds: nowInSeconds) }
                if !cells.isEmpty { out.columns.append(.complex(id, ComplexColumnData(cells: cells))) }
            }
        }
        if out.liveness.isEmpty && out.columns.isEmpty { return nil }
        return out
    }

    /// The smallest timestamp anywhere in an update (for compaction's purge check).
    static func minTimestamp(_ u: PartitionUpdate) -> Int64 {
        var m = Int64.max
        if !u.partitionDeletion.isLive { m = min(m, u.partitionDeletion.markedForDeleteAt) }
        for rt in u.rangeTombstones { m = min(m, rt.deletion.markedForDeleteAt) }
        if let s = u.staticRow { m = min(m, minTimestamp(s)) }
        for r in u.rows { m = min(m, minTimestamp(r)) }
        return m
    }

    static func minTimestamp(_ r: Row) -> Int64 {
        var m = Int64.max
        if !r.liveness.isEmpty { m = min(m, r.liveness.timestamp) }
        if !r.deletion.isLive { m = min(m, r.deletion.markedForDeleteAt) }
        for c in r.columns {
            switch c {
            case .simple(_, let cell): m = min(m, cell.timestamp)
            case .complex(_, let d):
                if !d.deletion.isLive { m = min(m, d.deletion.markedForDeleteAt) }
                for cell in d.cells { m = min(m, cell.timestamp) }
            }
        }
        return m
    }
}
