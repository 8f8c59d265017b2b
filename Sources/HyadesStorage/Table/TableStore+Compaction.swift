import Foundation
import HyadesCore

extension TableStore {
    /// Runs compactions now (blocking). `major`: all live SSTables into one (size-tiered)
    /// or into non-overlapping level-1 SSTables (leveled). Otherwise: what the strategy
    /// picks, until it picks nothing.
    public func compact(major: Bool) throws {
        try engine.checkRunning()
        if major {
            // Background compactions stop picking new work and the running ones finish,
            // so the major compaction gets every SSTable.
            state.withLock { $0.majorCompactionsPending += 1 }
            defer { state.withLock { $0.majorCompactionsPending -= 1 } }
            while state.withLock({ !$0.compacting.isEmpty }) { Thread.sleep(forTimeInterval: 0.005) }
            let plan: CompactionPlan? = state.withLock { s in
                let inputs = s.sstables.map(\.reader.generation).filter { !s.compacting.contains($0) }
                guard !inputs.isEmpty else { return nil }
                switch options.compaction {
                case .sizeTiered: return CompactionPlan(inputs: inputs, outputLevel: 0, maxOutputBytes: nil)
                case .leveled(let size, _): return CompactionPlan(inputs: inputs, outputLevel: 1, maxOutputBytes: Int64(size))
                }
            }
            // A corrupt input is noted (disk_failure_policy) and rethrown.
            do { if let plan { try run(plan) } } catch { throw noted(error) }
            return
        }
        while let plan = nextPlan() {
            do { guard try run(plan) else { break } } catch { throw noted(error) }
        }
    }

    func nextPlan() -> CompactionPlan? {
        let candidates: [CompactionCandidate] = state.withLock { s in
            if s.majorCompactionsPending > 0 { return [] }
            return s.sstables.filter { !s.compacting.contains($0.reader.generation) }.map(\.candidate)
        }
        return CompactionStrategy.next(options.compaction, candidates: candidates, boundaries: shardBoundaries)
    }

    /// Schedules background compaction after a flush (one loop per table at a time; the
    /// engine bounds how many run at once).
    func maybeCompactInBackground() {
        guard engine.options.backgroundCompaction, !state.withLock({ $0.closed }) else { return }
        guard runningCompactions.compareExchange(expected: 0, desired: 1, ordering: .acquiringAndReleasing).exchanged else { return }
        let backlog = hasCompactionBacklog
        background.enter()
        (backlog ? engine.backlogCompactionQueue : engine.compactionQueue).async { [self] in
            defer { background.leave() }
            engine.compactionSlots.wait()
            defer { engine.compactionSlots.signal() }
            var handOver = false
            while engine.failure == nil, !state.withLock({ $0.closed }), let plan = nextPlan() {
                do {
                    guard try run(plan) else { break }
                } catch let e as SSTableCorruptionError {
                    // A corrupt input is the disk_failure_policy's business (as a read
                    // meeting it), not a failed write: the compaction is abandoned.
                    _ = noted(e)
                    break
                } catch {
                    engine.fail(error)
                    break
                }
                // A thread's priority cannot be raised again: the backlog continues on
                // a request-priority thread.
                if !backlog && hasCompactionBacklog { handOver = true; break }
            }
            runningCompactions.store(0, ordering: .releasing)
            if handOver { maybeCompactInBackground() }
        }
    }

    /// Level-0 SSTables (every SSTable under size-tiered; the unsorted flush outputs
    /// under leveled) beyond which compaction runs at request priority (BackgroundQueue).
    static let compactionBacklogSSTables = 8

    /// Counted per shard (`CompactionStrategy.depth`): a flush cut into pieces adds one.
    var hasCompactionBacklog: Bool {
        let l0 = state.withLock { s in s.sstables.filter { $0.level == 0 }.map(\.candidate) }
        guard l0.count > Self.compactionBacklogSSTables else { return false }
        return CompactionStrategy.depth(l0, boundaries: shardBoundaries) > Self.compactionBacklogSSTables
    }

    /// Compacts `plan.inputs`; false when they are no longer all available.
    @discardableResult
    func run(_ plan: CompactionPlan) throws -> Bool {
        let nowInSeconds = engine.options.nowInSeconds()
        let started = monotonicNanos()
        let inputSet = Set(plan.inputs)
        guard let (inputs, epoch) = state.withLock({ s -> ([LiveSSTable], Int)? in
            let ins = s.sstables.filter { inputSet.contains($0.reader.generation) }
            guard ins.count == inputSet.count, s.compacting.isDisjoint(with: inputSet) else { return nil }
            s.compacting.formUnion(inputSet)
            return (ins, s.epoch)
        }) else { return false }
        defer { state.withLock { $0.compacting.subtract(inputSet) } }

        let purger = CompactionPurger(nowInSeconds: nowInSeconds, gcGraceSeconds: options.gcGraceSeconds)
        let source = MergingPartitionIterator(inputs.map { $0.reader.scan(.all, slices: .all, columns: .all) })
        let expected = Int(clamping: inputs.reduce(Int64(0)) { $0 + $1.reader.statistics.partitionCount })
        // The throttle counts on-disk input bytes (as Cassandra's compaction_throughput),
        // spread evenly over the input partitions.
        let inputBytes = inputs.reduce(Int64(0)) { $0 + $1.reader.onDiskSizeBytes }
        let bytesPerPartition = max(1, Int(inputBytes / Int64(max(1, expected))))
        // Outputs are cut at every shard boundary (and at maxOutputBytes under leveled).
        let boundaries = shardBoundaries
        var cutter = ShardCutter(boundaries)
        var outputs: [SSTableReader] = []
        var writer: SSTableWriter?
        var writtenBytes = 0
        var unthrottled = 0
        var readPartitions = 0
        do {
            while let raw = try source.nextPartition() {
                let key = raw.key
                readPartitions += 1
                if cutter.crossesBoundary(key.token), let w = writer {
                    writer = nil
                    outputs.append(try w.finish())
                }
                let maxTs = MaxPurgeableTimestamp { [self] in maxPurgeableTimestamp(key, excluding: inputSet) }
                let header = purger.purge(raw, maxTs: maxTs)
                var begun = false
                func begin() throws {
                    if writer == nil {
                        // Inputs may overlap: `expected` is an upper bound of what is left.
                        let remaining = max(1, expected - readPartitions + 1)
                        writer = try SSTableWriter(fileSystem: fileSystem, directory: directory,
                                                   generation: allocateGeneration(), options: options, schema: schema,
                                                   expectedPartitions: boundaries.expectedPartitions(startingAt: key.token,
                                                                                                     remaining: remaining))
                        writtenBytes = 0
                    }
                    try writer!.beginPartition(header)
                    begun = true
                    writtenBytes += 64 + key.key.count
                }
                if !header.deletion.isLive || !header.rangeTombstones.isEmpty || header.staticRow != nil { try begin() }
                while let row = try source.nextRow() {
                    guard let kept = purger.purge(row, maxTs: maxTs) else { continue }
                    if !begun { try begin() }
                    try writer!.append(kept)
                    writtenBytes += MemtablePartition.size(of: kept)
                }
                unthrottled += bytesPerPartition
                if unthrottled >= 64 << 10 {
                    engine.throttle.acquire(unthrottled)
                    unthrottled = 0
                }
                if let max = plan.maxOutputBytes, writtenBytes >= max, let w = writer {
                    outputs.append(try w.finish())
                    writer = nil
                }
            }
            if let w = writer {
                writer = nil
                outputs.append(try w.finish())
            }
        } catch {
            writer?.abort()
            removeFiles(of: outputs)
            throw error
        }

        let committed: Bool
        do {
            committed = try state.withLock { s -> Bool in
                guard s.epoch == epoch else { return false }
                var m = s.manifest
                m.sstables.removeAll { inputSet.contains($0.generation) }
                m.sstables += outputs.map { Manifest.Entry(generation: $0.generation, level: plan.outputLevel) }
                try m.store(directory: directory, fileSystem: fileSystem)
                s.manifest = m
                s.sstables.removeAll { inputSet.contains($0.reader.generation) }
                s.sstables += outputs.map { LiveSSTable($0, level: plan.outputLevel) }
                return true
            }
        } catch {
            engine.fail(error)
            throw error
        }
        // Inputs go only now that the MANIFEST naming the outputs is durable.
        removeFiles(of: committed ? inputs.map(\.reader) : outputs)
        engine.logger.debug("compacted", metadata: [
            "table": "\(id)", "inputs": "\(inputs.count)", "outputs": "\(outputs.count)",
            "level": "\(plan.outputLevel)", "ms": "\((monotonicNanos() - started) / 1_000_000)",
        ])
        return true
    }

    /// The smallest timestamp that data for `key` outside the compaction may carry.
    private func maxPurgeableTimestamp(_ key: DecoratedKey, excluding inputs: Set<Int64>) -> Int64 {
        let keyBytes = key.comparableBytes
        return state.withLock { s in
            var m = min(s.live.minTimestamp, s.flushing.map(\.minTimestamp).min() ?? Int64.max)
            for t in s.sstables where !inputs.contains(t.reader.generation) && t.minTimestamp < m
                && t.mayHold(keyBytes) && t.reader.mayContain(key) {
                m = t.minTimestamp
            }
            return m
        }
    }
}
