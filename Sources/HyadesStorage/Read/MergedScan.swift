import HyadesCore

/// `TableStore.forEachLiveRow` over SSTables that overlap each other (size-tiered flushes
/// of random keys each span the ring) and the memtables: a merge by partition over one
/// `SSTablePartitionCursor` per SSTable and the merged memtable stream, in ring order.
///
/// A partition only one SSTable holds — nearly every one with random keys — streams from
/// that SSTable through `LiveRowFilter`, zero-allocation; its cursor walks on until the
/// next partition another source holds, so a run of such partitions costs one call. A
/// partition the memtables alone hold is filtered from the memtable stream. A partition
/// several sources hold is copied into `Row`s (every column) and merged as `scan` does.
/// Results equal `scan` + `FilteredPartitionIterator` row for row.
struct MergedScan: ~Copyable {
    let cursors: UnsafeMutablePointer<SSTablePartitionCursor>
    let count: Int
    let mem: MergingPartitionIterator?
    var memHead: PartitionHeader?
    /// `memHead`'s byte-comparable key in memory of our own (a stable pointer to compare).
    var memKey: UnsafeMutableRawPointer
    var memKeyCapacity = 64
    var memKeyCount = 0
    let columns: ColumnFilter
    let nowInSeconds: Int32
    var filter: LiveRowFilter
    let adapter = LiveRowAdapter()
    var stopped = false

    /// `memtables`: those with data in `range`, read with every column (liveness needs
    /// them all); `sstables`: those overlapping `range`.
    init(range: PartitionRange, columns: ColumnFilter, nowInSeconds: Int32, memtables: [Memtable], sstables: [SSTableReader]) throws {
        let cursors = UnsafeMutablePointer<SSTablePartitionCursor>.allocate(capacity: max(sstables.count, 1))
        var made = 0
        let mem = memtables.isEmpty ? nil : MergingPartitionIterator(memtables.map { $0.scan(range, columns: .all) })
        let first: PartitionHeader?
        do {
            for r in sstables {
                (cursors + made).initialize(to: try SSTablePartitionCursor(reader: r, range: range, columns: columns,
                                                                           livenessAt: nowInSeconds))
                made += 1
            }
            first = try mem?.nextPartition()
        } catch {
            cursors.deinitialize(count: made)
            cursors.deallocate()
            throw error
        }
        self.cursors = cursors
        self.count = made
        self.mem = mem
        self.columns = columns
        self.nowInSeconds = nowInSeconds
        self.filter = LiveRowFilter(nowInSeconds: nowInSeconds, queried: columns)
        memKey = .allocate(byteCount: memKeyCapacity, alignment: 8)
        setMemHead(first)
    }

    deinit {
        cursors.deinitialize(count: count)
        cursors.deallocate()
        memKey.deallocate()
    }

    private mutating func advanceMemtable() throws { setMemHead(try mem?.nextPartition()) }

    private mutating func setMemHead(_ h: PartitionHeader?) {
        memHead = h
        guard let h else { return }
        let k = h.key.comparableBytes
        if k.count > memKeyCapacity {
            memKey.deallocate()
            memKeyCapacity = max(k.count, memKeyCapacity * 2)
            memKey = .allocate(byteCount: memKeyCapacity, alignment: 8)
        }
        k.withUnsafeBytes { memKey.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        memKeyCount = k.count
    }

    /// Visits every live row; `body` returns false to stop.
    mutating func run(_ body: (borrowing LiveRowView) throws -> Bool) throws {
        let memSource = count
        while !stopped {
            // The smallest head, how many sources hold it, and the smallest head past it
            // (where a lone holder's walk must stop).
            var minKey = UnsafeRawBufferPointer(start: nil, count: 0)
            var minSource = -1
            var holders = 0
            var next: UnsafeRawBufferPointer?
            for i in 0...count {
                let h: UnsafeRawBufferPointer
                if i < count {
                    guard let c = cursors[i].head else { continue }
                    h = c
                } else {
                    guard memHead != nil else { continue }
                    h = UnsafeRawBufferPointer(start: memKey, count: memKeyCount)
                }
                if minSource < 0 {
                    minKey = h
                    minSource = i
                    holders = 1
                    continue
                }
                let c = ByteOrder.compare(h, minKey)
                if c < 0 {
                    next = minKey
                    minKey = h
                    minSource = i
                    holders = 1
                } else if c == 0 {
                    holders += 1
                } else if next == nil || ByteOrder.compare(h, next!) < 0 {
                    next = h
                }
            }
            if minSource < 0 { return }
            if holders == 1 && minSource < memSource {
                let go = try cursors[minSource].walk(until: next) { v in try filter.visit(v, body) }
                if !go { stopped = true }
            } else if holders == 1 {
                try emitMemtablePartition(body)
            } else {
                try emitMerged(Array(minKey), body)
            }
        }
    }

    /// The current memtable partition, which no SSTable holds: the stream is merged and
    /// shadowed already, only liveness is left to apply (as `FilteredPartitionIterator`
    /// does: liveness from every column, then the projection; static rows projected first).
    private mutating func emitMemtablePartition(_ body: (borrowing LiveRowView) throws -> Bool) throws {
        guard let h = memHead, let mem else { return }
        let keyBytes = Array(UnsafeRawBufferPointer(start: memKey, count: memKeyCount))
        if let s = h.staticRow.flatMap({ Reconcile.live(Reconcile.project($0, columns), nowInSeconds: nowInSeconds) }),
           !(try adapter.visit(key: keyBytes, s, isStatic: true, body)) {
            stopped = true
        }
        while !stopped, let r = try mem.nextRow() {
            guard let live = Reconcile.live(r, nowInSeconds: nowInSeconds) else { continue }
            if !(try adapter.visit(key: keyBytes, Reconcile.project(live, columns), isStatic: false, body)) { stopped = true }
        }
        if !stopped { try advanceMemtable() }
    }

    /// Partition `keyBytes`, held by several sources: each holder's copy (every column),
    /// merged and filtered as `scan` does.
    private mutating func emitMerged(_ keyBytes: [UInt8], _ body: (borrowing LiveRowView) throws -> Bool) throws {
        guard let key = DecoratedKey(byteComparable: keyBytes) else {
            throw SSTableCorruptionError(path: "", offset: 0, what: "bad partition key in a merged scan")
        }
        var sources: [any UnfilteredPartitionIterator] = []
        if let h = memHead, let mem, keyBytes.withUnsafeBytes({ ByteOrder.compare($0, UnsafeRawBufferPointer(start: memKey, count: memKeyCount)) }) == 0 {
            var rows: [Row] = []
            while let r = try mem.nextRow() { rows.append(r) }
            sources.append(ArrayPartitionIterator(h, rows: rows))
            try advanceMemtable()
        }
        let past = keyBytes + [0]
        try past.withUnsafeBytes { past in
            for i in 0..<count {
                guard let h = cursors[i].head, ByteOrder.compare(h, UnsafeRawBufferPointer(rebasing: past[0..<keyBytes.count])) == 0 else { continue }
                var header = PartitionHeader(key: key)
                var rows: [Row] = []
                try cursors[i].copyPartition(past: past, into: &header, rows: &rows)
                sources.append(ArrayPartitionIterator(header, rows: rows))
            }
        }
        let it = FilteredPartitionIterator(MergingPartitionIterator(sources), nowInSeconds: nowInSeconds, columns: columns)
        guard let (_, staticRow) = try it.nextPartition() else { return }
        if let s = staticRow, !(try adapter.visit(key: keyBytes, s, isStatic: true, body)) {
            stopped = true
            return
        }
        while let r = try it.nextRow() {
            if !(try adapter.visit(key: keyBytes, r, isStatic: false, body)) {
                stopped = true
                return
            }
        }
    }
}
