import HyadesCore

/// Which host owns which token, as read from system.local and system.peers: the owner
/// of token t is the host of the first ring token >= t (wrapping to the first).
/// Immutable: the client swaps in a new ring when it re-reads the topology.
public struct TokenRing: Sendable {
    /// Sorted by token.
    public let tokens: [Int64]
    /// `hosts[owners[i]]` owns the range ending at `tokens[i]`.
    public let owners: [Int]
    public let hosts: [String]

    public init(_ entries: [(token: Int64, host: String)]) {
        var hosts: [String] = []
        var index: [String: Int] = [:]
        let sorted = entries.sorted { $0.token < $1.token }
        var tokens: [Int64] = [], owners: [Int] = []
        for e in sorted {
            let h: Int
            if let i = index[e.host] { h = i } else { h = hosts.count; index[e.host] = h; hosts.append(e.host) }
            tokens.append(e.token); owners.append(h)
        }
        self.tokens = tokens
        self.owners = owners
        self.hosts = hosts
    }

    public var isEmpty: Bool { tokens.isEmpty }

    /// The host owning `token` (the primary replica); nil for an empty ring.
    public func owner(of token: Token) -> String? {
        ownerIndex(of: token).map { hosts[$0] }
    }

    /// Index into `hosts` of the owner of `token`.
    @inlinable
    public func ownerIndex(of token: Token) -> Int? {
        guard !tokens.isEmpty else { return nil }
        var lo = 0, hi = tokens.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if tokens[mid] < token.value { lo = mid + 1 } else { hi = mid }
        }
        return owners[lo == tokens.count ? 0 : lo]
    }
}
