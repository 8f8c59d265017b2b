import HyadesCore
import Logging

extension CommitLog {
    /// Replays every entry of the segments found at startup that is after the given
    /// per-table positions (tables not in the map: from the start), oldest first, calling
    /// `apply` with the entry's updates for those tables and the position just past the
    /// entry. Call it once, before the first `append`.
    ///
    /// A torn tail (damage after which nothing valid follows, in one of the two newest
    /// segments that hold entries) is cut with a warning, and the segment file is rewritten without it
    /// so the damage cannot resurface once newer segments exist. Any other bad entry throws
    /// `CommitLogReplayError` naming the file and offset: the node must not start.
    public func replay(after positions: [TableID: CommitLogPosition],
                       apply: (Mutation, CommitLogPosition) throws -> Void) throws -> CommitLogReplayReport {
        var report = CommitLogReplayReport()
        let segments = recoveredSegments.filter { fileSystem.fileExists($0.path) }
        let holding = try segments.map { try holdsEntries($0.path) }
        for segment in segments {
            // Segment N is fsynced whole before any byte of segment N+2 is written
            // (CommitLog, "Rollover"): damage can be a torn write only where no segment
            // from N+2 on ever received an entry.
            let tornAllowed = zip(segments, holding).allSatisfy { other, holds in
                other.id < segment.id + 2 || !holds
            }
            let reader = CommitLogSegmentReader(path: segment.path, segmentID: segment.id, mayHaveTornTail: tornAllowed)
            let file = try fileSystem.openForReading(segment.path)
            defer { file.close() }
            var dirty: [TableID: Int32] = [:]
            var validPrefix: [UInt8]? = nil
            let outcome = try file.withBytes(at: 0, count: Int(file.size)) { bytes in
                let o = try reader.scan(bytes) { payload, entryOffset, endOffset in
                    let mutation: Mutation
                    do {
                        mutation = try MutationSerializer.deserialize(payload)
                    } catch let e as MutationSerializationError {
                        // Its checksum was right, so this is not a torn write: never cut.
                        throw CommitLogReplayError(
                            path: segment.path,
                            offset: Int64(entryOffset + CommitLogFormat.entryHeaderBytes + e.offset),
                            reason: "unreadable mutation in the entry at \(entryOffset): \(e.reason)")
                    }
                    let position = CommitLogPosition(segmentID: segment.id, offset: Int32(endOffset))
                    let wanted = mutation.updates.filter { u in positions[u.table].map { position > $0 } ?? true }
                    if wanted.isEmpty {
                        report.entriesSkipped += 1
                        return
                    }
                    try apply(wanted.count == mutation.updates.count ? mutation : Mutation(wanted), position)
                    for u in wanted { dirty[u.table] = Int32(endOffset) }
                    report.entriesReplayed += 1
                }
                if o.truncatedBytes > 0 && o.entries > 0 {
                    validPrefix = Array(UnsafeRawBufferPointer(rebasing: bytes[0..<o.validEnd]))
                }
                return o
            }
            report.segmentsReplayed += 1
            var removed = false
            if outcome.truncatedBytes > 0 {
                logger.warning("commit log: cut torn tail of the last segment", metadata: [
                    "path": "\(segment.path)", "offset": "\(outcome.validEnd)",
                    "bytes": "\(outcome.truncatedBytes)", "reason": "\(outcome.tailReason ?? "")",
                ])
                report.truncatedTailBytes += outcome.truncatedBytes
                report.truncatedSegments.append(segment.path)
                try repairTornSegment(path: segment.path, validPrefix: validPrefix)
                removed = validPrefix == nil
            }
            state.withLock { s in
                if removed {
                    s.segments[segment.id] = nil
                } else if s.segments[segment.id] != nil {
                    s.segments[segment.id]!.dirty = dirty
                }
            }
        }
        // Segments holding nothing unflushed (every entry skipped) are not needed anymore.
        deleteCleanSegments()
        logger.info("commit log replayed", metadata: [
            "segments": "\(report.segmentsReplayed)", "entries": "\(report.entriesReplayed)",
            "skipped": "\(report.entriesSkipped)", "truncatedTailBytes": "\(report.truncatedTailBytes)",
        ])
        return report
    }

    /// Whether anything follows the segment header: a segment whose file was still mapped
    /// (reserved and zero-filled to its full size, PosixWritableFile) when the process
    /// died reads as long as that, so its length alone does not tell.
    func holdsEntries(_ path: String) throws -> Bool {
        let file = try fileSystem.openForReading(path)
        defer { file.close() }
        let header = Int64(CommitLogFormat.segmentHeaderBytes)
        guard file.size > header else { return false }
        let n = Int(min(file.size - header, Int64(CommitLogFormat.entryHeaderBytes)))
        return try file.withBytes(at: header, count: n) { bytes in bytes.contains { $0 != 0 } }
    }

    /// Rewrites a segment as its valid prefix (via a temporary file and an atomic rename),
    /// or deletes it when nothing valid is left.
    func repairTornSegment(path: String, validPrefix: [UInt8]?) throws {
        guard let prefix = validPrefix else {
            try fileSystem.removeFile(path)
            try fileSystem.syncDirectory(directory)
            return
        }
        let temporary = path + ".tmp"
        let file = try fileSystem.createForWriting(temporary)
        try file.append(prefix)
        try file.sync()
        try file.close()
        try fileSystem.rename(temporary, to: path)
        try fileSystem.syncDirectory(directory)
    }
}
