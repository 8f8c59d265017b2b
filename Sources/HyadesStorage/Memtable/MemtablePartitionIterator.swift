import HyadesCore

/// Streams a memtable's partitions and rows in batches copied under its lock.
final class MemtablePartitionIterator: UnfilteredPartitionIterator {
    /// The cursor in one struct: one exclusive access per call, not one per field.
    private var cursor: MemtableCursor

    init(memtable: Memtable, range: PartitionRange, singleKey: [UInt8]?, slices: Slices, columns: ColumnFilter) {
        cursor = MemtableCursor(memtable: memtable, range: range, singleKey: singleKey, slices: slices, columns: columns)
    }

    func nextPartition() throws -> PartitionHeader? { cursor.nextPartition() }

    func nextRow() throws -> Row? { cursor.nextRow() }
}

/// The memtable iterator's state and logic (see `MemtablePartitionIterator`).
struct MemtableCursor {
    static let partitionBatchSize = 64
    static let rowBatchSize = 128

    let memtable: Memtable
    let range: PartitionRange
    let singleKey: [UInt8]?
    let slices: Slices
    let columns: ColumnFilter

    var pending: [(keyBytes: [UInt8], header: PartitionHeader, partition: MemtablePartition)] = []
    var pendingIndex = 0
    var lastKey: [UInt8]?
    var done = false

    var current: MemtablePartition?
    var sliceIndex = 0
    var lastClustering: [UInt8]?
    var rows: [Row] = []
    var rowIndex = 0
    var sliceExhausted = false

    init(memtable: Memtable, range: PartitionRange, singleKey: [UInt8]?, slices: Slices, columns: ColumnFilter) {
        self.memtable = memtable
        self.range = range
        self.singleKey = singleKey
        self.slices = slices
        self.columns = columns
    }

    mutating func nextPartition() -> PartitionHeader? {
        current = nil
        if done { return nil }
        if pendingIndex >= pending.count {
            let limit = singleKey == nil ? Self.partitionBatchSize : 1
            if let lastKey {
                pending = memtable.partitionBatch(from: lastKey, exclusive: true, limit: limit, columns: columns)
            } else {
                pending = memtable.partitionBatch(from: range.lower, exclusive: false, limit: limit, columns: columns)
            }
            pendingIndex = 0
            if pending.isEmpty { done = true; return nil }
        }
        let entry = pending[pendingIndex]
        pendingIndex += 1
        if let singleKey {
            done = true
            if ByteOrder.compare(entry.keyBytes, singleKey) != 0 { return nil }
        } else if let upper = range.upper, ByteOrder.compare(entry.keyBytes, upper) >= 0 {
            done = true
            return nil
        }
        lastKey = entry.keyBytes
        current = entry.partition
        sliceIndex = 0
        lastClustering = nil
        rows = []
        rowIndex = 0
        sliceExhausted = false
        return entry.header
    }

    mutating func nextRow() -> Row? {
        guard let p = current else { return nil }
        while true {
            if rowIndex < rows.count {
                let r = rows[rowIndex]
                rowIndex += 1
                lastClustering = r.clustering
                return r
            }
            if sliceExhausted {
                sliceIndex += 1
                sliceExhausted = false
                lastClustering = nil
            }
            guard sliceIndex < slices.slices.count else { current = nil; return nil }
            let slice = slices.slices[sliceIndex]
            rows = memtable.rowBatch(p, slice: slice, after: lastClustering, limit: Self.rowBatchSize, columns: columns)
            rowIndex = 0
            if rows.count < Self.rowBatchSize { sliceExhausted = true }
            if rows.isEmpty { continue }
        }
    }
}
