import HyadesCore

extension TableStore {
    /// Writes the live memtable to new SSTables (one per shard piece) and makes them live
    /// in one MANIFEST edit (blocking). The memtable stays readable until the MANIFEST
    /// naming them is durable.
    public func flush() throws {
        try engine.checkRunning()
        flushLock.lock()
        defer { flushLock.unlock() }
        // Switch: every mutation appended before `position` is in `old`, none after it.
        let switched: (Memtable, CommitLogPosition)? = engine.barrier.exclusive {
            state.withLock { s in
                guard !s.live.isEmpty else { return nil }
                let old = s.live
                let position = engine.commitLogPosition
                old.seal(at: position)
                s.flushing.append(old)
                s.live = Memtable(commitLogLowerBound: position)
                liveForWrites = s.live
                liveBytesHint.store(0, ordering: .relaxed)
                return (old, position)
            }
        }
        space.broadcast()
        guard let (memtable, position) = switched else { return }
        let started = monotonicNanos()
        var flushedSSTables = 0
        do {
            let readers = try write(memtable)
            flushedSSTables = readers.count
            try state.withLock { s in
                var m = s.manifest
                m.sstables += readers.map { Manifest.Entry(generation: $0.generation, level: 0) }
                m.flushedPosition = max(position, m.flushedPosition ?? position)
                try m.store(directory: directory, fileSystem: fileSystem)
                s.manifest = m
                s.sstables += readers.map { LiveSSTable($0, level: 0) }
                s.flushing.removeAll { $0 === memtable }
            }
        } catch {
            engine.fail(error)
            throw error
        }
        engine.commitLog.discardCompleted(table: id, upTo: position)
        // How long the flush took, and how long writers waited at the memtable bound since
        // the last one: at info level when they did (flushing did not keep up with the
        // write rate, and request latency paid for it), else at debug.
        let waited = writersWaitedNanos.exchange(0, ordering: .relaxed)
        engine.logger.log(level: waited >= 1_000_000 ? .info : .debug, "memtable flushed", metadata: [
            "table": "\(id)", "bytes": "\(memtable.liveBytes)", "partitions": "\(memtable.partitionCount)",
            "sstables": "\(flushedSSTables)",
            "ms": "\((monotonicNanos() - started) / 1_000_000)", "writersWaitedMs": "\(waited / 1_000_000)",
        ])
        maybeCompactInBackground()
    }

    /// Writes a memtable's merged contents (nothing purged: tombstones must reach disk)
    /// to SSTables cut at the table's shard boundaries (`ShardBoundaries`); empty when
    /// there is nothing to write.
    ///
    /// A flush of little data would make a file per shard, most of them tiny (UCS lowers
    /// the shard count of small flushes for the same reason): a boundary cuts the output
    /// only when the piece before it holds at least `flushShardMinBytes` and the data
    /// still to come does too (memtable-size estimates). A piece that did not get cut
    /// spans shards; compaction, which cuts at every boundary, aligns it later.
    private func write(_ memtable: Memtable) throws -> [SSTableReader] {
        let source = MergingPartitionIterator([memtable.frozenScan()])
        guard let header = try source.nextPartition() else { return [] }
        let boundaries = shardBoundaries
        var cutter = ShardCutter(boundaries)
        let minPieceBytes = options.flushShardMinBytes
        let totalBytes = memtable.liveBytes
        let partitionCount = max(1, memtable.partitionCount)
        // A piece holds at least this many partitions unless it is the last one.
        let minPiecePartitions = minPieceBytes / max(1, totalBytes / partitionCount) + 1
        var doneBytes = 0, pieceBytes = 0, donePartitions = 0
        // Sizes matter only when a boundary may need them.
        let measuring = !boundaries.isEmpty && minPieceBytes > 0
        var outputs: [SSTableReader] = []
        var writer: SSTableWriter?
        _ = cutter.crossesBoundary(header.key.token)
        var pending: PartitionHeader? = header
        do {
            // One output per turn; its partitions in the inner loop, with the writer in a
            // local (no optional unwrapped per row).
            while var h = pending {
                pending = nil
                let remaining = max(1, partitionCount - donePartitions)
                let expected = max(min(remaining, minPiecePartitions),
                                   boundaries.expectedPartitions(startingAt: h.key.token, remaining: remaining))
                let w = try SSTableWriter(fileSystem: fileSystem, directory: directory, generation: allocateGeneration(),
                                          options: options, schema: schema, expectedPartitions: expected)
                writer = w
                pieceBytes = 0
                while true {
                    try w.beginPartition(h)
                    if measuring {
                        var bytes = MemtablePartition.baseSize(h.key)
                        while let row = try source.nextRow() {
                            try w.append(row)
                            bytes += MemtablePartition.size(of: row)
                        }
                        doneBytes += bytes
                        pieceBytes += bytes
                    } else {
                        while let row = try source.nextRow() { try w.append(row) }
                    }
                    donePartitions += 1
                    guard let next = try source.nextPartition() else { break }
                    if cutter.crossesBoundary(next.key.token), pieceBytes >= minPieceBytes,
                       totalBytes - doneBytes >= minPieceBytes {
                        pending = next
                        break
                    }
                    h = next
                }
                outputs.append(try w.finish())
                writer = nil
            }
            return outputs
        } catch {
            writer?.abort()
            removeFiles(of: outputs)
            throw error
        }
    }

    func allocateGeneration() -> Int64 {
        state.withLock { s in
            let g = s.manifest.nextGeneration
            s.manifest.nextGeneration += 1
            return g
        }
    }

    /// Discards all data: the memtables and every SSTable (CQL `TRUNCATE`). Durable when
    /// it returns: the MANIFEST names no SSTable and records the commit-log position, so
    /// a replay does not bring the data back.
    public func truncate() throws {
        try engine.checkRunning()
        flushLock.lock()
        defer { flushLock.unlock() }
        let position: CommitLogPosition = engine.barrier.exclusive {
            state.withLock { s in
                let position = engine.commitLogPosition
                s.live = Memtable(commitLogLowerBound: position)
                s.flushing = []
                liveForWrites = s.live
                liveBytesHint.store(0, ordering: .relaxed)
                return position
            }
        }
        let dropped: [LiveSSTable]
        do {
            dropped = try state.withLock { s in
                var m = s.manifest
                m.sstables = []
                m.flushedPosition = max(position, m.flushedPosition ?? position)
                try m.store(directory: directory, fileSystem: fileSystem)
                s.manifest = m
                let old = s.sstables
                s.sstables = []
                s.epoch += 1
                return old
            }
        } catch {
            engine.fail(error)
            throw error
        }
        space.broadcast()
        engine.commitLog.discardCompleted(table: id, upTo: position)
        removeFiles(of: dropped.map(\.reader))
    }

    /// Deletes SSTables no longer named by the MANIFEST. A failure only leaves garbage
    /// that the next start removes.
    func removeFiles(of readers: [SSTableReader]) {
        for r in readers {
            for path in r.filePaths { try? fileSystem.removeFile(path) }
        }
    }
}
