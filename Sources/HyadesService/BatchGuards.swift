import HyadesCore

/// Cassandra's checks on a batch's mutation before it is applied (BatchStatement
/// verifyBatchSize / verifyBatchType), with its thresholds from the node's configuration
/// (cassandra.yaml names and defaults):
/// - `batch_size_warn_threshold` (5 KiB): a batch over more than one partition whose data
///   is larger gets a client warning; over `batch_size_fail_threshold` (50 KiB) it is
///   refused ("Batch too large") before anything is written;
/// - `unlogged_batch_across_partitions_warn_threshold` (10): an UNLOGGED batch touching
///   more partitions than that gets a client warning.
public struct BatchGuards: Sendable, Hashable {
    public var sizeWarnThresholdBytes: Int
    public var sizeFailThresholdBytes: Int
    public var unloggedAcrossPartitionsWarnThreshold: Int

    public init(sizeWarnThresholdBytes: Int = 5 << 10, sizeFailThresholdBytes: Int = 50 << 10,
                unloggedAcrossPartitionsWarnThreshold: Int = 10) {
        self.sizeWarnThresholdBytes = sizeWarnThresholdBytes
        self.sizeFailThresholdBytes = sizeFailThresholdBytes
        self.unloggedAcrossPartitionsWarnThreshold = unloggedAcrossPartitionsWarnThreshold
    }

    /// Checks `mutation`, adding Cassandra's warnings to `warnings`; throws InvalidRequest
    /// for a batch over the fail threshold. `tableName` names a table id as `ks.table`.
    func verify(_ mutation: Mutation, type: BatchType, warnings: ClientWarnings?,
                tableName: (TableID) -> String) throws(QueryError) {
        // Cassandra counts one mutation per partition key (and keyspace): like it, a
        // single-partition batch is never warned about or refused for its size.
        var keys = Set<[UInt8]>()
        for u in mutation.updates { keys.insert(u.key.key) }
        let tableIDs = Set(mutation.updates.map(\.table))
        guard keys.count > 1 || tableIDs.count > 1 else { return }
        // Table names only for a warning: Spark's batches pass here on every write.
        func tables() -> String { "[" + tableIDs.map(tableName).sorted().joined(separator: ", ") + "]" }
        let size = mutation.updates.reduce(0) { $0 + Self.dataSize($1) }
        if size > sizeWarnThresholdBytes {
            if size > sizeFailThresholdBytes { throw QueryError.invalid("Batch too large") }
            warnings?.add("Batch for \(tables()) is of size \(size), exceeding specified threshold of "
                          + "\(sizeWarnThresholdBytes) by \(size - sizeWarnThresholdBytes).")
        }
        if type != .logged && keys.count > unloggedAcrossPartitionsWarnThreshold {
            warnings?.add("Unlogged batch covering \(keys.count) partitions detected against table\(tableIDs.count == 1 ? "" : "s") "
                          + "\(tables()). You should use a logged batch for atomicity, or asynchronous writes for performance.")
        }
    }

    /// The bytes a partition update carries, counted as Cassandra's PartitionUpdate.dataSize
    /// does: key, clusterings, values, and 8 bytes per timestamp (12 with a TTL).
    static func dataSize(_ u: PartitionUpdate) -> Int {
        func cell(_ c: Cell) -> Int { c.value.count + c.path.count + (c.ttl > 0 ? 16 : 8) }
        func row(_ r: Row) -> Int {
            var n = r.clustering.count + (r.liveness.isEmpty ? 0 : 8) + (r.deletion.isLive ? 0 : 12)
            for c in r.columns {
                switch c {
                case .simple(_, let x): n += cell(x)
                case .complex(_, let d): n += d.cells.reduce(0) { $0 + cell($1) } + (d.deletion.isLive ? 0 : 12)
                }
            }
            return n
        }
        var n = u.key.key.count + (u.partitionDeletion.isLive ? 0 : 12)
        if let s = u.staticRow { n += row(s) }
        n += u.rangeTombstones.reduce(0) { $0 + $1.start.count + $1.end.count + 12 }
        return u.rows.reduce(n) { $0 + row($1) }
    }
}

/// Cassandra's tombstone_warn_threshold (1000) and tombstone_failure_threshold (100000):
/// a read that walks past more tombstones than the first warns the client; past the
/// second it fails with READ_FAILURE instead of running on.
public struct TombstoneThresholds: Sendable, Hashable {
    public var warn: Int
    public var failure: Int

    public init(warn: Int = 1000, failure: Int = 100_000) {
        self.warn = warn
        self.failure = failure
    }
}
