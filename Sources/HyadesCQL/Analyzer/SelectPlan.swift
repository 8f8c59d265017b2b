import HyadesCore

/// Aggregate functions of a selection.
public enum AggregateFunction: String, Hashable, Sendable {
    case count, min, max, sum, avg
}

/// One selected expression, resolved.
public indirect enum SelectorPlan: Hashable, Sendable {
    case column(ColumnMetadata)
    case writetime(ColumnMetadata)
    case ttl(ColumnMetadata)
    /// `token(pk...)`: the partition's token as bigint.
    case token([ColumnMetadata])
    /// `count(*)` / `count(1)`
    case countRows
    case aggregate(AggregateFunction, SelectorPlan)
    case cast(SelectorPlan, CQLType)
    case toJson(SelectorPlan)
    /// A constant selected as a value.
    case term(ValueTerm)
    /// `u.f`: field `index` of a UDT value.
    case field(SelectorPlan, index: Int, name: String)
    /// `m[k]` (the value, or null) / `s[e]` (the element if present, else null).
    case element(SelectorPlan, key: ValueTerm)
    /// A native scalar function of selectors (`blobAsInt(b)`, `toDate(t)`, `a + 1`, `-a`),
    /// with its result type.
    case call(ScalarFunction, [SelectorPlan], CQLType)

    /// Whether this reduces all rows to one.
    public var isAggregate: Bool {
        switch self {
        case .countRows, .aggregate: return true
        case .cast(let s, _), .toJson(let s), .field(let s, _, _), .element(let s, _): return s.isAggregate
        case .call(_, let args, _): return args.contains { $0.isAggregate }
        default: return false
        }
    }
}

/// Which partitions a SELECT reads.
public enum PartitionRestriction: Hashable, Sendable {
    /// EQ/IN on every partition key column (key order).
    case keys([KeyValues])
    /// `token(pk) > ? AND token(pk) <= ?` and friends.
    case tokenRange(TokenRestriction)
    /// No restriction: every partition.
    case all
}

/// Resolved token bounds of a token-range SELECT.
public struct TokenBounds: Hashable, Sendable {
    public var lower: Token?
    public var lowerInclusive: Bool
    public var upper: Token?
    public var upperInclusive: Bool

    public init(lower: Token?, lowerInclusive: Bool, upper: Token?, upperInclusive: Bool) {
        self.lower = lower
        self.lowerInclusive = lowerInclusive
        self.upper = upper
        self.upperInclusive = upperInclusive
    }
}

/// A SELECT resolved against its table, independent of the storage engine's types: the
/// service turns partitions / clusteringSlices / queriedColumns into engine ranges, slices
/// and a column filter, then applies filters, selectors, ordering and limits.
public struct SelectPlan: Hashable, Sendable {
    public var table: TableMetadata
    public var partitions: PartitionRestriction
    public var clustering: ClusteringRestriction
    /// Row filters (ALLOW FILTERING), on any column.
    public var filters: [FilterPlan]
    public var selectors: [SelectorPlan]
    /// Result metadata: one per selector (`[json]` alone for SELECT JSON).
    public var resultColumns: [ColumnSpecification]
    /// Non-key columns to read (selected or filtered), sorted ids: the engine's column filter.
    public var queriedColumns: [ColumnID]
    public var distinct: Bool
    public var json: Bool
    /// ORDER BY opposite to the clustering order: iterate each partition backwards.
    public var reversed: Bool
    public var allowFiltering: Bool
    public var limit: ValueTerm?
    public var perPartitionLimit: ValueTerm?
    public var variables: VariableSpecifications
    /// SELECT JSON: each selector's result name (the document's keys), as the result
    /// metadata holds only `[json]`.
    public var jsonNames: [String] = []

    public var isAggregate: Bool { selectors.contains { $0.isAggregate } }

    /// Partition keys for `.keys` restrictions (duplicates removed, in the order given).
    public func partitionKeys(values: [CQLBoundValue]) throws(CQLAnalysisError) -> [DecoratedKey] {
        try variables.checkBound(values)
        guard case .keys(let kv) = partitions else { return [] }
        return try PartitionKeys.resolve(kv, table: table, values, ExecutionTime.unspecified)
    }

    public func tokenBounds(values: [CQLBoundValue]) throws(CQLAnalysisError) -> TokenBounds {
        var b = TokenBounds(lower: nil, lowerInclusive: false, upper: nil, upperInclusive: false)
        guard case .tokenRange(let t) = partitions else { return b }
        let time = ExecutionTime.unspecified
        func token(_ v: ValueTerm) throws(CQLAnalysisError) -> Token? {
            switch try v.resolve(values, time: time) {
            case .value(let bytes):
                guard let x = CQLLiteralBytes.readInt64(bytes) else { throw .invalid("Invalid token value: expected 8 bytes") }
                return Token(x)
            case .null: throw .invalid("Invalid null value for partition key token")
            case .unset: throw .invalid("Invalid unset value for partition key token")
            }
        }
        if let l = t.lowerTerm { b.lower = try token(l); b.lowerInclusive = t.lowerInclusive }
        if let u = t.upperTerm { b.upper = try token(u); b.upperInclusive = t.upperInclusive }
        return b
    }

    /// Clustering ranges to read in each partition, in clustering (byte) order.
    public func clusteringSlices(values: [CQLBoundValue]) throws(CQLAnalysisError) -> [ClusteringByteSlice] {
        try clustering.slices(table: table, values: values, time: ExecutionTime.unspecified)
    }

    /// LIMIT, or nil when absent / unset.
    public func limit(values: [CQLBoundValue]) throws(CQLAnalysisError) -> Int? {
        try Self.positive(limit, "LIMIT", values)
    }

    public func perPartitionLimit(values: [CQLBoundValue]) throws(CQLAnalysisError) -> Int? {
        try Self.positive(perPartitionLimit, "PER PARTITION LIMIT", values)
    }

    static func positive(_ term: ValueTerm?, _ what: String, _ values: [CQLBoundValue]) throws(CQLAnalysisError) -> Int? {
        guard let term else { return nil }
        switch try term.resolve(values, time: ExecutionTime.unspecified) {
        case .value(let b):
            guard let v = CQLLiteralBytes.readInt32(b) else { throw .invalid("Invalid \(what) value") }
            guard v > 0 else { throw .invalid("\(what) must be strictly positive") }
            return Int(v)
        case .null: throw .invalid("Invalid null value of \(what.lowercased())")
        case .unset: return nil
        }
    }
}
