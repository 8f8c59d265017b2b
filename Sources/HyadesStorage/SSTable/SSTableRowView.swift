import HyadesCore

/// One cell as `SSTableReader.forEachRow` / `readPartition` hand it out: decoded in place,
/// its path and value pointing into the block's (decompressed) segment memory. Valid only
/// inside the callback that received the row view.
public struct SSTableCellView {
    public var column: ColumnID
    public var isTombstone: Bool
    public var timestamp: Int64
    public var ttl: Int32
    public var localDeletionTime: Int32
    /// Collection cells' `CellPath` bytes; empty for simple cells.
    public var path: UnsafeRawBufferPointer
    public var value: UnsafeRawBufferPointer

    /// A copy that owns its bytes (allocates; tests and slow paths).
    public func cell() -> Cell {
        Cell(timestamp: timestamp, ttl: ttl, localDeletionTime: localDeletionTime, isTombstone: isTombstone,
             path: Array(path), value: Array(value))
    }
}

/// One projected column of a row: a simple cell, or a non-frozen collection (its deletion
/// and its run of cells). `cells` indexes `SSTableRowView.cells`.
public struct SSTableColumnView {
    public var column: ColumnID
    public var isComplex: Bool
    /// The collection deletion (live for simple columns and undeleted collections).
    public var complexDeletion: DeletionTime
    public var firstCell: Int32
    public var cellCount: Int32

    @inlinable public var cells: Range<Int> { Int(firstCell)..<(Int(firstCell) + Int(cellCount)) }
}

/// A row decoded in place by the zero-allocation read paths. Every pointer in it points
/// into the block being read (or reader-owned scratch) and is valid ONLY inside the callback
/// that received the view; copy what must outlive it (`row()`, `decoratedKey()`).
///
/// Kinds: `.row` and `.staticRow` carry a row; `.partition` carries no row (empty
/// clustering, no columns) and is delivered once, before the partition's rows, for every
/// partition whose deletion is not live or which has range tombstones, so a consumer sees
/// every tombstone even of a partition without rows. A partition with neither is seen
/// only through its rows.
public struct SSTableRowView {
    public enum Kind: UInt8, Sendable {
        case partition = 0
        case staticRow = 1
        case row = 2
    }

    public var kind: Kind
    /// The partition key in byte-comparable form (8-byte sign-flipped big-endian token +
    /// serialized key): memcmp order is ring order.
    public var partitionKey: UnsafeRawBufferPointer
    public var partitionDeletion: DeletionTime
    /// The partition's range tombstones (rare: an empty array for almost every partition).
    public var rangeTombstones: [RangeTombstone]
    /// Byte-comparable clustering (`ClusteringEncoding`); empty for static rows, for
    /// `.partition` views and for tables without clustering columns.
    public var clustering: UnsafeRawBufferPointer
    public var liveness: LivenessInfo
    public var deletion: DeletionTime
    /// The projected columns that have data in this row, by increasing column id.
    public var columns: UnsafeBufferPointer<SSTableColumnView>
    /// The cells of `columns`, column after column.
    public var cells: UnsafeBufferPointer<SSTableCellView>
    /// `columns` may hold columns outside the read's projection: a liveness-checking read
    /// (`livenessAt:`) fetched every column of this row to decide whether it lives.
    public var hasUnqueriedColumns = false

    @inlinable public var isStatic: Bool { kind == .staticRow }

    /// The partition's token (from the first 8 bytes of the byte-comparable key).
    @inlinable public var token: Token {
        var t: UInt64 = 0
        for i in 0..<8 { t = (t << 8) | UInt64(partitionKey[i]) }
        return Token(byteComparable: t)
    }

    /// The serialized partition key (what Murmur3 hashes).
    @inlinable public var key: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: partitionKey[8...]) }

    /// A copy of the partition key that owns its bytes (allocates).
    public func decoratedKey() -> DecoratedKey { DecoratedKey(token: token, key: Array(key)) }

    /// A copy of the row that owns its bytes (allocates): what the iterator path returns.
    public func row() -> Row {
        var data: [ColumnData] = []
        data.reserveCapacity(columns.count)
        for c in columns {
            if c.isComplex {
                data.append(.complex(c.column, ComplexColumnData(deletion: c.complexDeletion, cells: c.cells.map { cells[$0].cell() })))
            } else {
                data.append(.simple(c.column, cells[Int(c.firstCell)].cell()))
            }
        }
        return Row(clustering: Array(clustering), liveness: liveness, deletion: deletion, columns: data)
    }
}
