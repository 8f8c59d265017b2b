import HyadesCore

/// One partition in a memtable. Mutated and read only under the memtable's lock.
final class MemtablePartition {
    let key: DecoratedKey
    /// `key` in byte-comparable form (the same storage as the tree's key).
    let keyBytes: [UInt8]
    var deletion: DeletionTime = .live
    /// Sorted by start; may overlap (they are merged on read, as any two sources are).
    var rangeTombstones: [RangeTombstone] = []
    var staticRow: Row?
    /// Sorted by clustering, one row per clustering.
    var rows: [Row] = []

    init(key: DecoratedKey, keyBytes: [UInt8]) {
        self.key = key
        self.keyBytes = keyBytes
    }

    /// Merges an update in with Cassandra's reconciliation. Returns the change in the
    /// estimated memory footprint (bytes).
    func apply(_ update: PartitionUpdate) -> Int {
        var delta = 0
        if update.partitionDeletion > deletion { deletion = update.partitionDeletion }
        if !update.rangeTombstones.isEmpty {
            for rt in update.rangeTombstones where !rangeTombstones.contains(rt) {
                let i = lowerBoundTombstone(rt.start)
                rangeTombstones.insert(rt, at: i)
                delta += 48 + rt.start.count + rt.end.count
            }
        }
        if let s = update.staticRow {
            if let old = staticRow {
                let merged = Reconcile.mergeRows(old, s)
                delta += MemtablePartition.size(of: merged) - MemtablePartition.size(of: old)
                staticRow = merged
            } else {
                staticRow = s
                delta += MemtablePartition.size(of: s)
            }
        }
        if rows.isEmpty {
            rows = update.rows
            for r in update.rows { delta += MemtablePartition.size(of: r) }
            return delta
        }
        for r in update.rows {
            // Appending in clustering order is the common case (time series, bulk load).
            if let last = rows.last, ByteOrder.compare(last.clustering, r.clustering) < 0 {
                rows.append(r)
                delta += MemtablePartition.size(of: r)
                continue
            }
            let i = lowerBoundRow(r.clustering)
            if i < rows.count && ByteOrder.compare(rows[i].clustering, r.clustering) == 0 {
                let merged = Reconcile.mergeRows(rows[i], r)
                delta += MemtablePartition.size(of: merged) - MemtablePartition.size(of: rows[i])
                rows[i] = merged
            } else {
                rows.insert(r, at: i)
                delta += MemtablePartition.size(of: r)
            }
        }
        return delta
    }

    func lowerBoundRow(_ clustering: [UInt8]) -> Int {
        var lo = 0, hi = rows.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if ByteOrder.compare(rows[mid].clustering, clustering) < 0 { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    private func lowerBoundTombstone(_ start: [UInt8]) -> Int {
        var lo = 0, hi = rangeTombstones.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if ByteOrder.compare(rangeTombstones[mid].start, start) <= 0 { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// An estimate of a row's heap footprint: arrays, cells and their bytes. Only has to
    /// be proportional to the truth for the flush threshold to work.
    static func size(of row: Row) -> Int {
        var n = 64 + row.clustering.count
        for c in row.columns {
            switch c {
            case .simple(_, let cell): n += 48 + cell.value.count + cell.path.count
            case .complex(_, let d):
                n += 48
                for cell in d.cells { n += 48 + cell.value.count + cell.path.count }
            }
        }
        return n
    }

    static func baseSize(_ key: DecoratedKey) -> Int { 128 + 2 * key.key.count + 8 }
}
