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
    /// The SSTable being walked (the chain is disjoint: a partition is in one of them).
    var reader: SSTableReader?
    /// The partition present in both: the SSTable holding it, re-read with every column
    /// when the memtable partition is emitted (the walk's views are projected, and liveness
    /// after the merge needs every column).
    var both: SSTableReader?

    /// `mem` must carry every column; `columns` is the projection handed to the visitor.
    init(mem: MergingPartitionIterator, columns: ColumnFilter, nowInSeconds: Int32) {
        self.mem = mem
        self.columns = columns
        self.nowInSeconds = nowInSeconds
        self.filter = LiveRowFilter(nowInSeconds: nowInSeconds, queried: columns)
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
                if both == nil { both = reader }
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
        defer { both = nil }
        guard let sstable = both else {
            // Memtable only: the stream is already merged and shadowed, only liveness is
            // left to apply (as `FilteredPartitionIterator` does: liveness from every
            // column, then the projection; static rows projected first).
            if let m = filter.monitor, let s = h.staticRow { try m.observe(s, nowInSeconds: nowInSeconds) }
            if let s = h.staticRow.flatMap({ Reconcile.live(Reconcile.project($0, columns), nowInSeconds: nowInSeconds) }),
               !(try adapter.visit(key: keyBytes, s, isStatic: true, body)) {
                stopped = true
            }
            while !stopped, let r = try mem.nextRow() {
                if let m = filter.monitor { try m.observe(r, nowInSeconds: nowInSeconds) }
                guard let live = Reconcile.live(r, nowInSeconds: nowInSeconds) else { continue }
                filter.monitor?.countLiveRow()
                if !(try adapter.visit(key: keyBytes, Reconcile.project(live, columns), isStatic: false, body)) { stopped = true }
            }
            try advanceMemtable()
            return
        }
        var other = PartitionHeader(key: h.key)
        var bothRows: [Row] = []
        try sstable.readPartition(h.key, columns: .all) { v in
            switch v.kind {
            case .partition:
                other.deletion = v.partitionDeletion
                other.rangeTombstones = v.rangeTombstones
            case .staticRow:
                other.deletion = v.partitionDeletion
                other.rangeTombstones = v.rangeTombstones
                other.staticRow = v.row()
            case .row:
                other.deletion = v.partitionDeletion
                other.rangeTombstones = v.rangeTombstones
                bothRows.append(v.row())
            }
            return true
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
