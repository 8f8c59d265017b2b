import HyadesCore

/// Cassandra's `Range<Token>`: the tokens in `(start, end]`. When `start >= end` the range
/// wraps past the ring's maximum; `start == end` is the whole ring (a one-token ring).
public struct TokenRange: Hashable, Sendable, CustomStringConvertible {
    public var start: Token
    public var end: Token

    public init(start: Token, end: Token) {
        self.start = start
        self.end = end
    }

    public var isWrapping: Bool { start >= end }

    public func contains(_ token: Token) -> Bool {
        if start < end { return start < token && token <= end }
        if start == end { return true }
        return token > start || token <= end
    }

    /// How many tokens the range holds, as a fraction of the ring (0 < f <= 1). Sizes are
    /// exact `UInt64` differences; the whole ring counts 2^64.
    public var ringFraction: Double {
        let width = UInt64(bitPattern: end.value &- start.value)
        return width == 0 ? 1.0 : Double(width) / 18446744073709551616.0
    }

    public var description: String { "(\(start),\(end)]" }
}
