import HyadesCore

/// Where flush and compaction cut their output SSTables, as the shards of Cassandra 5's
/// Unified Compaction Strategy: a sorted list of tokens (the server derives them from the
/// node's token ranges; storage knows nothing of replication). A boundary `b` means no
/// output SSTable holds both a key with token <= b and one with token > b, so a range
/// `(start, end]` whose ends are boundaries is covered by whole files: moving it to
/// another node streams files, and repair can compare it file by file.
///
/// `n` boundaries make `n + 1` shards: shard `i` holds the tokens in
/// `(tokens[i-1], tokens[i]]`, shard 0 everything up to `tokens[0]`, shard `n` everything
/// after the last boundary. No boundaries (`unsharded`): one shard, as before shards.
public struct ShardBoundaries: Hashable, Sendable, CustomStringConvertible {
    /// Ascending, without duplicates.
    public let tokens: [Token]

    public static let unsharded = ShardBoundaries([])

    /// Sorts and deduplicates `tokens`. `Token.maximum` is dropped: no key sorts after it,
    /// so it cuts nothing.
    public init(_ tokens: [Token]) {
        self.tokens = Array(Set(tokens)).filter { $0 != .maximum }.sorted()
    }

    public var isEmpty: Bool { tokens.isEmpty }
    public var shardCount: Int { tokens.count + 1 }

    /// The shard holding `token`: the index of the first boundary at or after it.
    @inline(__always)
    public func shard(of token: Token) -> Int {
        var lo = 0, hi = tokens.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if tokens[mid] < token { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// The last token of `shard` (inclusive), nil for the last shard (it runs to the end
    /// of the ring).
    @inline(__always)
    public func upperBound(ofShard shard: Int) -> Token? { shard < tokens.count ? tokens[shard] : nil }

    /// Whether keys from `minToken` to `maxToken` lie in one shard (what an SSTable's
    /// statistics say about it).
    public func isAligned(minToken: Token, maxToken: Token) -> Bool {
        minToken > maxToken || shard(of: minToken) == shard(of: maxToken)
    }

    /// How many of `remaining` partitions, still to come in token order from `token` on,
    /// an output starting at `token` will likely get if cut at the end of its shard (keys
    /// spread evenly over the ring under Murmur3): what its bloom filter is sized for, so
    /// that a flush or compaction cut into many files does not give each a filter sized
    /// for all of them. A quarter more as margin; never more than `remaining`.
    func expectedPartitions(startingAt token: Token, remaining: Int) -> Int {
        guard let end = upperBound(ofShard: shard(of: token)), remaining > 0 else { return max(1, remaining) }
        let shardWidth = Double(end.value) - Double(token.value) + 1
        let restWidth = Double(Int64.max) - Double(token.value) + 1
        let estimate = Double(remaining) * min(1, shardWidth / restWidth) * 1.25 + 16
        return max(1, min(remaining, Int(estimate)))
    }

    public var description: String {
        tokens.isEmpty ? "no shard boundaries" : "\(tokens.count) shard boundaries"
    }
}

/// Cuts a stream of partitions (in token order) at shard boundaries: flush and compaction
/// ask it, before each partition, whether the current output must be finished first.
struct ShardCutter {
    let boundaries: ShardBoundaries
    /// The last token of the current output's shard; nil: the last shard (never cut).
    private var limit: Token?
    private var started = false

    init(_ boundaries: ShardBoundaries) {
        self.boundaries = boundaries
    }

    /// Whether a partition with `token` starts a new shard (compared to the previous
    /// partition passed here). The first partition starts none.
    @inline(__always)
    mutating func crossesBoundary(_ token: Token) -> Bool {
        if boundaries.isEmpty { return false }
        if !started {
            started = true
            limit = boundaries.upperBound(ofShard: boundaries.shard(of: token))
            return false
        }
        guard let l = limit, token > l else { return false }
        limit = boundaries.upperBound(ofShard: boundaries.shard(of: token))
        return true
    }
}
