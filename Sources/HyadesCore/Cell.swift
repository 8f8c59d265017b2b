/// The stable id of a column within its table (assigned by the schema, never reused, so
/// SSTables written before an ALTER still read correctly).
public typealias ColumnID = UInt16

/// One value of one column of one row, with the metadata Cassandra keeps per cell.
public struct Cell: Hashable, Sendable {
    /// Write timestamp in microseconds (CQL `USING TIMESTAMP` / `writetime()`).
    public var timestamp: Int64
    /// Seconds to live as written (`ttl()` reports the remainder); 0 = not expiring.
    public var ttl: Int32
    /// Tombstone: the local time of the deletion (for gc_grace). Expiring cell: the time
    /// it expires. Otherwise `Cell.noDeletionTime`. Seconds since the epoch.
    public var localDeletionTime: Int32
    public var isTombstone: Bool
    /// Byte-comparable path of an element of a non-frozen collection (list index, set
    /// element, map key); empty for a simple column.
    public var path: [UInt8]
    /// The value in its CQL serialized form; empty for a tombstone.
    public var value: [UInt8]

    public static let noDeletionTime = Int32.max

    @inlinable
    public init(timestamp: Int64, ttl: Int32, localDeletionTime: Int32, isTombstone: Bool,
                path: [UInt8] = [], value: [UInt8]) {
        self.timestamp = timestamp
        self.ttl = ttl
        self.localDeletionTime = localDeletionTime
        self.isTombstone = isTombstone
        self.path = path
        self.value = value
    }

    @inlinable
    public static func live(timestamp: Int64, value: [UInt8], path: [UInt8] = []) -> Cell {
        Cell(timestamp: timestamp, ttl: 0, localDeletionTime: noDeletionTime, isTombstone: false, path: path, value: value)
    }

    @inlinable
    public static func expiring(timestamp: Int64, ttl: Int32, nowInSeconds: Int32, value: [UInt8], path: [UInt8] = []) -> Cell {
        precondition(ttl > 0, "an expiring cell needs a positive TTL")
        let (expiry, overflow) = nowInSeconds.addingReportingOverflow(ttl)
        return Cell(timestamp: timestamp, ttl: ttl, localDeletionTime: overflow ? Int32.max - 1 : expiry,
                    isTombstone: false, path: path, value: value)
    }

    @inlinable
    public static func tombstone(timestamp: Int64, nowInSeconds: Int32, path: [UInt8] = []) -> Cell {
        Cell(timestamp: timestamp, ttl: 0, localDeletionTime: nowInSeconds, isTombstone: true, path: path, value: [])
    }

    @inlinable public var isExpiring: Bool { ttl != 0 && !isTombstone }

    /// Live: not a tombstone and not expired at `nowInSeconds`.
    @inlinable public func isLive(nowInSeconds: Int32) -> Bool {
        !isTombstone && (ttl == 0 || nowInSeconds < localDeletionTime)
    }

    /// Cassandra's `Cells.reconcile`: the higher timestamp wins. On a tie a tombstone or
    /// expiring cell beats a plain live one (CASSANDRA-14592, independent of the clock),
    /// a tombstone beats an expiring cell, then the later local deletion time, then the
    /// greater value. Deterministic, so every replica converges.
    @inlinable
    public static func reconcile(_ a: Cell, _ b: Cell) -> Cell {
        if a.timestamp != b.timestamp { return a.timestamp > b.timestamp ? a : b }
        let aDel = a.localDeletionTime != noDeletionTime
        let bDel = b.localDeletionTime != noDeletionTime
        if aDel || bDel {
            if aDel != bDel { return aDel ? a : b }
            if a.isTombstone != b.isTombstone { return a.isTombstone ? a : b }
            if a.localDeletionTime != b.localDeletionTime { return a.localDeletionTime > b.localDeletionTime ? a : b }
        }
        return ByteOrder.compare(a.value, b.value) >= 0 ? a : b
    }
}

/// The cells of a non-frozen collection column in one row, sorted by path, with the
/// collection-level deletion (`SET c = {...}` deletes what was there before).
public struct ComplexColumnData: Hashable, Sendable {
    public var deletion: DeletionTime
    public var cells: [Cell]

    public init(deletion: DeletionTime = .live, cells: [Cell]) {
        self.deletion = deletion
        self.cells = cells
    }
}

/// The data of one column in one row.
public enum ColumnData: Hashable, Sendable {
    case simple(ColumnID, Cell)
    case complex(ColumnID, ComplexColumnData)

    @inlinable public var column: ColumnID {
        switch self {
        case .simple(let id, _), .complex(let id, _): return id
        }
    }
}
