import HyadesCore

/// The token ranges a node is the primary replica of: `(previous token on the ring, t]`
/// for each of its tokens t, wrapping ranges split at the ring's minimum as Cassandra's
/// `Range.unwrap` does (so every range has start < end, as size_estimates rows need).
/// `ring` holds every node's tokens; until the cluster exists, this node's own.
enum PrimaryRanges {
    struct Range: Hashable {
        var start: Token
        var end: Token
    }

    static func of(_ own: [Token], ring: [Token]? = nil) -> [Range] {
        let all = Array(Set(ring ?? own)).sorted()
        guard !all.isEmpty else { return [Range(start: .minimum, end: .maximum)] }
        let mine = Set(own)
        var out: [Range] = []
        for (i, t) in all.enumerated() where mine.contains(t) {
            let previous = all[(i + all.count - 1) % all.count]
            if previous < t {
                out.append(Range(start: previous, end: t))
            } else {
                // Wraps past the maximum (or is the whole ring: one token).
                if previous != .minimum { out.append(Range(start: previous, end: .minimum)) }
                if t != .minimum { out.append(Range(start: .minimum, end: t)) }
            }
        }
        return out.sorted { $0.start < $1.start }
    }
}
