/// A reading of the injected clock: nanoseconds since the Unix epoch. The cluster state
/// machines never read a clock themselves; the driver (the server's event loop, or a test's
/// simulated clock) passes `now` into every event, so a run replays exactly from its inputs.
public struct ClusterTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static func milliseconds(_ ms: Int64) -> ClusterTime { ClusterTime(nanoseconds: ms * 1_000_000) }
    public static func seconds(_ s: Int64) -> ClusterTime { ClusterTime(nanoseconds: s * 1_000_000_000) }

    public var milliseconds: Int64 { nanoseconds / 1_000_000 }
    /// Whole seconds since the epoch (gossip generations are counted in these).
    public var seconds: Int64 { nanoseconds / 1_000_000_000 }

    public static func < (a: ClusterTime, b: ClusterTime) -> Bool { a.nanoseconds < b.nanoseconds }

    public func adding(milliseconds ms: Int64) -> ClusterTime { ClusterTime(nanoseconds: nanoseconds + ms * 1_000_000) }
    public func adding(nanoseconds ns: Int64) -> ClusterTime { ClusterTime(nanoseconds: nanoseconds + ns) }

    /// Nanoseconds from `earlier` to self.
    public func since(_ earlier: ClusterTime) -> Int64 { nanoseconds - earlier.nanoseconds }

    public var description: String { "\(nanoseconds / 1_000_000)ms" }
}
