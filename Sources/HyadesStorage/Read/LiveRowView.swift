import HyadesCore

/// One live row as `TableStore.forEachLiveRow` / `readLiveRows` hand it to a visitor:
/// tombstones, shadowed and expired data already removed (the same liveness rules as
/// `FilteredPartitionIterator`), only the projected columns. Every pointer in it is valid
/// ONLY inside the callback that received the view: the query layer encodes it straight
/// into a response frame; copy what must outlive it (`row()`, `decoratedKey()`).
///
/// A partition is seen as its live static row (`isStatic`, first) then its live rows in
/// clustering order; a partition with nothing live is not seen at all.
public struct LiveRowView {
    public var isStatic: Bool
    /// The partition key in byte-comparable form (8-byte sign-flipped big-endian token +
    /// serialized key).
    public var partitionKey: UnsafeRawBufferPointer
    /// Byte-comparable clustering; empty for static rows and tables without clustering.
    public var clustering: UnsafeRawBufferPointer
    /// The row's primary-key liveness when live, else `.empty`.
    public var liveness: LivenessInfo
    /// The live projected columns, by increasing column id (collections: their live cells;
    /// `complexDeletion` is always live here).
    public var columns: UnsafeBufferPointer<SSTableColumnView>
    /// The live cells of `columns`, column after column (never tombstones or expired).
    public var cells: UnsafeBufferPointer<SSTableCellView>

    @inlinable public var token: Token {
        var t: UInt64 = 0
        for i in 0..<8 { t = (t << 8) | UInt64(partitionKey[i]) }
        return Token(byteComparable: t)
    }

    /// The serialized partition key (what Murmur3 hashes).
    @inlinable public var key: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: partitionKey[8...]) }

    /// The live column `id` of this row, if it has one (binary search over `columns`):
    /// encoders walking a result's columns in metadata order look each one up.
    @inlinable public func column(_ id: ColumnID) -> SSTableColumnView? {
        var lo = 0, hi = columns.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if columns[mid].column < id { lo = mid + 1 } else { hi = mid }
        }
        return lo < columns.count && columns[lo].column == id ? columns[lo] : nil
    }

    /// The live value of simple column `id`, valid only inside the callback.
    @inlinable public func value(_ id: ColumnID) -> UnsafeRawBufferPointer? {
        guard let c = column(id), !c.isComplex else { return nil }
        return cells[Int(c.firstCell)].value
    }

    /// A copy of the partition key that owns its bytes (allocates).
    public func decoratedKey() -> DecoratedKey { DecoratedKey(token: token, key: Array(key)) }

    /// A copy of the row that owns its bytes (allocates): what `FilteredPartitionIterator`
    /// returns for the same row.
    public func row() -> Row {
        var data: [ColumnData] = []
        data.reserveCapacity(columns.count)
        for c in columns {
            if c.isComplex {
                data.append(.complex(c.column, ComplexColumnData(cells: c.cells.map { cells[$0].cell() })))
            } else {
                data.append(.simple(c.column, cells[Int(c.firstCell)].cell()))
            }
        }
        return Row(clustering: Array(clustering), liveness: liveness, columns: data)
    }
}

/// Reusable memory for the views a visitor receives when they cannot point at the source
/// directly (some cells filtered out, or a merged `Row` copied in). Grows, never shrinks;
/// one per read call, so nothing is allocated per row once it has grown.
final class LiveRowScratch {
    private(set) var columns: UnsafeMutablePointer<SSTableColumnView>
    private(set) var columnCapacity: Int
    private(set) var cells: UnsafeMutablePointer<SSTableCellView>
    private(set) var cellCapacity: Int
    private(set) var bytes: UnsafeMutableRawPointer
    private(set) var byteCapacity: Int

    init() {
        columnCapacity = 16
        cellCapacity = 16
        byteCapacity = 1024
        columns = .allocate(capacity: columnCapacity)
        cells = .allocate(capacity: cellCapacity)
        bytes = .allocate(byteCount: byteCapacity, alignment: 8)
    }

    deinit {
        columns.deallocate()
        cells.deallocate()
        bytes.deallocate()
    }

    /// Makes room; invalidates every pointer handed out before.
    func reserve(columns c: Int, cells n: Int, bytes b: Int) {
        if c > columnCapacity {
            columns.deallocate()
            columnCapacity = max(c, columnCapacity * 2)
            columns = .allocate(capacity: columnCapacity)
        }
        if n > cellCapacity {
            cells.deallocate()
            cellCapacity = max(n, cellCapacity * 2)
            cells = .allocate(capacity: cellCapacity)
        }
        if b > byteCapacity {
            bytes.deallocate()
            byteCapacity = max(b, byteCapacity * 2)
            bytes = .allocate(byteCount: byteCapacity, alignment: 8)
        }
    }
}
