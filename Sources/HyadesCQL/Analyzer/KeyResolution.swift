import HyadesCore

/// A contiguous range of clusterings in byte order: `start <= c < end`
/// (`ClusteringEncoding` bounds; what the engine's slices and range tombstones take).
public struct ClusteringByteSlice: Hashable, Sendable {
    public var start: [UInt8]
    public var end: [UInt8]

    public init(start: [UInt8], end: [UInt8]) {
        self.start = start
        self.end = end
    }

    /// Every clustering.
    public static let all = ClusteringByteSlice(start: ClusteringEncoding.bottom, end: ClusteringEncoding.top)

    public var isEmpty: Bool { ByteOrder.compare(start, end) >= 0 }
}

extension ValueTerm {
    /// A non-null, set value for a key column.
    func keyComponent(_ values: [CQLBoundValue], _ time: ExecutionTime, column: String) throws(CQLAnalysisError) -> [UInt8] {
        switch try resolve(values, time: time) {
        case .value(let b): return b
        case .null: throw .invalid("Invalid null value in condition for column \(column)")
        case .unset: throw .invalid("Invalid unset value for column \(column)")
        }
    }
}

extension KeyValues {
    /// The serialized values, in the order given, duplicates removed.
    func resolve(_ values: [CQLBoundValue], _ time: ExecutionTime, column: String) throws(CQLAnalysisError) -> [[UInt8]] {
        var out: [[UInt8]] = []
        switch self {
        case .eq(let t): return [try t.keyComponent(values, time, column: column)]
        case .inList(let ts):
            for t in ts { out.append(try t.keyComponent(values, time, column: column)) }
        case .inMarker(let t):
            let list = try t.keyComponent(values, time, column: column)
            do { out = try CQLLiteral.elements(of: list, perEntry: 1) } catch {
                throw .invalid("Invalid IN list for \(column): \(error.message)")
            }
        }
        var seen = Set<[UInt8]>()
        return out.filter { seen.insert($0).inserted }
    }
}

/// Cartesian product of per-column value lists.
func cartesian(_ columns: [[[UInt8]]]) -> [[[UInt8]]] {
    var acc: [[[UInt8]]] = [[]]
    for vs in columns {
        var next: [[[UInt8]]] = []
        next.reserveCapacity(acc.count * vs.count)
        for a in acc { for v in vs { next.append(a + [v]) } }
        acc = next
    }
    return acc
}

enum PartitionKeys {
    /// Decorated keys of every combination of the restricted values, in the order given.
    static func resolve(_ restriction: [KeyValues], table: TableMetadata, _ values: [CQLBoundValue],
                        _ time: ExecutionTime) throws(CQLAnalysisError) -> [DecoratedKey] {
        let pk = table.partitionKeyColumns
        // The usual single `k = ?`: no combinations to build.
        if restriction.count == 1, case .eq(let t) = restriction[0] {
            let key = try t.keyComponent(values, time, column: pk[0].name)
            if key.isEmpty { throw .invalid("Key may not be empty") }
            if key.count > 65535 { throw .invalid("Key length of \(key.count) is longer than maximum of 65535") }
            return [DecoratedKey(key: key)]
        }
        var perColumn: [[[UInt8]]] = []
        for (i, kv) in restriction.enumerated() {
            perColumn.append(try kv.resolve(values, time, column: pk[i].name))
        }
        var out: [DecoratedKey] = []
        var seen = Set<[UInt8]>()
        for combo in cartesian(perColumn) {
            // Checked before building the composite form, which cannot hold longer components.
            for c in combo where c.count > 65535 {
                throw .invalid("Key length of \(c.count) is longer than maximum of 65535")
            }
            let key = table.serializePartitionKey(combo)
            if key.isEmpty { throw .invalid("Key may not be empty") }
            if key.count > 65535 { throw .invalid("Key length of \(key.count) is longer than maximum of 65535") }
            if seen.insert(key).inserted { out.append(DecoratedKey(key: key)) }
        }
        return out
    }
}

extension ClusteringRestriction {
    func encode(_ table: TableMetadata, _ values: [[UInt8]]) throws(CQLAnalysisError) -> [UInt8] {
        do { return try table.encodeClustering(values) } catch {
            throw .invalid("Invalid clustering value: \(error)")
        }
    }

    /// The EQ/IN prefixes (serialized component lists), in byte order, deduplicated.
    func prefixes(_ table: TableMetadata, _ values: [CQLBoundValue], _ time: ExecutionTime) throws(CQLAnalysisError) -> [[[UInt8]]] {
        let ck = table.clusteringColumns
        var combos: [[[UInt8]]]
        if let multiIn {
            combos = []
            let names = ck.prefix(multiInWidth).map(\.name).joined(separator: ",")
            var tuples: [[UInt8]] = []
            for t in multiIn { tuples.append(try t.keyComponent(values, time, column: names)) }
            if let multiInList {
                let list = try multiInList.keyComponent(values, time, column: names)
                do { tuples += try CQLLiteral.elements(of: list, perEntry: 1) } catch {
                    throw .invalid("Invalid IN list for (\(names)): \(error.message)")
                }
            }
            for tuple in tuples {
                let parts: [[UInt8]?]
                do { parts = try CQLLiteral.tupleComponents(of: tuple, maxCount: multiInWidth) } catch {
                    throw .invalid("Invalid tuple for multi-column relation: \(error.message)")
                }
                var row: [[UInt8]] = []
                for (i, p) in parts.enumerated() {
                    guard let p else { throw .invalid("Invalid null value in condition for column \(ck[i].name)") }
                    row.append(p)
                }
                guard row.count == multiInWidth else { throw .invalid("Expected \(multiInWidth) elements in value tuple, but got \(row.count)") }
                combos.append(row)
            }
        } else {
            var perColumn: [[[UInt8]]] = []
            for (i, kv) in prefix.enumerated() { perColumn.append(try kv.resolve(values, time, column: ck[i].name)) }
            combos = cartesian(perColumn)
        }
        var keyed: [([UInt8], [[UInt8]])] = []
        for c in combos { keyed.append((try encode(table, c), c)) }
        keyed.sort { ByteOrder.compare($0.0, $1.0) < 0 }
        var out: [[[UInt8]]] = []
        var last: [UInt8]?
        for k in keyed where k.0 != last { out.append(k.1); last = k.0 }
        return out
    }

    /// Byte ranges of clusterings selected, in byte (clustering) order, non-overlapping.
    public func slices(table: TableMetadata, values: [CQLBoundValue], time: ExecutionTime) throws(CQLAnalysisError) -> [ClusteringByteSlice] {
        if isEmpty { return [.all] }
        let ck = table.clusteringColumns
        var out: [ClusteringByteSlice] = []
        for p in try prefixes(table, values, time) {
            let encodedPrefix = try encode(table, p)
            // Value order of the slice's first column vs byte order.
            let descending = p.count < ck.count && ck[p.count].isDescending
            func components(_ b: ClusteringBound) throws(CQLAnalysisError) -> [[UInt8]] {
                var comps: [[UInt8]] = []
                if let tuple = b.tuple {
                    let names = ck.dropFirst(p.count).prefix(b.tupleWidth).map(\.name).joined(separator: ",")
                    let bytes = try tuple.keyComponent(values, time, column: names)
                    let parts: [[UInt8]?]
                    do { parts = try CQLLiteral.tupleComponents(of: bytes, maxCount: b.tupleWidth) } catch {
                        throw .invalid("Invalid tuple for (\(names)): \(error.message)")
                    }
                    for part in parts {
                        guard let part else { throw .invalid("Invalid null value in condition for columns (\(names))") }
                        comps.append(part)
                    }
                } else {
                    for (i, v) in b.values.enumerated() {
                        comps.append(try v.keyComponent(values, time, column: ck[min(p.count + i, ck.count - 1)].name))
                    }
                }
                return comps
            }
            func bound(_ b: ClusteringBound) throws(CQLAnalysisError) -> [UInt8] {
                try encode(table, p + components(b))
            }
            if multiColumnSlice {
                let width = max(lower.map { $0.tuple != nil ? $0.tupleWidth : $0.values.count } ?? 0,
                                upper.map { $0.tuple != nil ? $0.tupleWidth : $0.values.count } ?? 0)
                let orders = Set(ck.dropFirst(p.count).prefix(width).map(\.isDescending))
                if orders.count > 1 {
                    var lo: (ClusteringBound, [[UInt8]])?, hi: (ClusteringBound, [[UInt8]])?
                    if let lower { lo = (lower, try components(lower)) }
                    if let upper { hi = (upper, try components(upper)) }
                    out += try mixedOrderSlices(table, prefix: p, lower: lo, upper: hi)
                    continue
                }
            }
            var start = encodedPrefix
            var end = ClusteringEncoding.upperBound(encodedPrefix, inclusive: true)
            if let lower {
                let e = try bound(lower)
                if descending { end = ClusteringEncoding.upperBound(e, inclusive: lower.inclusive) } else { start = ClusteringEncoding.lowerBound(e, inclusive: lower.inclusive) }
            }
            if let upper {
                let e = try bound(upper)
                if descending { start = ClusteringEncoding.lowerBound(e, inclusive: upper.inclusive) } else { end = ClusteringEncoding.upperBound(e, inclusive: upper.inclusive) }
            }
            let s = ClusteringByteSlice(start: start, end: end)
            if !s.isEmpty { out.append(s) }
        }
        return out
    }

    /// A tuple slice over columns of mixed order, in value (tuple) order as Cassandra
    /// compares multi-column relations: `(a, b) > (x, y)` is `a > x OR (a = x AND b > y)`,
    /// one byte range per disjunct (each a single-column slice after an equality prefix,
    /// direction by that column's order); the two bounds' ranges are intersected.
    func mixedOrderSlices(_ table: TableMetadata, prefix p: [[UInt8]],
                          lower: (ClusteringBound, [[UInt8]])?, upper: (ClusteringBound, [[UInt8]])?) throws(CQLAnalysisError) -> [ClusteringByteSlice] {
        let ck = table.clusteringColumns
        let group = try encode(table, p)
        let whole = ClusteringByteSlice(start: group, end: ClusteringEncoding.upperBound(group, inclusive: true))
        func pieces(_ values: [[UInt8]], inclusive: Bool, greater: Bool) throws(CQLAnalysisError) -> [ClusteringByteSlice] {
            var out: [ClusteringByteSlice] = []
            for i in values.indices {
                let head = try encode(table, p + Array(values[0..<i]))
                let withValue = try encode(table, p + Array(values[0...i]))
                let groupEnd = ClusteringEncoding.upperBound(head, inclusive: true)
                // Values after v in value order come after it in bytes for ASC, before for DESC.
                let after = ck[p.count + i].isDescending != greater
                out.append(after ? ClusteringByteSlice(start: withValue + [ClusteringEncoding.afterPrefix], end: groupEnd)
                                 : ClusteringByteSlice(start: head, end: withValue))
            }
            if inclusive {
                let all = try encode(table, p + values)
                out.append(ClusteringByteSlice(start: all, end: all + [ClusteringEncoding.afterPrefix]))
            }
            return out
        }
        var lowerSet = [whole], upperSet = [whole]
        if let (b, v) = lower { lowerSet = try pieces(v, inclusive: b.inclusive, greater: true) }
        if let (b, v) = upper { upperSet = try pieces(v, inclusive: b.inclusive, greater: false) }
        var out: [ClusteringByteSlice] = []
        for a in lowerSet {
            for b in upperSet {
                let start = ByteOrder.compare(a.start, b.start) >= 0 ? a.start : b.start
                let end = ByteOrder.compare(a.end, b.end) <= 0 ? a.end : b.end
                let s = ClusteringByteSlice(start: start, end: end)
                if !s.isEmpty { out.append(s) }
            }
        }
        out.sort { ByteOrder.compare($0.start, $1.start) < 0 }
        var merged: [ClusteringByteSlice] = []
        for s in out {
            if let last = merged.last, ByteOrder.compare(s.start, last.end) <= 0 {
                if ByteOrder.compare(s.end, last.end) > 0 { merged[merged.count - 1].end = s.end }
            } else {
                merged.append(s)
            }
        }
        return merged
    }

    /// Full clusterings (every clustering column restricted by EQ/IN), encoded, in order.
    func fullClusterings(table: TableMetadata, values: [CQLBoundValue], time: ExecutionTime) throws(CQLAnalysisError) -> [[UInt8]] {
        var out: [[UInt8]] = []
        for p in try prefixes(table, values, time) { out.append(try encode(table, p)) }
        return out
    }
}
