import HyadesCore

/// Streams a memtable's partitions and rows in batches copied under its lock.
final class MemtablePartitionIterator: UnfilteredPartitionIterator {
    private static let partitionBatchSize = 64
    private static let rowBatchSize = 128

    private let memtable: Memtable
    private let range: PartitionRange
    private let singleKey: [UInt8]?
    private let slices: Slices
    private let columns: ColumnFilter

    private var pending: [(keyBytes: [UInt8], header: PartitionHeader, partition: MemtablePartition)] = []
    private var pendingIndex = 0
    private var lastKey: [UInt8]?
    private var done = false

    private var current: MemtablePartition?
    private var sliceIndex = 0
    private var lastClustering: [UInt8]?
    private var rows: [Row] = []
    private var rowIndex = 0
    private var sliceExhausted = false

    init(memtable: Memtable, range: PartitionRange, singleKey: [UInt8]?, slices: Slices, columns: ColumnFilter) {
        self.memtable = memtable
        self.range = range
        self.singleKey = singleKey
        self.slices = slices
        self.columns = columns
    }

    func nextPartition() throws -> PartitionHeader? {
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

    func nextRow() throws -> Row? {
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
