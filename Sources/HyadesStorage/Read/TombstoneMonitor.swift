import HyadesCore

/// Counts what one read walks past (Cassandra's ReadCommand metric recording): live rows
/// handed on, and tombstones — deleted or expired cells, row deletions of rows with no
/// such cell, range tombstones — and stops the read once the tombstones pass
/// `failureThreshold` (`tombstone_failure_threshold`), so a read over a graveyard fails
/// fast instead of running on (Cassandra's TombstoneOverwhelmingException).
///
/// Ambient, like Cassandra's ClientWarn: the query layer binds one for the duration of a
/// read (`TombstoneMonitor.$current.withValue(m) { ... }`), and every read path picks it
/// up once when it starts (`LiveRowFilter`, `FilteredPartitionIterator`, `HybridScan`),
/// so no read API grows a parameter and reads with no monitor bound pay nothing. A read
/// runs on one thread, so the counts need no lock.
public final class TombstoneMonitor: @unchecked Sendable {
    @TaskLocal public static var current: TombstoneMonitor?

    public let failureThreshold: Int
    public private(set) var tombstones = 0
    public private(set) var liveRows = 0

    public init(failureThreshold: Int) { self.failureThreshold = failureThreshold }

    @inline(__always)
    func countTombstones(_ n: Int) throws {
        guard n > 0 else { return }
        tombstones += n
        if tombstones > failureThreshold { throw TombstoneOverwhelmingError(tombstones: tombstones) }
    }

    @inline(__always)
    func countLiveRow() { liveRows += 1 }

    /// A merged row about to be filtered for liveness (`Reconcile.live`).
    func observe(_ row: Row, nowInSeconds: Int32) throws {
        var dead = 0
        for c in row.columns {
            switch c {
            case .simple(_, let cell): if !cell.isLive(nowInSeconds: nowInSeconds) { dead += 1 }
            case .complex(_, let d): for cell in d.cells where !cell.isLive(nowInSeconds: nowInSeconds) { dead += 1 }
            }
        }
        if dead == 0 && !row.deletion.isLive { dead = 1 }
        try countTombstones(dead)
    }
}

/// A read stopped after walking past more tombstones than `tombstone_failure_threshold`.
public struct TombstoneOverwhelmingError: Error, CustomStringConvertible, Sendable {
    public var tombstones: Int
    public var description: String {
        "Scanned over \(tombstones) tombstones; query aborted (see tombstone_failure_threshold)"
    }
}
