import HyadesCore

/// Reads that meet a corrupt SSTable (a checksum that does not match, a structure that does
/// not decode): counted in the engine's `SSTableReadFailures`, which tells the node (log
/// once per file, `disk_failure_policy`); with `best_effort` the SSTable is taken out of
/// this table's reads and compactions at once. The error still reaches the reader.
extension TableStore {
    /// `keyspace.table` as the SSTables' schema header names it (the table id otherwise).
    public var qualifiedName: String {
        if let schema { return "\(schema.keyspace).\(schema.table)" }
        return id.description
    }

    /// Notes `error` if it is a corruption, then returns it (for `throw noted(error)`).
    func noted(_ error: any Error) -> any Error {
        guard let e = error as? SSTableCorruptionError else { return error }
        let name = e.path.split(separator: "/").last.map(String.init) ?? e.path
        let generation = SSTableFormat.parseFileName(name)?.generation
        let policy = engine.readFailures.policy
        var removed = false
        if policy == .bestEffort, let generation {
            removed = state.withLock { s -> Bool in
                // Not while a compaction reads it: that compaction fails on the same
                // damage and the next read takes it out.
                guard !s.compacting.contains(generation) else { return false }
                let before = s.sstables.count
                s.sstables.removeAll { $0.reader.generation == generation && $0.reader.directory == directoryOf(e.path) }
                return s.sstables.count != before
            }
        }
        engine.readFailures.record(e, table: qualifiedName, outOfReads: removed)
        return error
    }

    // An SSTable taken out of reads (best_effort) is still named by the MANIFEST: a
    // restart opens it again, and the first read that meets the damage takes it out again.
    private func directoryOf(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return String(path[..<slash])
    }
}

/// Passes every partition and row through; a corruption on the way is noted by its table.
final class ReadFailureNotingIterator: UnfilteredPartitionIterator {
    private let source: any UnfilteredPartitionIterator
    private unowned let table: TableStore

    init(_ source: any UnfilteredPartitionIterator, table: TableStore) {
        self.source = source
        self.table = table
    }

    func nextPartition() throws -> PartitionHeader? {
        do { return try source.nextPartition() } catch { throw table.noted(error) }
    }

    func nextRow() throws -> Row? {
        do { return try source.nextRow() } catch { throw table.noted(error) }
    }
}
