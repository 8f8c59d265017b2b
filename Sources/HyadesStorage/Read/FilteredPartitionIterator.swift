import HyadesCore

/// The live view of a merged stream at `nowInSeconds` (what a CQL read returns):
/// tombstones, shadowed and expired data removed; partitions with nothing live skipped.
///
/// Fetched vs queried columns (Cassandra's `ColumnFilter`): a regular row lives through
/// its row marker or a live cell of ANY column, so the source should carry every column
/// (`TableStore.read`/`scan` ask their sources for all); the projection to `columns` is
/// applied after liveness, and a live row may come out with no columns. Static rows are
/// projected first (Cassandra fetches only the queried static columns).
///
///     while let (key, staticRow) = try it.nextPartition() {
///         while let row = try it.nextRow() { ... }
///     }
public final class FilteredPartitionIterator {
    private let source: any UnfilteredPartitionIterator
    public let nowInSeconds: Int32
    private let columns: ColumnFilter
    private var buffered: Row?
    /// The read's tombstone counter, if the query layer bound one (`TombstoneMonitor`).
    private let monitor: TombstoneMonitor?

    /// `source` must already be merged (shadowing applied), as `MergingPartitionIterator` yields.
    public init(_ source: any UnfilteredPartitionIterator, nowInSeconds: Int32, columns: ColumnFilter = .all) {
        self.source = source
        self.nowInSeconds = nowInSeconds
        self.columns = columns
        self.monitor = TombstoneMonitor.current
    }

    /// The next partition with live data: its key and live static row (nil if none).
    public func nextPartition() throws -> (key: DecoratedKey, staticRow: Row?)? {
        while let header = try source.nextPartition() {
            if let monitor {
                try monitor.countTombstones(header.rangeTombstones.count)
                if let s = header.staticRow { try monitor.observe(s, nowInSeconds: nowInSeconds) }
            }
            let staticRow = header.staticRow.flatMap { Reconcile.live(Reconcile.project($0, columns), nowInSeconds: nowInSeconds) }
            // A partition is returned only if something in it is live; look at its first live row.
            let first = try nextLiveRow()
            if staticRow != nil || first != nil {
                buffered = first
                return (header.key, staticRow)
            }
        }
        buffered = nil
        return nil
    }

    /// The next live row of the current partition.
    public func nextRow() throws -> Row? {
        // One exclusive access to `buffered` (swap), not a read then a write.
        var b: Row? = nil
        swap(&b, &buffered)
        if let b { return b }
        return try nextLiveRow()
    }

    private func nextLiveRow() throws -> Row? {
        while let r = try source.nextRow() {
            if let monitor { try monitor.observe(r, nowInSeconds: nowInSeconds) }
            if let live = Reconcile.live(r, nowInSeconds: nowInSeconds) {
                monitor?.countLiveRow()
                return Reconcile.project(live, columns)
            }
        }
        return nil
    }
}
