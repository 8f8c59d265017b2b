import HyadesCore

/// The partition keys of one source in a range, in ring order, pulled one at a time: an
/// SSTable's from its partition index (one checked group at a time), a memtable's in small
/// locked batches. `OverlapScan` merges these to learn, per partition, how many sources
/// hold it, before reading a single row.
struct PartitionKeyCursor {
    enum Source {
        case sstable(SSTableReader)
        case memtable(Memtable)
    }

    let source: Source
    let range: PartitionRange
    /// The current key (byte-comparable), nil when exhausted.
    private(set) var key: [UInt8]?
    private var buffer: [[UInt8]] = []
    private var position = 0
    private var nextGroup = 0
    private var exhausted = false

    init(_ source: Source, range: PartitionRange) throws {
        self.source = source
        self.range = range
        if case .sstable(let r) = source {
            nextGroup = range.lower.isEmpty ? 0 : (r.index.groupIndex(for: range.lower) ?? 0)
        }
        try advance()
    }

    var reader: SSTableReader? {
        if case .sstable(let r) = source { return r }
        return nil
    }

    mutating func advance() throws {
        while true {
            if position < buffer.count {
                let k = buffer[position]
                position += 1
                if let upper = range.upper, ByteOrder.compare(k, upper) >= 0 { break }
                if ByteOrder.compare(k, range.lower) < 0 { continue }
                key = k
                return
            }
            guard !exhausted, try refill() else { break }
        }
        key = nil
        exhausted = true
        buffer = []
    }

    private mutating func refill() throws -> Bool {
        position = 0
        switch source {
        case .sstable(let r):
            guard nextGroup < r.index.summary.count else { return false }
            buffer = try r.index.group(nextGroup).map(\.key)
            nextGroup += 1
        case .memtable(let m):
            let after = buffer.last
            buffer = m.partitionKeys(from: after ?? range.lower, exclusive: after != nil, limit: 512)
        }
        return !buffer.isEmpty
    }
}

extension TableStore {
    /// Overlapping SSTables (and maybe memtable data) in `range`: the sources' partition
    /// keys are merged in ring order first; a partition held by one SSTable alone streams
    /// its rows as views through the zero-allocation filter (random-key writes leave most
    /// partitions in exactly one SSTable), and only a partition held by several sources, or
    /// by a memtable, is read through the general merge. Results equal `scan`'s.
    func overlapScan(_ range: PartitionRange, columns: ColumnFilter, nowInSeconds: Int32, memtables: [Memtable],
                     sstables: [LiveSSTable], _ body: (borrowing LiveRowView) throws -> Bool) throws {
        var cursors: [PartitionKeyCursor] = []
        for t in sstables where t.overlaps(range) {
            let c = try PartitionKeyCursor(.sstable(t.reader), range: range)
            if c.key != nil { cursors.append(c) }
        }
        for m in memtables where m.hasPartitions(in: range) {
            let c = try PartitionKeyCursor(.memtable(m), range: range)
            if c.key != nil { cursors.append(c) }
        }
        var filter = LiveRowFilter(nowInSeconds: nowInSeconds, queried: columns)
        var stopped = false
        while !stopped {
            // The smallest current key and how many sources hold it.
            var minIndex = -1
            var holders = 0
            for i in cursors.indices {
                guard let k = cursors[i].key else { continue }
                if minIndex < 0 {
                    minIndex = i
                    holders = 1
                    continue
                }
                let c = ByteOrder.compare(k, cursors[minIndex].key!)
                if c < 0 {
                    minIndex = i
                    holders = 1
                } else if c == 0 {
                    holders += 1
                }
            }
            if minIndex < 0 { return }
            let keyBytes = cursors[minIndex].key!
            if holders == 1, let reader = cursors[minIndex].reader {
                let found = try keyBytes.withUnsafeBytes { bc in
                    try reader.readPartition(comparable: bc, columns: columns, livenessAt: nowInSeconds) { v in
                        if try filter.visit(v, body) { return true }
                        stopped = true
                        return false
                    }
                }
                if !found {
                    throw SSTableCorruptionError(path: reader.data.path, offset: 0, what: "index key not found by its own lookup")
                }
            } else {
                let key = Self.decoratedKey(keyBytes)
                // Every column fetched: liveness of a row needs them all (fetched vs queried).
                let hash = key.key.withUnsafeBytes { Murmur3.hash128($0) }
                let it = FilteredPartitionIterator(try unfilteredRead(key, hash: hash, slices: .all, columns: .all,
                                                                      memtables: memtables, sstables: sstables),
                                                   nowInSeconds: nowInSeconds, columns: columns)
                var goOn = true
                try Self.visitMerged(it) { v in
                    goOn = try body(v)
                    return goOn
                }
                if !goOn { stopped = true }
            }
            for i in cursors.indices where cursors[i].key == keyBytes { try cursors[i].advance() }
        }
    }

    /// The key of a byte-comparable form: 8 token bytes (big-endian, sign flipped), then
    /// the serialized key.
    static func decoratedKey(_ bytes: [UInt8]) -> DecoratedKey {
        var raw: UInt64 = 0
        for i in 0..<8 { raw = (raw << 8) | UInt64(bytes[i]) }
        return DecoratedKey(token: Token(byteComparable: raw), key: Array(bytes[8...]))
    }
}
