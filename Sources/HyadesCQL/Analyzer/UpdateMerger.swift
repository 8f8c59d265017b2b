import HyadesCore

/// Accumulates rows, tombstones and deletions per (table, partition) and produces
/// `PartitionUpdate`s with rows sorted by clustering and at most one row per clustering,
/// merging what several statements (a batch) or IN values wrote to the same place with
/// Cassandra's reconciliation rules.
struct UpdateMerger {
    struct Key: Hashable {
        var table: TableID
        var key: [UInt8]
    }

    struct Partial {
        var key: DecoratedKey
        var partitionDeletion = DeletionTime.live
        var staticRow: Row?
        var rangeTombstones: [RangeTombstone] = []
        var rows: [[UInt8]: Row] = [:]
    }

    var order: [Key] = []
    var partitions: [Key: Partial] = [:]

    mutating func with(_ table: TableID, _ key: DecoratedKey, _ body: (inout Partial) -> Void) {
        let k = Key(table: table, key: key.key)
        if partitions[k] == nil {
            partitions[k] = Partial(key: key)
            order.append(k)
        }
        body(&partitions[k]!)
    }

    mutating func add(_ table: TableID, _ key: DecoratedKey, row: Row, isStatic: Bool) {
        with(table, key) { p in
            if isStatic {
                p.staticRow = p.staticRow.map { Self.merge($0, row) } ?? row
            } else {
                p.rows[row.clustering] = p.rows[row.clustering].map { Self.merge($0, row) } ?? row
            }
        }
    }

    mutating func deletePartition(_ table: TableID, _ key: DecoratedKey, _ deletion: DeletionTime) {
        with(table, key) { p in p.partitionDeletion = max(p.partitionDeletion, deletion) }
    }

    mutating func addRangeTombstone(_ table: TableID, _ key: DecoratedKey, _ rt: RangeTombstone) {
        with(table, key) { p in p.rangeTombstones.append(rt) }
    }

    func updates() -> [PartitionUpdate] {
        order.map { k in
            let p = partitions[k]!
            let rows = p.rows.values.sorted { ByteOrder.compare($0.clustering, $1.clustering) < 0 }
            return PartitionUpdate(table: k.table, key: p.key, partitionDeletion: p.partitionDeletion,
                                   staticRow: p.staticRow, rangeTombstones: p.rangeTombstones, rows: rows)
        }
    }

    static func merge(_ a: Row, _ b: Row) -> Row {
        var out = Row(clustering: a.clustering, liveness: LivenessInfo.merge(a.liveness, b.liveness),
                      deletion: max(a.deletion, b.deletion))
        if a.liveness.isEmpty { out.liveness = b.liveness } else if b.liveness.isEmpty { out.liveness = a.liveness }
        var byID: [ColumnID: ColumnData] = [:]
        for c in a.columns + b.columns {
            if let existing = byID[c.column] { byID[c.column] = merge(existing, c) } else { byID[c.column] = c }
        }
        out.columns = byID.keys.sorted().map { byID[$0]! }
        return out
    }

    static func merge(_ a: ColumnData, _ b: ColumnData) -> ColumnData {
        switch (a, b) {
        case (.simple(let id, let x), .simple(_, let y)):
            return .simple(id, Cell.reconcile(x, y))
        case (.complex(let id, let x), .complex(_, let y)):
            var cells: [[UInt8]: Cell] = [:]
            for c in x.cells + y.cells { cells[c.path] = cells[c.path].map { Cell.reconcile($0, c) } ?? c }
            let sorted = cells.values.sorted { ByteOrder.compare($0.path, $1.path) < 0 }
            return .complex(id, ComplexColumnData(deletion: max(x.deletion, y.deletion), cells: sorted))
        default:
            return b
        }
    }

    /// Column data sorted by column id, several operations on one column (`m['a'] = 1,
    /// m['b'] = 2`) merged into one entry. Linear after the sort: rows of wide tables are
    /// built once per write.
    static func combine(_ data: [ColumnData]) -> [ColumnData] {
        if data.count < 2 { return data }
        var sorted = data
        if !zip(data, data.dropFirst()).allSatisfy({ $0.column < $1.column }) {
            sorted = data.enumerated().sorted { ($0.element.column, $0.offset) < ($1.element.column, $1.offset) }.map(\.element)
        }
        var out: [ColumnData] = []
        out.reserveCapacity(sorted.count)
        for d in sorted {
            if let last = out.last, last.column == d.column {
                out[out.count - 1] = merge(last, d)
            } else {
                out.append(d)
            }
        }
        return out
    }
}
