import HyadesCore

/// One memtable partition as a merged scan reads it: copy-on-write copies of its header
/// and rows taken under the memtable's lock (`Memtable.partitionSnapshots`).
struct MemtablePartitionSnapshot {
    let keyBytes: [UInt8]
    let header: PartitionHeader
    let rows: [Row]
}

/// One memtable's partitions in a range for `MergedScan`, a batch of snapshots per lock
/// (the memtable iterator's lock and row array per partition cost more than the rows).
/// `head` is the next partition's key in memory of the cursor's own, so the merge can
/// hold a pointer to it while another source walks.
struct MemtableScanCursor {
    static let batchSize = 64

    let memtable: Memtable
    let upper: [UInt8]?
    var batch: [MemtablePartitionSnapshot] = []
    var index = 0
    var exhausted = false
    /// `current`'s byte-comparable key; freed by the owner (`release`).
    var key: UnsafeMutableRawPointer
    var keyCapacity = 64
    var keyCount = 0

    init(memtable: Memtable, range: PartitionRange) {
        self.memtable = memtable
        self.upper = range.upper
        key = .allocate(byteCount: keyCapacity, alignment: 8)
        fill(from: range.lower, exclusive: false)
    }

    func release() { key.deallocate() }

    /// The partition at `head`.
    var current: MemtablePartitionSnapshot { batch[index] }

    var head: UnsafeRawBufferPointer? { exhausted ? nil : UnsafeRawBufferPointer(start: key, count: keyCount) }

    mutating func advance() {
        index += 1
        if index < batch.count {
            setKey()
        } else if batch.count < Self.batchSize {
            exhausted = true
        } else {
            fill(from: batch[batch.count - 1].keyBytes, exclusive: true)
        }
    }

    private mutating func fill(from lower: [UInt8], exclusive: Bool) {
        batch = memtable.partitionSnapshots(from: lower, exclusive: exclusive, limit: Self.batchSize)
        index = 0
        if batch.isEmpty { exhausted = true } else { setKey() }
    }

    private mutating func setKey() {
        let k = batch[index].keyBytes
        if let upper, ByteOrder.compare(k, upper) >= 0 {
            exhausted = true
            return
        }
        if k.count > keyCapacity {
            key.deallocate()
            keyCapacity = max(k.count, keyCapacity * 2)
            key = .allocate(byteCount: keyCapacity, alignment: 8)
        }
        k.withUnsafeBytes { key.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        keyCount = k.count
    }
}
