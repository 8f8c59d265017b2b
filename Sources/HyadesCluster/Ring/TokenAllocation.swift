import HyadesCore

/// Chooses a new node's vnode tokens once, at its first start (the server keeps them in
/// `<data>/node-identity.txt`; a restart reuses them and never allocates again).
///
/// Nodes beyond the replication factor get tokens that even out replicated ownership in
/// their data centre, the idea of Cassandra's `allocate_tokens_for_local_replication_factor` (ReplicationAwareTokenAllocator):
/// tokens are placed one at a time, each where it best evens out how much of the ring every
/// node of the data centre replicates at the given replication factor, replicas counted by
/// the real rack-aware placement (`NetworkTopologyStrategy` restricted to that data centre).
/// The objective is in `AllocationState`. Candidates are 5 split points in every range;
/// ties go to the earliest in ring order, so the result is deterministic for a ring.
///
/// While the data centre has fewer nodes than the replication factor every node holds
/// everything, so there is nothing to balance: as Cassandra's `generateSplits`, the first
/// node starts at a random token and each further token splits the largest range at a
/// random ratio in [1/4, 3/4], random draws coming from the injected generator. The whole
/// allocation is therefore deterministic for a seed.
public enum TokenAllocation {
    /// `count` distinct random tokens, never the ring minimum and never one in `avoiding`.
    public static func randomTokens(count: Int, avoiding: Set<Token> = [],
                                    using rng: inout some RandomNumberGenerator) -> [Token] {
        var out = Set<Token>()
        while out.count < count {
            let t = Token(Int64.random(in: (Int64.min + 1)...Int64.max, using: &rng))
            if !avoiding.contains(t) { out.insert(t) }
        }
        return out.sorted()
    }

    /// The first nodes' tokens: the first node of a data centre starts at a random token;
    /// then each token splits the largest range of the data centre's ring at a random
    /// ratio between 1/4 and 3/4. Ranges stay within a small factor of each other, unlike
    /// purely random tokens.
    static func generateSplits(numTokens: Int, existing: [UInt64], avoiding: Set<Token>,
                               using rng: inout some RandomNumberGenerator) -> [Token] {
        var ring = existing
        var out: [Token] = []
        if ring.isEmpty {
            let t = randomTokens(count: 1, avoiding: avoiding, using: &rng)[0]
            ring.append(t.byteComparable)
            out.append(t)
        }
        while out.count < numTokens {
            var best = 0
            var bestWidth: UInt64 = 0
            for i in ring.indices {
                let w = ring[i] &- ring[i == 0 ? ring.count - 1 : i - 1]
                if w == 0 || w > bestWidth { best = i; bestWidth = w; if w == 0 { break } }
            }
            let start = ring[best == 0 ? ring.count - 1 : best - 1]
            let ratio = 0.25 + 0.5 * Double.random(in: 0..<1, using: &rng)
            let width = bestWidth == 0 ? Double(UInt64.max) : Double(bestWidth)
            var p = start &+ max(1, UInt64(width * ratio))
            while avoiding.contains(Token(byteComparable: p)) || p == 0 || ring.contains(p) { p &+= 1 }
            let at = ring.firstIndex { $0 > p } ?? ring.count
            ring.insert(p, at: at)
            out.append(Token(byteComparable: p))
        }
        return out.sorted()
    }

    /// Tokens for a node joining `ring` at `location`, balanced for `replicationFactor`
    /// replicas in its data centre.
    public static func allocate(numTokens: Int, location: Location, ring: TokenMetadata, replicationFactor: Int,
                                using rng: inout some RandomNumberGenerator) -> [Token] {
        precondition(numTokens > 0 && replicationFactor > 0)
        let taken = Set(ring.sortedTokens)
        var hosts: [HostID] = []
        var index: [HostID: Int] = [:]
        var ringTokens: [UInt64] = [], ringOwners: [Int] = []
        for (i, t) in ring.sortedTokens.enumerated() {
            let h = ring.owners[i]
            guard ring.endpoints[h]?.location.dataCenter == location.dataCenter else { continue }
            if index[h] == nil { index[h] = hosts.count; hosts.append(h) }
            ringTokens.append(t.byteComparable)   // unsigned, same order: plain arithmetic
            ringOwners.append(index[h]!)
        }
        if hosts.count < replicationFactor {
            // Every node replicates everything yet: no balance to seek, only a ring worth
            // splitting later (Cassandra's TokenAllocatorBase.generateSplits).
            return generateSplits(numTokens: numTokens, existing: ringTokens, avoiding: taken, using: &rng)
        }

        var racks: [String: Int] = [:]
        var rackOf = hosts.map { h in
            let r = ring.endpoints[h]!.location.rack
            if racks[r] == nil { racks[r] = racks.count }
            return racks[r]!
        }
        if racks[location.rack] == nil { racks[location.rack] = racks.count }
        rackOf.append(racks[location.rack]!)
        var state = AllocationState(tokens: ringTokens, owners: ringOwners, rackOf: rackOf,
                                    rackCount: racks.count, rf: replicationFactor, newNodeTokens: numTokens)
        var chosen: [Token] = []
        for _ in 0..<numTokens {
            guard var p = state.bestSplit() else { break }
            // Another data centre's token, or the ring minimum: step aside.
            while taken.contains(Token(byteComparable: p)) || chosen.contains(Token(byteComparable: p)) || p == 0 { p &+= 1 }
            state.insert(p)
            chosen.append(Token(byteComparable: p))
        }
        if chosen.count < numTokens {   // a ring too dense to split: fill at random
            chosen += randomTokens(count: numTokens - chosen.count, avoiding: taken.union(chosen), using: &rng)
        }
        return chosen.sorted()
    }
}

/// One data centre's ring during allocation: tokens as unsigned offsets, owners as node
/// indexes (the new node is the last index), each range's replicas, the ring positions
/// the walk took them from, and the walk's length.
///
/// Objective (lower is better), as Cassandra's allocator weighs units and vnodes:
/// - per node, `(replicated ownership - target)²`, the target being the node's share of
///   `min(rf, nodes)` rings in proportion to its tokens (the new node counted with all it
///   will have);
/// - per vnode token, `(replicated load - rings / tokens)²`, a token's load being the
///   ranges whose replica walk took that token: keeps every vnode's share even, so the
///   ring stays splittable for the nodes that come later;
/// - per node, the same as the first for unreplicated (primary range) ownership.
struct AllocationState {
    static let ringSize = 18446744073709551616.0
    /// Split points tried in every range, and the weights of the vnode and primary terms.
    /// Chosen by measurement (docs/cluster.md): more split points or heavier vnode terms
    /// did worse, greedy choices grabbing too much early.
    static let fractions: [Double] = [0.25, 0.375, 0.5, 0.625, 0.75]
    static let primaryWeight = 1.0
    static let tokenWeight = 1.0

    var tokens: [UInt64]
    var owners: [Int]
    let rackOf: [Int]
    let rackCount: Int
    let rf: Int
    let newNode: Int
    var targets: [Double] = []
    var primaryTargets: [Double] = []
    var tokenTarget = 0.0
    var ownership: [Double] = []
    var primary: [Double] = []
    var tokenLoad: [Double] = []
    var replicas: [[Int]] = []
    var positions: [[Int]] = []
    var walkLength: [Int] = []

    init(tokens: [UInt64], owners: [Int], rackOf: [Int], rackCount: Int, rf: Int, newNodeTokens: Int) {
        self.tokens = tokens
        self.owners = owners
        self.rackOf = rackOf
        self.rackCount = rackCount
        self.rf = rf
        self.newNode = rackOf.count - 1
        var counts = [Int](repeating: 0, count: rackOf.count)
        for o in owners { counts[o] += 1 }
        let total = Double(owners.count + newNodeTokens)
        let rings = Double(min(rf, rackOf.count))
        targets = counts.indices.map { n in
            rings * Double(n == rackOf.count - 1 ? newNodeTokens : counts[n]) / total
        }
        primaryTargets = targets.map { $0 / rings }
        tokenTarget = rings / total
        recompute()
    }

    func size(_ i: Int) -> Double {
        let w = tokens[i] &- tokens[i == 0 ? tokens.count - 1 : i - 1]
        return w == 0 ? 1.0 : Double(w) / Self.ringSize
    }

    /// NetworkTopologyStrategy's walk within one data centre over a ring of `count` tokens
    /// whose owners `ownerAt` gives, from index `start`: replicas, the positions they were
    /// taken at, and how many tokens the walk visited.
    func walk(from start: Int, count: Int, ownerAt: (Int) -> Int) -> (replicas: [Int], positions: [Int], length: Int) {
        var rfLeft = min(rf, rackOf.count)
        var repeats = rf - rackCount
        var seenRacks: [Int] = []
        var out: [Int] = [], at: [Int] = []
        var k = 0
        while rfLeft > 0 && k < count {
            let pos = (start + k) % count
            let n = ownerAt(pos)
            k += 1
            if out.contains(n) { continue }
            if !seenRacks.contains(rackOf[n]) {
                seenRacks.append(rackOf[n])
            } else if repeats > 0 {
                repeats -= 1
            } else {
                continue
            }
            out.append(n)
            at.append(pos)
            rfLeft -= 1
        }
        return (out, at, k)
    }

    mutating func recompute() {
        ownership = [Double](repeating: 0, count: rackOf.count)
        primary = [Double](repeating: 0, count: rackOf.count)
        tokenLoad = [Double](repeating: 0, count: tokens.count)
        replicas = []
        positions = []
        walkLength = []
        let owners = self.owners
        for i in tokens.indices {
            let w = walk(from: i, count: tokens.count) { owners[$0] }
            replicas.append(w.replicas)
            positions.append(w.positions)
            walkLength.append(w.length)
            let s = size(i)
            for n in w.replicas { ownership[n] += s }
            for p in w.positions { tokenLoad[p] += s }
            primary[owners[i]] += s
        }
    }

    mutating func insert(_ p: UInt64) {
        var lo = 0, hi = tokens.count
        while lo < hi { let m = (lo + hi) / 2; if tokens[m] < p { lo = m + 1 } else { hi = m } }
        tokens.insert(p, at: lo)
        owners.insert(newNode, at: lo)
        recompute()
    }

    /// The split point whose insertion lowers the objective most (nil: no range can split).
    func bestSplit() -> UInt64? {
        let r = tokens.count
        let maxWalk = walkLength.max() ?? 1
        var best: (gain: Double, point: UInt64)? = nil
        var nodeDelta = [Double](repeating: 0, count: rackOf.count)
        var nodeTouched = [Bool](repeating: false, count: rackOf.count)
        var touched: [Int] = []
        // Token deltas keyed by old ring index; the new token is key -1.
        var tokenDelta: [(key: Int, delta: Double)] = []
        for j in 0..<r {
            let prev = tokens[j == 0 ? r - 1 : j - 1]
            let width = tokens[j] &- prev
            guard width == 0 || width > 8 else { continue }
            // Ranges whose walk reaches token j see the new token on their way.
            var affected: [Int] = []
            for d in 0..<min(maxWalk, r) {
                let i = (j - d + r) % r
                if walkLength[i] > d { affected.append(i) }
            }
            let owners = self.owners, newNode = self.newNode
            // Virtual ring: the new token at index j, old tokens from j on shifted by one.
            let ownerAt: (Int) -> Int = { v in v < j ? owners[v] : (v == j ? newNode : owners[v - 1]) }
            let oldIndex: (Int) -> Int = { v in v < j ? v : (v == j ? -1 : v - 1) }
            var rewalked: [(Int, [Int], [Int])] = []   // affected ranges other than j
            for i in affected where i != j {
                let w = walk(from: i < j ? i : i + 1, count: r + 1, ownerAt: ownerAt)
                rewalked.append((i, w.replicas, w.positions.map(oldIndex)))
            }
            let left = walk(from: j, count: r + 1, ownerAt: ownerAt)
            let right = walk(from: j + 1, count: r + 1, ownerAt: ownerAt)
            let leftPositions = left.positions.map(oldIndex), rightPositions = right.positions.map(oldIndex)
            let sj = size(j)
            for f in Self.fractions {
                // Strictly inside the range: Double rounding must not land on its end.
                let offset = width == 0 ? UInt64(Double(UInt64.max) * f)
                    : max(1, min(width - 1, UInt64(Double(width) * f)))
                let p = prev &+ offset
                let leftSize = width == 0 ? f : Double(offset) / Self.ringSize
                for n in touched { nodeDelta[n] = 0; nodeTouched[n] = false }
                touched.removeAll(keepingCapacity: true)
                tokenDelta.removeAll(keepingCapacity: true)
                func node(_ n: Int, _ v: Double) {
                    if !nodeTouched[n] { nodeTouched[n] = true; touched.append(n) }
                    nodeDelta[n] += v
                }
                func token(_ k: Int, _ v: Double) {
                    if let x = tokenDelta.firstIndex(where: { $0.key == k }) { tokenDelta[x].delta += v } else { tokenDelta.append((k, v)) }
                }
                for (i, reps, pos) in rewalked {
                    let s = size(i)
                    for n in replicas[i] { node(n, -s) }
                    for k in positions[i] { token(k, -s) }
                    for n in reps { node(n, s) }
                    for k in pos { token(k, s) }
                }
                for n in replicas[j] { node(n, -sj) }
                for k in positions[j] { token(k, -sj) }
                for n in left.replicas { node(n, leftSize) }
                for k in leftPositions { token(k, leftSize) }
                for n in right.replicas { node(n, sj - leftSize) }
                for k in rightPositions { token(k, sj - leftSize) }
                var gain = 0.0
                for n in touched {
                    let before = ownership[n] - targets[n], after = before + nodeDelta[n]
                    gain += before * before - after * after
                }
                for (k, d) in tokenDelta {
                    let before = (k < 0 ? 0 : tokenLoad[k]) - tokenTarget, after = before + d
                    gain += Self.tokenWeight * (before * before - after * after)
                }
                // The split hands (prev, p] from the range's owner to the new node.
                let loser = owners[j]
                let lb = primary[loser] - primaryTargets[loser], nb = primary[newNode] - primaryTargets[newNode]
                let la = lb - leftSize, na = nb + leftSize
                gain += Self.primaryWeight * (lb * lb - la * la + nb * nb - na * na)
                if best == nil || gain > best!.gain { best = (gain, p) }
            }
        }
        return best?.point
    }
}
