import HyadesCore

/// A point in the commit log: a segment and a byte offset in it. Positions returned by
/// `append` are just past their entry; ordering is by segment, then offset.
public struct CommitLogPosition: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var segmentID: Int64
    public var offset: Int32

    public init(segmentID: Int64, offset: Int32) {
        self.segmentID = segmentID
        self.offset = offset
    }

    /// Before every entry of every segment.
    public static let none = CommitLogPosition(segmentID: -1, offset: 0)

    public static func < (a: CommitLogPosition, b: CommitLogPosition) -> Bool {
        (a.segmentID, a.offset) < (b.segmentID, b.offset)
    }

    public var description: String { "\(segmentID):\(offset)" }
}

/// When an appended entry is durable (cassandra.yaml `commitlog_sync`).
public enum CommitLogSync: Sendable, Hashable {
    /// A write is acknowledged once its entry is in the kernel (written, not synced); a
    /// background thread fsyncs every `periodMs`. A process crash loses nothing
    /// acknowledged; a power loss can lose the last period.
    case periodic(periodMs: Int = 10_000)
    /// A write is acknowledged after an fsync covering its entry; the sync thread starts
    /// one as soon as anybody waits, so concurrent writers share it (group commit).
    case batch
    /// A write is acknowledged after an fsync covering it, within `windowMs`: the sync
    /// thread's group commit, as in batch mode (every writer waiting when an fsync starts
    /// shares it; the next one starts at once for those who came during it), which meets
    /// the window whenever an fsync takes less than half of it (CommitLog.startSyncThread).
    case group(windowMs: Int = 15)
}

/// An entry just appended: its position, and what must happen before the write it
/// carries may be acknowledged.
public struct CommitLogAppend: Sendable, Hashable {
    /// Just past the entry.
    public var position: CommitLogPosition
    /// An fsync must cover the entry (`CommitLog.whenDurable` / `waitUntilDurable`);
    /// otherwise it must only be in the kernel (`CommitLog.write(upTo:)`).
    public var needsSync: Bool

    public init(position: CommitLogPosition, needsSync: Bool) {
        self.position = position
        self.needsSync = needsSync
    }
}

public struct CommitLogOptions: Sendable {
    public var sync: CommitLogSync
    /// Size at which a segment is closed and a new one started.
    public var segmentSizeBytes: Int
    /// Largest serialized mutation accepted (Cassandra: half a segment).
    public var maxMutationBytes: Int

    public init(sync: CommitLogSync = .periodic(), segmentSizeBytes: Int = 32 << 20, maxMutationBytes: Int? = nil) {
        self.sync = sync
        self.segmentSizeBytes = segmentSizeBytes
        self.maxMutationBytes = maxMutationBytes ?? segmentSizeBytes / 2
    }
}

public enum CommitLogError: Error, CustomStringConvertible, Sendable {
    /// A write or fsync failed earlier: the log refuses every append (an fsync is never retried).
    case failed(any Error)
    /// The serialized mutation exceeds `maxMutationBytes`; nothing was written.
    case mutationTooLarge(sizeBytes: Int, maxBytes: Int)
    /// `shutdown()` was called.
    case shutDown
    /// The active segment is full and the next one could not be created (a full disk:
    /// its space is reserved when it is made). Nothing was written; the log stays usable
    /// and a later write tries again.
    case segmentUnavailable(any Error)
    case invalidOptions(String)

    public var description: String {
        switch self {
        case .failed(let e): return "commit log failed after an I/O error, refusing writes: \(e)"
        case .mutationTooLarge(let s, let m): return "mutation of \(s) bytes exceeds the commit log's limit of \(m) bytes"
        case .shutDown: return "commit log is shut down"
        case .segmentUnavailable(let e): return "commit log cannot start a new segment, write refused: \(e)"
        case .invalidOptions(let s): return "invalid commit log options: \(s)"
        }
    }
}

/// Replay found damage that cannot be a torn final write: the node must not start.
public struct CommitLogReplayError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var offset: Int64
    public var reason: String

    public init(path: String, offset: Int64, reason: String) {
        self.path = path
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "commit log replay: \(path) at offset \(offset): \(reason)" }
}

public struct CommitLogReplayReport: Sendable, Hashable {
    /// Entries with at least one partition update passed to `apply`.
    public var entriesReplayed = 0
    /// Entries whose every update was already flushed (at or before the table's position).
    public var entriesSkipped = 0
    public var segmentsReplayed = 0
    /// Bytes of torn tail cut off (and removed from the segment file).
    public var truncatedTailBytes = 0
    /// Segment files whose tail was cut.
    public var truncatedSegments: [String] = []

    public init() {}
}
