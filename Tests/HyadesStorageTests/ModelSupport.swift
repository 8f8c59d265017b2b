import HyadesCore
@testable import HyadesStorage

/// A deterministic PRNG (SplitMix64) so every model run replays from its seed.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The test table's shape: pk int, ck int, v1 int, v2 blob, s static int, m collection.
enum ModelSchema {
    static let table = TableID(high: 0x1234, low: 0x5678)
    static let v1: ColumnID = 1
    static let v2: ColumnID = 2
    static let s: ColumnID = 3
    static let m: ColumnID = 4

    static func key(_ pk: Int) -> DecoratedKey {
        let v = UInt32(pk)
        return DecoratedKey(key: [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)])
    }

    /// `0x40` + 4-byte big-endian: a one-component byte-comparable clustering.
    static func clustering(_ ck: Int) -> [UInt8] {
        let v = UInt32(ck)
        return [0x40, UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }
}

/// The obviously-correct model: every cell reconciled independently, every deletion kept,
/// liveness decided at read time by comparing timestamps.
struct Model {
    struct ModelRow {
        var liveness = LivenessInfo.empty
        var deletion = DeletionTime.live
        var cells: [ColumnID: Cell] = [:]
        var complexDeletion = DeletionTime.live
        var complexCells: [[UInt8]: Cell] = [:]
    }
    struct Partition {
        var deletion = DeletionTime.live
        var rangeTombstones: [RangeTombstone] = []
        var staticCells: [ColumnID: Cell] = [:]
        var rows: [[UInt8]: ModelRow] = [:]
    }
    var partitions: [DecoratedKey: Partition] = [:]

    mutating func apply(_ u: PartitionUpdate) {
        var p = partitions[u.key] ?? Partition()
        p.deletion = max(p.deletion, u.partitionDeletion)
        p.rangeTombstones += u.rangeTombstones
        if let s = u.staticRow {
            for c in s.columns {
                if case .simple(let id, let cell) = c { p.staticCells[id] = p.staticCells[id].map { Cell.reconcile($0, cell) } ?? cell }
            }
        }
        for r in u.rows {
            var m = p.rows[r.clustering] ?? ModelRow()
            m.liveness = LivenessInfo.merge(m.liveness, r.liveness)
            m.deletion = max(m.deletion, r.deletion)
            for c in r.columns {
                switch c {
                case .simple(let id, let cell):
                    m.cells[id] = m.cells[id].map { Cell.reconcile($0, cell) } ?? cell
                case .complex(_, let d):
                    m.complexDeletion = max(m.complexDeletion, d.deletion)
                    for cell in d.cells { m.complexCells[cell.path] = m.complexCells[cell.path].map { Cell.reconcile($0, cell) } ?? cell }
                }
            }
            p.rows[r.clustering] = m
        }
        partitions[u.key] = p
    }

    /// The live rows of a partition in `slices`, projected, and its live static row.
    func read(_ key: DecoratedKey, slices: Slices, columns: ColumnFilter, now: Int32) -> (staticRow: Row?, rows: [Row])? {
        guard let p = partitions[key] else { return nil }
        var staticRow: Row?
        var staticColumns: [ColumnData] = []
        for (id, cell) in p.staticCells.sorted(by: { $0.key < $1.key }) where columns.includes(id) {
            if cell.isLive(nowInSeconds: now) && !p.deletion.deletes(timestamp: cell.timestamp) {
                staticColumns.append(.simple(id, cell))
            }
        }
        if !staticColumns.isEmpty { staticRow = Row(clustering: [], columns: staticColumns) }
        var rows: [Row] = []
        for ck in p.rows.keys.sorted(by: { ByteOrder.compare($0, $1) < 0 }) where slices.contains(ck) {
            let m = p.rows[ck]!
            var del = max(p.deletion, m.deletion)
            for rt in p.rangeTombstones where rt.covers(ck) { del = max(del, rt.deletion) }
            var out = Row(clustering: ck)
            if m.liveness.isLive(nowInSeconds: now) && !del.deletes(timestamp: m.liveness.timestamp) { out.liveness = m.liveness }
            // Fetched vs queried: any live cell of any column keeps the row alive; only the
            // queried columns come back.
            var anyLive = false
            for (id, cell) in m.cells.sorted(by: { $0.key < $1.key }) {
                guard cell.isLive(nowInSeconds: now) && !del.deletes(timestamp: cell.timestamp) else { continue }
                anyLive = true
                if columns.includes(id) { out.columns.append(.simple(id, cell)) }
            }
            let cdel = max(del, m.complexDeletion)
            let cells = m.complexCells.values
                .filter { $0.isLive(nowInSeconds: now) && !cdel.deletes(timestamp: $0.timestamp) }
                .sorted { ByteOrder.compare($0.path, $1.path) < 0 }
            if !cells.isEmpty {
                anyLive = true
                if columns.includes(ModelSchema.m) { out.columns.append(.complex(ModelSchema.m, ComplexColumnData(cells: cells))) }
            }
            if !out.liveness.isEmpty || anyLive { rows.append(out) }
        }
        if staticRow == nil && rows.isEmpty { return nil }
        return (staticRow, rows)
    }
}

/// Everything a filtered read returned, for comparison with the model.
struct ReadResult: Equatable, CustomStringConvertible {
    var key: DecoratedKey
    var staticRow: Row?
    var rows: [Row]
    var description: String {
        "\n  pk \(key.key.last!) static=\(staticRow.map(brief) ?? "-") rows=[\(rows.map(brief).joined(separator: "; "))]"
    }
}

/// A short form of a row for failure messages.
func brief(_ r: Row) -> String {
    var parts: [String] = []
    if !r.clustering.isEmpty { parts.append("ck\(r.clustering.last!)") }
    if !r.liveness.isEmpty { parts.append("L@\(r.liveness.timestamp % 100_000_000)\(r.liveness.ttl > 0 ? "ttl\(r.liveness.ttl)" : "")") }
    if !r.deletion.isLive { parts.append("D@\(r.deletion.markedForDeleteAt % 100_000_000)") }
    for c in r.columns {
        switch c {
        case .simple(let id, let cell): parts.append("c\(id)@\(cell.timestamp % 100_000_000)\(cell.isTombstone ? "X" : "")")
        case .complex(let id, let d):
            parts.append("m\(id){" + d.cells.map { "\($0.path)@\($0.timestamp % 100_000_000)" }.joined(separator: ",") + "}")
        }
    }
    return parts.joined(separator: " ")
}

func drain(_ it: FilteredPartitionIterator) throws -> [ReadResult] {
    var out: [ReadResult] = []
    while let (key, s) = try it.nextPartition() {
        var rows: [Row] = []
        while let r = try it.nextRow() { rows.append(r) }
        out.append(ReadResult(key: key, staticRow: s, rows: rows))
    }
    return out
}

/// Collects what the streaming visitor API hands out into the same shape as `drain`.
func drainLive(_ visit: ((borrowing LiveRowView) throws -> Bool) throws -> Void) throws -> [ReadResult] {
    var out: [ReadResult] = []
    try visit { v in
        let key = v.decoratedKey()
        if out.last?.key != key { out.append(ReadResult(key: key, staticRow: nil, rows: [])) }
        if v.isStatic { out[out.count - 1].staticRow = v.row() } else { out[out.count - 1].rows.append(v.row()) }
        return true
    }
    return out
}
