/// When something was deleted: the write timestamp of the deletion (microseconds, the
/// CQL `USING TIMESTAMP` clock) and the server's local time of the deletion in seconds,
/// used to purge the tombstone after gc_grace_seconds. As Cassandra's `DeletionTime`.
public struct DeletionTime: Hashable, Sendable, Comparable {
    public var markedForDeleteAt: Int64
    public var localDeletionTime: Int32

    @inlinable public init(markedForDeleteAt: Int64, localDeletionTime: Int32) {
        self.markedForDeleteAt = markedForDeleteAt
        self.localDeletionTime = localDeletionTime
    }

    /// No deletion.
    public static let live = DeletionTime(markedForDeleteAt: Int64.min, localDeletionTime: Int32.max)

    @inlinable public var isLive: Bool { markedForDeleteAt == Int64.min }

    /// A deletion shadows data written at or before its timestamp.
    @inlinable public func deletes(timestamp: Int64) -> Bool { timestamp <= markedForDeleteAt }

    /// The later of two deletions supersedes (Cassandra's `DeletionTime.supersedes`).
    @inlinable public static func < (lhs: DeletionTime, rhs: DeletionTime) -> Bool {
        if lhs.markedForDeleteAt != rhs.markedForDeleteAt { return lhs.markedForDeleteAt < rhs.markedForDeleteAt }
        return lhs.localDeletionTime < rhs.localDeletionTime
    }
}

/// The primary-key liveness of a row (what CQL INSERT writes and UPDATE does not): it
/// keeps a row alive even when all its regular cells are null. As Cassandra's
/// `LivenessInfo`.
public struct LivenessInfo: Hashable, Sendable {
    public var timestamp: Int64
    /// Seconds; 0 when the row marker does not expire.
    public var ttl: Int32
    /// When an expiring marker stops being live (seconds since the epoch); `Int32.max`
    /// when it never expires.
    public var localExpirationTime: Int32

    @inlinable public init(timestamp: Int64, ttl: Int32 = 0, localExpirationTime: Int32 = Int32.max) {
        self.timestamp = timestamp
        self.ttl = ttl
        self.localExpirationTime = localExpirationTime
    }

    /// No primary-key liveness (the row exists only through its cells, if any).
    public static let empty = LivenessInfo(timestamp: Int64.min)

    @inlinable public var isEmpty: Bool { timestamp == Int64.min }
    @inlinable public var isExpiring: Bool { ttl != 0 }

    @inlinable public func isLive(nowInSeconds: Int32) -> Bool {
        !isEmpty && (ttl == 0 || nowInSeconds < localExpirationTime)
    }

    /// Reconciliation: the higher timestamp wins; on a tie the one that lives longer.
    @inlinable public static func merge(_ a: LivenessInfo, _ b: LivenessInfo) -> LivenessInfo {
        if a.timestamp != b.timestamp { return a.timestamp > b.timestamp ? a : b }
        // Tie: a non-expiring marker outlives an expiring one; else the later expiry wins.
        if a.isExpiring != b.isExpiring { return a.isExpiring ? b : a }
        return a.localExpirationTime >= b.localExpirationTime ? a : b
    }
}
