import HyadesCore

extension TableStore {
    /// Writes the live memtable to a new SSTable and makes it live (blocking). The
    /// memtable stays readable until the MANIFEST naming the SSTable is durable.
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
        do {
            let reader = try write(memtable)
            try state.withLock { s in
                var m = s.manifest
                if let reader { m.sstables.append(Manifest.Entry(generation: reader.generation, level: 0)) }
                m.flushedPosition = max(position, m.flushedPosition ?? position)
                try m.store(directory: directory, fileSystem: fileSystem)
                s.manifest = m
                if let reader { s.sstables.append(LiveSSTable(reader, level: 0)) }
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
            "ms": "\((monotonicNanos() - started) / 1_000_000)", "writersWaitedMs": "\(waited / 1_000_000)",
        ])
        maybeCompactInBackground()
    }

    /// Writes a memtable's merged contents (nothing purged: tombstones must reach disk)
    /// to one SSTable; nil when there is nothing to write.
    private func write(_ memtable: Memtable) throws -> SSTableReader? {
        let source = MergingPartitionIterator([memtable.frozenScan()])
        guard var header = try source.nextPartition() else { return nil }
        let generation = allocateGeneration()
        let writer = try SSTableWriter(fileSystem: fileSystem, directory: directory, generation: generation,
                                       options: options, schema: schema,
                                       expectedPartitions: max(1, memtable.partitionCount))
        do {
            while true {
                try writer.beginPartition(header)
                while let row = try source.nextRow() { try writer.append(row) }
                guard let next = try source.nextPartition() else { break }
                header = next
            }
            return try writer.finish()
        } catch {
            writer.abort()
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
