import HyadesCore

/// The state of `TableStore.forEachLiveRow`'s hybrid path: the merged memtable stream
/// beside SSTable row views in key order. A struct driven through `mutating` methods, so
/// the per-view path touches plain stored properties (captured variables of nested
/// functions would be boxed and exclusivity-checked on every access).
struct HybridScan {
    let mem: MergingPartitionIterator
    let columns: ColumnFilter
    let nowInSeconds: Int32
    var memHead: PartitionHeader?
    var memKey: [UInt8]?
    var filter: LiveRowFilter
    let adapter = LiveRowAdapter()
    var stopped = false
    /// The partition present in both, while its SSTable views are collected.
    var both: PartitionHeader?
    var bothRows: [Row] = []

    init(mem: MergingPartitionIterator, columns: ColumnFilter, nowInSeconds: Int32) {
        self.mem = mem
        self.columns = columns
        self.nowInSeconds = nowInSeconds
        self.filter = LiveRowFilter(nowInSeconds: nowInSeconds)
    }

    mutating func start() throws { try advanceMemtable() }

    private mutating func advanceMemtable() throws {
        memHead = try mem.nextPartition()
        memKey = memHead?.key.comparableBytes
    }

    /// One SSTable view: memtable partitions sorting before it are emitted first; a view
    /// of a partition the memtables hold too is collected for the merge.
    @inline(__always)
    mutating func visit(_ v: borrowing SSTableRowView, _ body: (borrowing LiveRowView) throws -> Bool) throws -> Bool {
        while let k = memKey {
            let c = k.withUnsafeBytes { ByteOrder.compare($0, v.partitionKey) }
            if c > 0 { break }
            if c == 0 {
                if both == nil {
                    both = PartitionHeader(key: v.decoratedKey(), deletion: v.partitionDeletion, rangeTombstones: v.rangeTombstones)
                }
                switch v.kind {
                case .partition: break
                case .staticRow: both!.staticRow = v.row()
                case .row: bothRows.append(v.row())
                }
                return true
            }
            // The memtable partition sorts before this view: it is done (merged with the
            // SSTable's copy when it had one).
            try emitMemPartition(body)
            if stopped { return false }
        }
        if try filter.visit(v, body) { return true }
        stopped = true
        return false
    }

    /// After the last SSTable: the collected partition and the memtables' rest.
    mutating func finish(_ body: (borrowing LiveRowView) throws -> Bool) throws {
        while !stopped && memHead != nil { try emitMemPartition(body) }
    }

    /// Emits the live rows of the current memtable partition (merged with the collected
    /// SSTable copy, if any), then advances the memtable stream.
    private mutating func emitMemPartition(_ body: (borrowing LiveRowView) throws -> Bool) throws {
        guard let h = memHead, let keyBytes = memKey else { return }
        defer { both = nil; bothRows = [] }
        guard let other = both else {
            // Memtable only: the stream is already merged and shadowed, only liveness is
            // left to apply (as `FilteredPartitionIterator` does).
            if let s = h.staticRow.flatMap({ Reconcile.live(Reconcile.project($0, columns), nowInSeconds: nowInSeconds) }),
               !(try adapter.visit(key: keyBytes, s, isStatic: true, body)) {
                stopped = true
            }
            while !stopped, let r = try mem.nextRow() {
                guard let live = Reconcile.live(Reconcile.project(r, columns), nowInSeconds: nowInSeconds) else { continue }
                if !(try adapter.visit(key: keyBytes, live, isStatic: false, body)) { stopped = true }
            }
            try advanceMemtable()
            return
        }
        var memRows: [Row] = []
        while let r = try mem.nextRow() { memRows.append(r) }
        let sources: [any UnfilteredPartitionIterator] = [ArrayPartitionIterator(h, rows: memRows),
                                                          ArrayPartitionIterator(other, rows: bothRows)]
        let it = FilteredPartitionIterator(MergingPartitionIterator(sources), nowInSeconds: nowInSeconds, columns: columns)
        if let (_, staticRow) = try it.nextPartition() {
            if let s = staticRow, !(try adapter.visit(key: keyBytes, s, isStatic: true, body)) { stopped = true }
            while !stopped, let r = try it.nextRow() {
                if !(try adapter.visit(key: keyBytes, r, isStatic: false, body)) { stopped = true }
            }
        }
        try advanceMemtable()
    }
}
