import Dispatch
import Foundation
import HyadesCore
import Synchronization

/// A live SSTable with what the engine keeps beside it.
struct LiveSSTable {
    let reader: SSTableReader
    var level: Int
    let minTimestamp: Int64
    let maxTimestamp: Int64
    let firstKey: [UInt8]
    let lastKey: [UInt8]

    init(_ reader: SSTableReader, level: Int) {
        self.reader = reader
        self.level = level
        let s = reader.statistics
        minTimestamp = s.minTimestamp
        maxTimestamp = s.maxTimestamp
        firstKey = s.firstKey
        lastKey = s.lastKey
    }

    var candidate: CompactionCandidate {
        let s = reader.statistics
        return CompactionCandidate(generation: reader.generation, sizeBytes: reader.onDiskSizeBytes, firstKey: firstKey,
                                   lastKey: lastKey, level: level, minToken: s.minToken, maxToken: s.maxToken)
    }

    @inline(__always) func mayHold(_ keyBytes: [UInt8]) -> Bool {
        ByteOrder.compare(keyBytes, firstKey) >= 0 && ByteOrder.compare(keyBytes, lastKey) <= 0
    }

    func overlaps(_ range: PartitionRange) -> Bool {
        if ByteOrder.compare(lastKey, range.lower) < 0 { return false }
        if let upper = range.upper, ByteOrder.compare(firstKey, upper) >= 0 { return false }
        return true
    }
}

/// The LSM engine of one table (Cassandra's `ColumnFamilyStore`): a live memtable,
/// memtables being flushed, and the live SSTables named by the table's MANIFEST.
public final class TableStore: @unchecked Sendable {
    public let id: TableID
    public let directory: String
    public let options: TableOptions
    let schema: SSTableSchemaHeader?
    unowned let engine: StorageEngine
    var fileSystem: any FileSystem { engine.fileSystem }

    struct State {
        /// Replaced only under the engine's write barrier (exclusive) and this lock.
        var live = Memtable()
        var flushing: [Memtable] = []
        var sstables: [LiveSSTable] = []
        var compacting: Set<Int64> = []
        var manifest: Manifest
        var flushScheduled = false
        var majorCompactionsPending = 0
        var closed = false
        /// Bumped by truncate: compactions started before it discard their outputs.
        var epoch = 0
        /// This table's own shard boundaries; nil: the engine's.
        var shardBoundaries: ShardBoundaries?
    }
    let state: Mutex<State>
    /// The live memtable for the write path, read under the write barrier (shared)
    /// without taking `state`: it changes only under the barrier held exclusively.
    nonisolated(unsafe) var liveForWrites: Memtable
    /// The live memtable's size as its last write returned it (0 after a switch): lets
    /// writers check for space without the barrier and the memtable's lock.
    let liveBytesHint = Atomic<Int>(0)
    /// Serialises flushes and truncation of this table.
    let flushLock = NSLock()
    /// Writers wait here when the memtable is at its limit and a flush is running.
    let space = NSCondition()
    let background = DispatchGroup()
    /// Time writers spent waiting at the memtable bound since the last flush (logged by it).
    let writersWaitedNanos = Atomic<Int>(0)
    let runningCompactions = Atomic<Int>(0)

    init(engine: StorageEngine, id: TableID, directory: String, options: TableOptions, schema: SSTableSchemaHeader?) throws {
        self.engine = engine
        self.id = id
        self.directory = directory
        self.options = options
        self.schema = schema
        let fs = engine.fileSystem
        try fs.createDirectory(directory)
        let manifest = try Manifest.load(directory: directory, fileSystem: fs) ?? Manifest(table: id)
        // Leftovers of interrupted flushes and compactions: any SSTable file whose
        // generation the MANIFEST does not name, and a half-written MANIFEST.tmp.
        let listed = Set(manifest.sstables.map(\.generation))
        for name in try fs.listDirectory(directory) {
            if name == ManifestFormat.tempFileName {
                try fs.removeFile(directory + "/" + name)
            } else if let parsed = SSTableFormat.parseFileName(name), !listed.contains(parsed.generation) {
                try fs.removeFile(directory + "/" + name)
            } else if name.hasPrefix("hy-"), SSTableFormat.parseFileName(name) == nil, name.hasSuffix(".tmp") {
                try fs.removeFile(directory + "/" + name)
            }
        }
        var sstables: [LiveSSTable] = []
        var maxGeneration: Int64 = 0
        for e in manifest.sstables {
            let reader = try SSTableReader.open(fileSystem: fs, directory: directory, generation: e.generation)
            sstables.append(LiveSSTable(reader, level: e.level))
            maxGeneration = max(maxGeneration, e.generation)
        }
        var m = manifest
        m.nextGeneration = max(m.nextGeneration, maxGeneration + 1)
        let initial = State(manifest: m)
        var s = initial
        s.sstables = sstables
        s.live = Memtable(commitLogLowerBound: m.flushedPosition)
        self.liveForWrites = s.live
        self.state = Mutex(s)
    }

    /// Every mutation before this commit-log position is in this table's SSTables.
    public var flushedPosition: CommitLogPosition? { state.withLock { $0.manifest.flushedPosition } }

    public var liveSSTables: [SSTableReader] { state.withLock { $0.sstables.map(\.reader) } }
    /// Generation → level of the live SSTables.
    public var liveSSTableLevels: [Int64: Int] {
        state.withLock { Dictionary(uniqueKeysWithValues: $0.sstables.map { ($0.reader.generation, $0.level) }) }
    }
    public var memtableBytes: Int { state.withLock { $0.live.liveBytes } }

    /// Gives this table its own shard boundaries (nil: follow the engine's), e.g. when its
    /// keyspace replicates other ranges than the rest. Applies from the next flush or
    /// compaction.
    public func setShardBoundaries(_ b: ShardBoundaries?) { state.withLock { $0.shardBoundaries = b } }

    /// The boundaries the next flush or compaction of this table cuts at.
    public var shardBoundaries: ShardBoundaries { state.withLock { $0.shardBoundaries } ?? engine.shardBoundaries }

    // MARK: writes

    /// Applies one partition update (commit log, then memtable).
    public func apply(_ update: PartitionUpdate) throws {
        guard update.table == id else { throw StorageEngineError.wrongTable(update: update.table.description, table: id.description) }
        try engine.apply(update, to: self)
    }

    /// Called under the engine's write barrier (shared) or during replay. Returns the
    /// memtable's estimated size after the write.
    @discardableResult
    func applyToMemtable(_ update: PartitionUpdate) -> Int {
        let bytes = liveForWrites.apply(update)
        liveBytesHint.store(bytes, ordering: .relaxed)
        return bytes
    }

    /// Starts a background flush once the memtable holds half its limit.
    func maybeFlushInBackground() {
        guard liveForWritesBytes() >= options.memtableLimitBytes / 2 else { return }
        let schedule = state.withLock { s -> Bool in
            if s.flushScheduled || s.closed { return false }
            s.flushScheduled = true
            return true
        }
        guard schedule else { return }
        background.enter()
        engine.flushQueue.async { [self] in
            defer { background.leave() }
            // A flush refused because the engine is shutting down is not a disk failure
            // (the commit log still holds the data); flush() reports real failures itself.
            _ = try? flush()
            state.withLock { $0.flushScheduled = false }
            space.broadcast()
        }
    }

    /// Whether a write now can neither wait at the memtable bound nor come close to it
    /// (the estimate lags concurrent writers a little, hence the margin): the server
    /// then runs it on its event loop instead of the request pool.
    public var writeCannotWaitForSpace: Bool {
        liveBytesHint.load(ordering: .relaxed) < options.memtableLimitBytes / 4 * 3
    }

    private func liveForWritesBytes() -> Int { engine.barrier.shared { liveForWrites.liveBytes } }

    /// Blocks a writer while the memtable is at its limit (a flush is then running and
    /// will make room); never blocks below the limit.
    func waitForMemtableSpace() {
        // The hint lags concurrent writers by at most their own writes; it is exact
        // again after each one and reset when the memtable is switched.
        guard liveBytesHint.load(ordering: .relaxed) >= options.memtableLimitBytes,
              liveForWritesBytes() >= options.memtableLimitBytes else { return }
        maybeFlushInBackground()
        let started = monotonicNanos()
        space.lock()
        while liveForWritesBytes() >= options.memtableLimitBytes && engine.failure == nil
                && state.withLock({ $0.flushScheduled }) {
            _ = space.wait(until: Date(timeIntervalSinceNow: 0.05))
        }
        space.unlock()
        writersWaitedNanos.add(Int(monotonicNanos() - started), ordering: .relaxed)
    }

    // MARK: reads

    /// The live data of one partition at `nowInSeconds`: `nextPartition()` yields it
    /// once, or nil when nothing in it is live.
    public func read(_ key: DecoratedKey, slices: Slices = .all, columns: ColumnFilter = .all,
                     nowInSeconds: Int32) throws -> FilteredPartitionIterator {
        // Every column is fetched: row liveness needs them all (fetched vs queried).
        let source: any UnfilteredPartitionIterator
        do { source = try unfilteredRead(key, slices: slices, columns: .all) } catch { throw noted(error) }
        return FilteredPartitionIterator(ReadFailureNotingIterator(source, table: self),
                                         nowInSeconds: nowInSeconds, columns: columns)
    }

    /// The live data of the partitions in `range`, in ring order.
    public func scan(_ range: PartitionRange, slices: Slices = .all, columns: ColumnFilter = .all,
                     nowInSeconds: Int32) throws -> FilteredPartitionIterator {
        // Every column is fetched: row liveness needs them all (fetched vs queried).
        FilteredPartitionIterator(ReadFailureNotingIterator(unfilteredScan(range, slices: slices, columns: .all), table: self),
                                  nowInSeconds: nowInSeconds, columns: columns)
    }

    func snapshot() -> (memtables: [Memtable], sstables: [LiveSSTable]) {
        state.withLock { s in ([s.live] + s.flushing, s.sstables) }
    }

    /// The merged partition with tombstones (for read repair, streaming, tools).
    public func unfilteredRead(_ key: DecoratedKey, slices: Slices = .all, columns: ColumnFilter = .all) throws
        -> any UnfilteredPartitionIterator {
        let (memtables, sstables) = snapshot()
        return try unfilteredRead(key, hash: key.key.withUnsafeBytes { Murmur3.hash128($0) }, slices: slices,
                                  columns: columns, memtables: memtables, sstables: sstables)
    }

    /// `hash` is `Murmur3.hash128(key.key)`, computed once for every SSTable's bloom filter.
    func unfilteredRead(_ key: DecoratedKey, hash: (h1: Int64, h2: Int64), slices: Slices, columns: ColumnFilter,
                        memtables: [Memtable], sstables: [LiveSSTable]) throws -> any UnfilteredPartitionIterator {
        var sources: [any UnfilteredPartitionIterator] = []
        var deletion = DeletionTime.live
        let keyBytes = key.comparableBytes
        for m in memtables {
            if let it = m.partition(keyBytes: keyBytes, slices: slices, columns: columns) {
                let peeked = try PeekedPartitionIterator(it)
                if let h = peeked.header, h.deletion > deletion { deletion = h.deletion }
                sources.append(peeked)
            }
        }
        // Newest first, so a partition deletion seen early lets older SSTables be skipped.
        var candidates = sstables.filter { $0.mayHold(keyBytes) }
        if candidates.count > 1 { candidates.sort { $0.maxTimestamp > $1.maxTimestamp } }
        for t in candidates {
            if !deletion.isLive && t.maxTimestamp <= deletion.markedForDeleteAt { continue }
            guard let it = try t.reader.partition(key, hash: hash, slices: slices, columns: columns) else { continue }
            let peeked = try PeekedPartitionIterator(it)
            if let h = peeked.header, h.deletion > deletion { deletion = h.deletion }
            sources.append(peeked)
        }
        if sources.isEmpty { return EmptyPartitionIterator() }
        return MergingPartitionIterator(sources)
    }

    public func unfilteredScan(_ range: PartitionRange, slices: Slices = .all, columns: ColumnFilter = .all)
        -> any UnfilteredPartitionIterator {
        let (memtables, sstables) = snapshot()
        var sources: [any UnfilteredPartitionIterator] = memtables.map { $0.scan(range, slices: slices, columns: columns) }
        for t in sstables where t.overlaps(range) {
            sources.append(t.reader.scan(range, slices: slices, columns: columns))
        }
        return MergingPartitionIterator(sources)
    }

    // MARK: lifecycle

    /// Waits for background flushes and compactions; no new ones start. The data of the
    /// memtable stays in the commit log (flush first for a clean drain).
    public func close() {
        state.withLock { $0.closed = true }
        space.broadcast()
        background.wait()
        engine.unregister(id)
    }
}
