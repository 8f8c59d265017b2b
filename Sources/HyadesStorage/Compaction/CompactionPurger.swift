import HyadesCore

/// Decides which tombstones and expired data a compaction may drop (Cassandra's
/// `CompactionController` / `Purger`): a tombstone goes only once gc_grace_seconds have
/// passed since its local deletion time AND nothing outside the compaction (other
/// SSTables that may hold the key, memtables) could hold data older than it — otherwise
/// dropping it would resurrect that data.
struct CompactionPurger {
    let nowInSeconds: Int32
    let gcGraceSeconds: Int32
    
    private func gcable(_ localDeletionTime: Int32) -> Bool {
        Int64(localDeletionTime) + Int64(gcGraceSeconds) < Int64(nowInSeconds)
    }

    func purgeable(_ d: DeletionTime, _ maxTs: MaxPurgeableTimestamp) -> Bool {
        !d.isLive && gcable(d.localDeletionTime) && d.markedForDeleteAt < maxTs.value
    }

    /// The header with purgeable tombstones removed.
    func purge(_ header: PartitionHeader, maxTs: MaxPurgeableTimestamp) -> PartitionHeader {
        var h = header
        if purgeable(h.deletion, maxTs) { h.deletion = .live }
        h.rangeTombstones.removeAll { purgeable($0.deletion, maxTs) }
        h.staticRow = h.staticRow.flatMap { purge($0, maxTs: maxTs) }
        return h
    }

    /// The row with expired cells turned into tombstones and purgeable tombstones
    /// removed; nil when nothing is left.
    func purge(_ row: Row, maxTs: MaxPurgeableTimestamp) -> Row? {
        // Fast path (most rows): no tombstone and nothing expired, nothing to purge.
        if row.deletion.isLive && (!row.liveness.isExpiring || row.liveness.isLive(nowInSeconds: nowInSeconds)) {
            var clean = true
            for c in row.columns {
                guard case .simple(_, let cell) = c, !cell.isTombstone,
                      !cell.isExpiring || cell.isLive(nowInSeconds: nowInSeconds) else { clean = false; break }
            }
            if clean { return row.isEmpty ? nil : row }
        }
        var row = row
        if purgeable(row.deletion, maxTs) { row.deletion = .live }
        if row.liveness.isExpiring && !row.liveness.isLive(nowInSeconds: nowInSeconds) {
            // An expired marker still shadows older markers elsewhere until it is purgeable.
            let ldt = row.liveness.localExpirationTime &- row.liveness.ttl
            if gcable(ldt) && row.liveness.timestamp < maxTs.value { row.liveness = .empty }
        }
        var columns: [ColumnData] = []
        columns.reserveCapacity(row.columns.count)
        for c in row.columns {
            switch c {
            case .simple(let id, let cell):
                if let kept = purge(cell, maxTs: maxTs) { columns.append(.simple(id, kept)) }
            case .complex(let id, var data):
                if purgeable(data.deletion, maxTs) { data.deletion = .live }
                data.cells = data.cells.compactMap { purge($0, maxTs: maxTs) }
                if !data.cells.isEmpty || !data.deletion.isLive { columns.append(.complex(id, data)) }
            }
        }
        row.columns = columns
        return row.isEmpty ? nil : row
    }

    private func purge(_ cell: Cell, maxTs: MaxPurgeableTimestamp) -> Cell? {
        var cell = cell
        if cell.isExpiring && !cell.isLive(nowInSeconds: nowInSeconds) {
            // Cassandra's conversion: an expired cell is a tombstone written at
            // expiry - ttl (when the write happened), so gc_grace counts from the write.
            cell = Cell(timestamp: cell.timestamp, ttl: 0, localDeletionTime: cell.localDeletionTime &- cell.ttl,
                        isTombstone: true, path: cell.path, value: [])
        }
        if cell.isTombstone && gcable(cell.localDeletionTime) && cell.timestamp < maxTs.value { return nil }
        return cell
    }
}

/// For one partition: the smallest timestamp any source outside the compaction may hold
/// for its key; a tombstone must be strictly older to be purged. Computed on first use
/// (it consults bloom filters), since most partitions hold nothing purgeable.
final class MaxPurgeableTimestamp {
    private let compute: () -> Int64
    private var cached: Int64?
    init(_ compute: @escaping () -> Int64) { self.compute = compute }
    var value: Int64 {
        if let cached { return cached }
        let v = compute()
        cached = v
        return v
    }
}
