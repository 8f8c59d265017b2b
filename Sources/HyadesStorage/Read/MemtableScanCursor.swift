import HyadesCore

/// A batch of memtable partitions as a merged scan reads them: flat copies of their keys,
/// rows and cells (bytes in one arena) taken under the memtable's lock
/// (`Memtable.copyPartitions`), handed on as `SSTableRowView`s, so a partition one
/// memtable alone holds goes through `LiveRowFilter` like an SSTable's.
///
/// Why flat copies rather than `Row` snapshots: the memtable's rows are scattered heap
/// objects (partition, row array, column array, one array per value). Retaining them into
/// snapshots, then copying `Row`s through shadowing, liveness and the adapter, cost a
/// retain (an atomic on a cold cache line, which also stops the CPU overlapping the
/// misses) per object per step; copying the bytes once touches each line once, and
/// nothing is allocated per row once the buffers have grown.
final class MemtableBatch {
    struct Partition {
        var key: Range<Int>
        var deletion: DeletionTime
        var rangeTombstones: [RangeTombstone]
        /// Indexes `rows`: the static row (if any) first.
        var rows: Range<Int>
    }

    // Unchecked exclusivity: one scan owns the batch and touches it from one thread.
    @exclusivity(unchecked) var partitions: [Partition] = []
    @exclusivity(unchecked) var rows: [CopiedPartition.CopiedRow] = []
    /// `firstCell` indexes `cells` / `cellViews`.
    @exclusivity(unchecked) var columns: [SSTableColumnView] = []
    @exclusivity(unchecked) var cells: [CopiedPartition.CopiedCell] = []
    /// `cells` as views into `bytes`, after `resolve`.
    @exclusivity(unchecked) var cellViews: [SSTableCellView] = []
    /// The copied bytes (keys, clusterings, paths, values).
    let arena = BlockOutputBuffer(capacity: 16384)

    func reset() {
        partitions.removeAll(keepingCapacity: true)
        rows.removeAll(keepingCapacity: true)
        columns.removeAll(keepingCapacity: true)
        cells.removeAll(keepingCapacity: true)
        cellViews.removeAll(keepingCapacity: true)
        arena.count = 0
    }

    @inline(__always)
    private func put(_ b: UnsafeRawBufferPointer) -> Range<Int> { arena.put(b) }

    /// What `Memtable.copyPartitions` takes under the lock: references to the partitions'
    /// (copy-on-write) parts, copied into the arena after the lock is released (so two
    /// scans, and the writers, do not wait for each other's cache misses).
    struct Reference {
        var keyBytes: [UInt8]
        var deletion: DeletionTime
        var rangeTombstones: [RangeTombstone]
        var staticRow: Row?
        var rows: [Row]
    }

    @exclusivity(unchecked) var references: [Reference] = []

    /// Takes references to partition `p`. Only under the memtable's lock.
    @inline(__always)
    func reference(_ p: MemtablePartition) {
        references.append(Reference(keyBytes: p.keyBytes, deletion: p.deletion, rangeTombstones: p.rangeTombstones,
                                    staticRow: p.staticRow, rows: p.rows))
    }

    /// Plain loads of what the copy will read, level by level over the whole batch: the
    /// partitions' lines are scattered over the heap, and independent loads let the CPU
    /// fetch many at once, where the copy's retains (atomics) would take one miss at a
    /// time. The sum only keeps the loads from being optimized away.
    @exclusivity(unchecked) private var touched = 0
    @exclusivity(unchecked) var touchedUnderLock = 0

    /// Copies the referenced partitions into the arena and drops the references.
    func copyReferences() {
        references.withUnsafeBufferPointer { refs in
            var sum = 0
            for i in refs.indices {
                refs[i].rows.withUnsafeBufferPointer { rs in
                    for r in rs.indices { sum &+= rs[r].columns.count }
                }
            }
            for i in refs.indices {
                refs[i].rows.withUnsafeBufferPointer { rs in
                    for r in rs.indices {
                        rs[r].columns.withUnsafeBufferPointer { cs in
                            for j in cs.indices {
                                // The header and the value's last byte: a value may span two lines.
                                if case .simple(_, let cell) = cs[j] { sum &+= cell.value.count &+ Int(cell.value.last ?? 0) }
                            }
                        }
                    }
                }
            }
            touched = sum
            for i in refs.indices { append(refs[i]) }
        }
        references.removeAll(keepingCapacity: true)
        resolve()
    }

    private func append(_ p: borrowing Reference) {
        let key = p.keyBytes.withUnsafeBytes { put($0) }
        let firstRow = rows.count
        if let s = p.staticRow { append(s, kind: .staticRow) }
        p.rows.withUnsafeBufferPointer { rs in
            for i in rs.indices { append(rs[i], kind: .row) }
        }
        partitions.append(Partition(key: key, deletion: p.deletion, rangeTombstones: p.rangeTombstones,
                                    rows: firstRow..<rows.count))
    }

    @inline(__always)
    private func append(_ r: borrowing Row, kind: SSTableRowView.Kind) {
        let firstColumn = columns.count
        let clustering = r.clustering.withUnsafeBytes { put($0) }
        r.columns.withUnsafeBufferPointer { cs in
            for j in cs.indices {
                let first = cells.count
                switch cs[j] {
                case .simple(let id, let cell):
                    cells.append(copy(id, cell))
                    columns.append(SSTableColumnView(column: id, isComplex: false, complexDeletion: .live,
                                                     firstCell: Int32(first), cellCount: 1))
                case .complex(let id, let d):
                    for cell in d.cells { cells.append(copy(id, cell)) }
                    columns.append(SSTableColumnView(column: id, isComplex: true, complexDeletion: d.deletion,
                                                     firstCell: Int32(first), cellCount: Int32(cells.count - first)))
                }
            }
        }
        rows.append(CopiedPartition.CopiedRow(kind: kind, clustering: clustering, liveness: r.liveness, deletion: r.deletion,
                                              columns: firstColumn..<columns.count))
    }

    @inline(__always)
    private func copy(_ id: ColumnID, _ cell: borrowing Cell) -> CopiedPartition.CopiedCell {
        CopiedPartition.CopiedCell(column: id, isTombstone: cell.isTombstone, timestamp: cell.timestamp, ttl: cell.ttl,
                                   localDeletionTime: cell.localDeletionTime, path: cell.path.withUnsafeBytes { put($0) },
                                   value: cell.value.withUnsafeBytes { put($0) })
    }

    /// Fills `cellViews` (call when the batch is complete: the arena no longer moves).
    func resolve() {
        cellViews.reserveCapacity(cells.count)
        for c in cells { cellViews.append(c.view(in: arena)) }
    }

    @inline(__always) func view(_ r: Range<Int>) -> UnsafeRawBufferPointer { arena.view(r) }

    /// Hands the rows of partition `i` (static row first) to `body` as raw views, every
    /// column included: `hasUnqueriedColumns` says whether some are outside `queried`
    /// (liveness needs them all, the visitor gets only the queried ones). Returns false
    /// when `body` did.
    @inline(__always)
    func visit(_ i: Int, queried: ColumnFilter, _ body: (borrowing SSTableRowView) throws -> Bool) rethrows -> Bool {
        let p = partitions[i]
        let key = view(p.key)
        return try columns.withUnsafeBufferPointer { cols in
            try cellViews.withUnsafeBufferPointer { cells in
                for ri in p.rows {
                    let r = rows[ri]
                    let cv = UnsafeBufferPointer(rebasing: cols[r.columns])
                    var wide = false
                    if queried.columns != nil {
                        for c in cv where !queried.includes(c.column) {
                            wide = true
                            break
                        }
                    }
                    let v = SSTableRowView(kind: r.kind, partitionKey: key, partitionDeletion: p.deletion,
                                           rangeTombstones: p.rangeTombstones, clustering: view(r.clustering),
                                           liveness: r.liveness, deletion: r.deletion, columns: cv, cells: cells,
                                           hasUnqueriedColumns: wide)
                    if !(try body(v)) { return false }
                }
                return true
            }
        }
    }

    /// Copies partition `i` (every column) into `copy`, a source of a merge.
    func copy(_ i: Int, into copy: CopiedPartition) {
        let p = partitions[i]
        copy.deletion = p.deletion
        copy.rangeTombstones = p.rangeTombstones
        visit(i, queried: .all) { v in
            copy.append(v)
            return true
        }
    }
}

/// One memtable's partitions in a range for `MergedScan`, a batch of flat copies per
/// lock (`MemtableBatch`). `head` is the next partition's key in memory of the cursor's
/// own, so the merge can hold a pointer to it while another source walks.
struct MemtableScanCursor {
    static let batchSize = 64

    let memtable: Memtable
    let upper: [UInt8]?
    let batch = MemtableBatch()
    /// The partition at `head`, in `batch.partitions`.
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

    var head: UnsafeRawBufferPointer? { exhausted ? nil : UnsafeRawBufferPointer(start: key, count: keyCount) }

    mutating func advance() {
        index += 1
        if index < batch.partitions.count {
            setKey()
        } else if batch.partitions.count < Self.batchSize {
            exhausted = true
        } else {
            fill(from: Array(batch.view(batch.partitions[batch.partitions.count - 1].key)), exclusive: true)
        }
    }

    private mutating func fill(from lower: [UInt8], exclusive: Bool) {
        memtable.copyPartitions(from: lower, exclusive: exclusive, limit: Self.batchSize, into: batch)
        index = 0
        if batch.partitions.isEmpty { exhausted = true } else { setKey() }
    }

    private mutating func setKey() {
        let k = batch.view(batch.partitions[index].key)
        if let upper, upper.withUnsafeBytes({ ByteOrder.compare(k, $0) }) >= 0 {
            exhausted = true
            return
        }
        if k.count > keyCapacity {
            key.deallocate()
            keyCapacity = max(k.count, keyCapacity * 2)
            key = .allocate(byteCount: keyCapacity, alignment: 8)
        }
        if k.count > 0 { key.copyMemory(from: k.baseAddress!, byteCount: k.count) }
        keyCount = k.count
    }
}
