import HyadesCore

/// The ring as this node knows it (Cassandra's `TokenMetadata`): every endpoint by host id,
/// with its address, location, status and vnode tokens, and the sorted token ring built
/// from the endpoints that own tokens (normal and leaving ones).
///
/// A token `t` in the ring ends the range `(predecessor(t), t]`; a key belongs to the range
/// of the first ring token at or after its token, wrapping past the largest token to the
/// smallest. Value type: a change builds a new ring, so readers keep a consistent snapshot.
public struct TokenMetadata: Sendable, Hashable {
    public private(set) var endpoints: [HostID: Endpoint] = [:]
    /// Each endpoint's tokens, sorted (joining endpoints included: their pending tokens).
    public private(set) var tokens: [HostID: [Token]] = [:]
    /// The ring: tokens of endpoints that own ranges now, ascending.
    public private(set) var sortedTokens: [Token] = []
    /// `owners[i]` owns `sortedTokens[i]`.
    public private(set) var owners: [HostID] = []
    /// Ring members per data centre, and per data centre and rack (Cassandra's `Topology`).
    public private(set) var dataCenterEndpoints: [String: Set<HostID>] = [:]
    public private(set) var dataCenterRacks: [String: [String: Set<HostID>]] = [:]
    /// Every listed token (pending ones included) to its endpoint: one owner per token.
    private var tokenOwners: [Token: HostID] = [:]

    public init() {}

    public init(_ members: [(Endpoint, [Token])]) throws(RingError) {
        for (e, t) in members { try add(e, tokens: t) }
    }

    // MARK: Changes

    /// Adds (or replaces) an endpoint with its tokens. A token may belong to one endpoint
    /// only: taking another endpoint's token is refused, as two owners would split traffic.
    public mutating func add(_ endpoint: Endpoint, tokens new: [Token]) throws(RingError) {
        guard !new.isEmpty else { throw .noTokens(endpoint.hostID) }
        var seen = Set<Token>()
        for t in new {
            guard t != .minimum else { throw .minimumToken(endpoint.hostID) }
            guard seen.insert(t).inserted else { throw .duplicateToken(t, endpoint.hostID) }
            if let other = tokenOwners[t], other != endpoint.hostID {
                throw .tokenOwned(t, owner: other, claimant: endpoint.hostID)
            }
        }
        for t in tokens[endpoint.hostID] ?? [] { tokenOwners[t] = nil }
        for t in new { tokenOwners[t] = endpoint.hostID }
        endpoints[endpoint.hostID] = endpoint
        tokens[endpoint.hostID] = new.sorted()
        rebuild()
    }

    /// A node came back on a new address: same host id, same tokens, same ranges.
    public mutating func updateAddress(of hostID: HostID, to address: String) throws(RingError) {
        guard endpoints[hostID] != nil else { throw .unknownEndpoint(hostID) }
        endpoints[hostID]!.address = address
    }

    public mutating func setStatus(of hostID: HostID, to status: EndpointStatus) throws(RingError) {
        guard endpoints[hostID] != nil else { throw .unknownEndpoint(hostID) }
        endpoints[hostID]!.status = status
        rebuild()
    }

    public mutating func remove(_ hostID: HostID) {
        for t in tokens[hostID] ?? [] { tokenOwners[t] = nil }
        endpoints[hostID] = nil
        tokens[hostID] = nil
        rebuild()
    }

    private mutating func rebuild() {
        var pairs: [(Token, HostID)] = []
        var dcs: [String: Set<HostID>] = [:]
        var racks: [String: [String: Set<HostID>]] = [:]
        for (id, e) in endpoints where e.status.ownsTokens {
            for t in tokens[id] ?? [] { pairs.append((t, id)) }
            dcs[e.location.dataCenter, default: []].insert(id)
            racks[e.location.dataCenter, default: [:]][e.location.rack, default: []].insert(id)
        }
        pairs.sort { $0.0 < $1.0 }
        sortedTokens = pairs.map(\.0)
        owners = pairs.map(\.1)
        dataCenterEndpoints = dcs
        dataCenterRacks = racks
    }

    // MARK: Queries

    public var isEmpty: Bool { sortedTokens.isEmpty }

    public func endpoint(_ hostID: HostID) -> Endpoint? { endpoints[hostID] }

    public func endpoint(atAddress address: String) -> Endpoint? {
        endpoints.values.first { $0.address == address }
    }

    public func location(of hostID: HostID) -> Location? { endpoints[hostID]?.location }

    /// The endpoint owning exactly this ring token, if it is one.
    public func owner(of token: Token) -> HostID? {
        let i = lowerBound(token)
        return i < sortedTokens.count && sortedTokens[i] == token ? owners[i] : nil
    }

    /// Index of the first ring token >= `token`, wrapping to 0 past the last one
    /// (Cassandra's `TokenMetadata.firstTokenIndex`). The ring must not be empty.
    public func firstTokenIndex(_ token: Token) -> Int {
        precondition(!sortedTokens.isEmpty, "empty ring")
        let i = lowerBound(token)
        return i == sortedTokens.count ? 0 : i
    }

    /// The ring token ending the range that holds `token` (Cassandra's `firstToken`).
    public func firstToken(_ token: Token) -> Token { sortedTokens[firstTokenIndex(token)] }

    /// The ring token before ring token index `i`, wrapping.
    public func predecessor(ofIndex i: Int) -> Token {
        sortedTokens[i == 0 ? sortedTokens.count - 1 : i - 1]
    }

    /// The ring range `(predecessor, first]` holding `token`: the primary range of the
    /// owner of `firstToken(token)`.
    public func primaryRange(for token: Token) -> TokenRange {
        let i = firstTokenIndex(token)
        return TokenRange(start: predecessor(ofIndex: i), end: sortedTokens[i])
    }

    /// Every range of the ring in token order: the range ending at `sortedTokens[i]` is
    /// element `i` (the first one wraps).
    public var ranges: [TokenRange] {
        sortedTokens.indices.map { TokenRange(start: predecessor(ofIndex: $0), end: sortedTokens[$0]) }
    }

    /// The ranges an endpoint is primary for (one per vnode token).
    public func primaryRanges(of hostID: HostID) -> [TokenRange] {
        sortedTokens.indices.filter { owners[$0] == hostID }.map {
            TokenRange(start: predecessor(ofIndex: $0), end: sortedTokens[$0])
        }
    }

    private func lowerBound(_ token: Token) -> Int {
        var lo = 0, hi = sortedTokens.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if sortedTokens[mid] < token { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

/// A change to the ring that would leave it inconsistent.
public enum RingError: Error, Hashable, Sendable, CustomStringConvertible {
    case noTokens(HostID)
    case minimumToken(HostID)
    case duplicateToken(Token, HostID)
    case tokenOwned(Token, owner: HostID, claimant: HostID)
    case unknownEndpoint(HostID)

    public var description: String {
        switch self {
        case .noTokens(let h): "endpoint \(h) has no tokens"
        case .minimumToken(let h): "endpoint \(h) claims the ring's minimum token \(Token.minimum), which no node may own"
        case .duplicateToken(let t, let h): "endpoint \(h) lists token \(t) twice"
        case .tokenOwned(let t, let o, let c): "token \(t) of endpoint \(c) is already owned by \(o)"
        case .unknownEndpoint(let h): "no endpoint with host id \(h) in the ring"
        }
    }
}
