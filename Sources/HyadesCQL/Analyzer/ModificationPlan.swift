import HyadesCore

/// One column change of an INSERT / UPDATE / DELETE.
public struct ColumnOperation: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// `c = v` (a simple cell, or overwrite of a non-frozen collection / UDT).
        case set(ValueTerm)
        /// `m[k] = v`
        case setElement(key: ValueTerm, value: ValueTerm)
        /// `u.f = v` on a non-frozen UDT (field index).
        case setField(Int, ValueTerm)
        /// `l = l + v`, `s = s + v`, `m = m + v`
        case append(ValueTerm)
        /// `l = v + l`
        case prepend(ValueTerm)
        /// `s = s - v`, `m = m - keys`
        case remove(ValueTerm)
        /// `DELETE c`
        case delete
        /// `DELETE m[k]`
        case deleteElement(ValueTerm)
        /// `DELETE u.f`
        case deleteField(Int)
        /// `c = c + v` / `c = c - v` on a counter: a read-modify-write the service runs
        /// under the partition's lock (`CounterUpdates`), never written as is.
        case increment(ValueTerm, negative: Bool)
    }

    public var column: ColumnMetadata
    public var kind: Kind

    public init(column: ColumnMetadata, kind: Kind) {
        self.column = column
        self.kind = kind
    }
}

/// INSERT, UPDATE or DELETE resolved against its table; `mutation(...)` produces the
/// writes for a set of bound values.
public struct ModificationPlan: Hashable, Sendable {
    public enum Kind: Hashable, Sendable { case insert, update, delete }

    public let kind: Kind
    public let table: TableMetadata
    /// EQ/IN per partition key column, in key order.
    public let partitionKey: [KeyValues]
    public let clustering: ClusteringRestriction
    /// In column-id order.
    public let operations: [ColumnOperation]
    public let ttl: ValueTerm?
    public let timestamp: ValueTerm?
    public var variables: VariableSpecifications
    /// The IF clause (only with `Analyzer.conditionalUpdates`): check it before applying.
    public var condition: ModificationCondition?
    /// Split once: executions run per row of a bulk load.
    let staticOperations: [ColumnOperation]
    let regularOperations: [ColumnOperation]
    /// A statement on a counter table (increments, or a DELETE of counters): known once
    /// here, as batches ask it of every statement.
    public let isCounter: Bool

    public init(kind: Kind, table: TableMetadata, partitionKey: [KeyValues], clustering: ClusteringRestriction,
                operations: [ColumnOperation], ttl: ValueTerm?, timestamp: ValueTerm?, variables: VariableSpecifications) {
        self.kind = kind
        self.table = table
        self.partitionKey = partitionKey
        self.clustering = clustering
        // In column-id order (stable), so rows are built without sorting on every write.
        self.operations = operations.enumerated()
            .sorted { ($0.element.column.id, $0.offset) < ($1.element.column.id, $1.offset) }.map(\.element)
        self.ttl = ttl
        self.timestamp = timestamp
        self.variables = variables
        self.staticOperations = self.operations.filter { $0.column.isStatic }
        self.regularOperations = self.operations.filter { !$0.column.isStatic }
        self.isCounter = table.isCounter
    }

    /// The writes, one `PartitionUpdate` per partition key (IN gives several).
    /// `timestamp` is the default write timestamp (µs), overridden by USING TIMESTAMP.
    public func mutation(values: [CQLBoundValue], timestamp: Int64, nowInSeconds: Int32) throws(CQLAnalysisError) -> Mutation {
        var merger = UpdateMerger()
        try apply(values: values, time: ExecutionTime(timestamp: timestamp, nowInSeconds: nowInSeconds), into: &merger)
        return Mutation(merger.updates())
    }

    /// The USING TIMESTAMP value, or nil (use the default).
    public func writeTimestamp(values: [CQLBoundValue], time: ExecutionTime) throws(CQLAnalysisError) -> Int64? {
        guard let timestamp else { return nil }
        switch try timestamp.resolve(values, time: time) {
        case .value(let b):
            guard let v = CQLLiteralBytes.readInt64(b) else { throw .invalid("Invalid timestamp value") }
            return v
        case .null: throw .invalid("Invalid null value of timestamp")
        case .unset: return nil
        }
    }

    /// Seconds to live for the written cells (0 = not expiring).
    public func timeToLive(values: [CQLBoundValue], time: ExecutionTime) throws(CQLAnalysisError) -> Int32 {
        guard let ttl else { return table.params.defaultTimeToLive }
        switch try ttl.resolve(values, time: time) {
        case .value(let b):
            guard let v = CQLLiteralBytes.readInt32(b) else { throw .invalid("Invalid TTL value") }
            guard v >= 0 else { throw .invalid("A TTL must be greater or equal to 0, but was \(v)") }
            guard v <= 630_720_000 else { throw .invalid("ttl is too large. requested (\(v)) maximum (630720000)") }
            return v
        case .null: throw .invalid("Invalid null value of TTL")
        case .unset: return table.params.defaultTimeToLive
        }
    }

    func apply(values: [CQLBoundValue], time baseTime: ExecutionTime, into merger: inout UpdateMerger) throws(CQLAnalysisError) {
        try variables.checkBound(values)
        var time = baseTime
        if let ts = try writeTimestamp(values: values, time: baseTime) {
            time.clock = time.clock ?? baseTime.timestamp
            time.timestamp = ts
        }
        let ttl = try timeToLive(values: values, time: time)
        let keys = try PartitionKeys.resolve(partitionKey, table: table, values, time)
        var writer = CellWriter(time: time, ttl: ttl)
        let staticOps = staticOperations
        let regularOps = regularOperations
        let hasClustering = !table.clusteringColumns.isEmpty

        switch kind {
        case .delete where operations.isEmpty:
            let deletion = DeletionTime(markedForDeleteAt: time.timestamp, localDeletionTime: time.nowInSeconds)
            let full = clustering.prefixWidth == table.clusteringColumns.count && !clustering.hasSlice
            for key in keys {
                if !hasClustering || full {
                    if !hasClustering && clustering.isEmpty {
                        merger.deletePartition(table.id, key, deletion)
                        continue
                    }
                    for c in try clustering.fullClusterings(table: table, values: values, time: time) {
                        merger.add(table.id, key, row: Row(clustering: c, deletion: deletion), isStatic: false)
                    }
                } else if clustering.isEmpty {
                    merger.deletePartition(table.id, key, deletion)
                } else {
                    for s in try clustering.slices(table: table, values: values, time: time) {
                        merger.addRangeTombstone(table.id, key, RangeTombstone(start: s.start, end: s.end, deletion: deletion))
                    }
                }
            }
            return
        default:
            break
        }

        // Rows written: the full clusterings (or the single row of a table without clustering).
        let clusterings: [[UInt8]]
        if !hasClustering {
            clusterings = [[]]
        } else if clustering.isEmpty {
            clusterings = []  // only static columns are written
        } else {
            clusterings = try clustering.fullClusterings(table: table, values: values, time: time)
        }
        var staticData: [ColumnData] = []
        for op in staticOps { if let d = try writer.columnData(op, values) { staticData.append(d) } }
        staticData = UpdateMerger.combine(staticData)
        var rowData: [ColumnData] = []
        rowData.reserveCapacity(regularOps.count)
        for op in regularOps { if let d = try writer.columnData(op, values) { rowData.append(d) } }
        rowData = UpdateMerger.combine(rowData)
        let liveness = kind == .insert ? writer.liveness() : LivenessInfo.empty

        for key in keys {
            if !staticData.isEmpty || (kind == .insert && clusterings.isEmpty) {
                var row = Row(clustering: [], columns: staticData)
                if clusterings.isEmpty && hasClustering { row.liveness = liveness }
                if !row.isEmpty { merger.add(table.id, key, row: row, isStatic: true) }
            }
            for c in clusterings {
                let row = Row(clustering: c, liveness: liveness, columns: rowData)
                if !row.isEmpty { merger.add(table.id, key, row: row, isStatic: false) }
            }
        }
    }
}

/// Builds cells for one execution: timestamp, TTL, list-element keys.
struct CellWriter {
    let time: ExecutionTime
    let ttl: Int32
    /// Distinguishes list elements written by different executions at the same timestamp;
    /// drawn only when a list element is written (a syscall per row otherwise).
    var entropy: UInt32?
    var listSequence: UInt32 = 0

    init(time: ExecutionTime, ttl: Int32) {
        self.time = time
        self.ttl = ttl
    }

    func liveness() -> LivenessInfo {
        if ttl > 0 {
            let (e, o) = time.nowInSeconds.addingReportingOverflow(ttl)
            return LivenessInfo(timestamp: time.timestamp, ttl: ttl, localExpirationTime: o ? Int32.max - 1 : e)
        }
        return LivenessInfo(timestamp: time.timestamp)
    }

    func cell(_ value: [UInt8], path: [UInt8] = []) -> Cell {
        ttl > 0 ? .expiring(timestamp: time.timestamp, ttl: ttl, nowInSeconds: time.nowInSeconds, value: value, path: path)
            : .live(timestamp: time.timestamp, value: value, path: path)
    }

    func tombstone(path: [UInt8] = []) -> Cell {
        .tombstone(timestamp: time.timestamp, nowInSeconds: time.nowInSeconds, path: path)
    }

    /// `SET c = ...` of a multi-cell column deletes what was there just before this write.
    var overwriteDeletion: DeletionTime {
        DeletionTime(markedForDeleteAt: time.timestamp &- 1, localDeletionTime: time.nowInSeconds)
    }

    /// A list element key: 8 bytes of sign-flipped order (the timestamp for an append, its
    /// negation for a prepend, so prepends sort before every append and later prepends
    /// first), a 4-byte sequence within the statement, 4 bytes of entropy.
    mutating func listKey(prepend: Bool) -> [UInt8] {
        let order = prepend ? 0 &- time.timestamp : time.timestamp
        let o = UInt64(bitPattern: order) ^ (1 << 63)
        var out = (0..<8).map { UInt8(truncatingIfNeeded: o >> UInt64(56 - 8 * $0)) }
        let s = listSequence
        listSequence += 1
        out += [UInt8(s >> 24), UInt8(s >> 16 & 0xFF), UInt8(s >> 8 & 0xFF), UInt8(s & 0xFF)]
        let e: UInt32
        if let entropy { e = entropy } else {
            var g = SystemRandomNumberGenerator()
            e = UInt32.random(in: 0...UInt32.max, using: &g)
            entropy = e
        }
        out += [UInt8(e >> 24), UInt8(e >> 16 & 0xFF), UInt8(e >> 8 & 0xFF), UInt8(e & 0xFF)]
        return out
    }

    static func path(_ value: [UInt8], _ type: CQLType) throws(CQLAnalysisError) -> [UInt8] {
        do { return try ByteComparable.encode(value, type: type) } catch {
            throw .invalid("Invalid collection element of type \(type.cqlName): \(error)")
        }
    }

    static func fieldPath(_ index: Int) -> [UInt8] { [UInt8(index >> 8 & 0xFF), UInt8(index & 0xFF)] }

    func elements(_ v: [UInt8], perEntry: Int) throws(CQLAnalysisError) -> [[UInt8]] {
        do { return try CQLLiteral.elements(of: v, perEntry: perEntry) } catch { throw .invalid(error.message) }
    }

    /// Cells of a whole collection / UDT value.
    mutating func cells(of value: [UInt8], type: CQLType, prepend: Bool = false) throws(CQLAnalysisError) -> [Cell] {
        var out: [Cell] = []
        switch type {
        case .list:
            for e in try elements(value, perEntry: 1) { out.append(cell(e, path: listKey(prepend: prepend))) }
        case .set(let et):
            for e in try elements(value, perEntry: 1) { out.append(cell([], path: try Self.path(e, et))) }
        case .map(let kt, _):
            let kv = try elements(value, perEntry: 2)
            var i = 0
            while i + 1 < kv.count {
                out.append(cell(kv[i + 1], path: try Self.path(kv[i], kt)))
                i += 2
            }
        case .udt(_, _, let fields):
            let comps: [[UInt8]?]
            do { comps = try CQLLiteral.tupleComponents(of: value, maxCount: fields.count) } catch { throw .invalid(error.message) }
            for (i, c) in comps.enumerated() { if let c { out.append(cell(c, path: Self.fieldPath(i))) } }
        default:
            break
        }
        out.sort { ByteOrder.compare($0.path, $1.path) < 0 }
        return out
    }

    mutating func columnData(_ op: ColumnOperation, _ values: [CQLBoundValue]) throws(CQLAnalysisError) -> ColumnData? {
        let c = op.column
        let id = c.id
        func complex(_ cells: [Cell], deletion: DeletionTime = .live) -> ColumnData {
            .complex(id, ComplexColumnData(deletion: deletion, cells: cells.sorted { ByteOrder.compare($0.path, $1.path) < 0 }))
        }
        switch op.kind {
        case .set(let term):
            let v = try term.resolve(values, time: time)
            if c.isComplex {
                switch v {
                case .unset: return nil
                case .null: return complex([], deletion: overwriteDeletion)
                case .value(let b): return complex(try cells(of: b, type: c.type), deletion: overwriteDeletion)
                }
            }
            switch v {
            case .unset: return nil
            case .null: return .simple(id, tombstone())
            case .value(let b): return .simple(id, cell(b))
            }
        case .setElement(let keyTerm, let valueTerm):
            guard case .map(let kt, _) = c.type else { throw .invalid("Invalid operation on \(c.name)") }
            guard case .value(let k) = try keyTerm.resolve(values, time: time) else {
                throw .invalid("Invalid null value for map key of \(c.name)")
            }
            let path = try Self.path(k, kt)
            switch try valueTerm.resolve(values, time: time) {
            case .unset: return nil
            case .null: return complex([tombstone(path: path)])
            case .value(let b): return complex([cell(b, path: path)])
            }
        case .setField(let index, let term):
            switch try term.resolve(values, time: time) {
            case .unset: return nil
            case .null: return complex([tombstone(path: Self.fieldPath(index))])
            case .value(let b): return complex([cell(b, path: Self.fieldPath(index))])
            }
        case .append(let term), .prepend(let term):
            guard case .value(let b) = try term.resolve(values, time: time) else { return nil }
            var prepend = false
            if case .prepend = op.kind { prepend = true }
            if prepend {
                // Prepending [a, b] must put a before b: keys in element order.
                return complex(try cells(of: b, type: c.type, prepend: true))
            }
            return complex(try cells(of: b, type: c.type))
        case .remove(let term):
            guard case .value(let b) = try term.resolve(values, time: time) else { return nil }
            let keyType: CQLType
            switch c.type {
            case .set(let e): keyType = e
            case .map(let k, _): keyType = k
            default: throw .invalid("Invalid operation (\(c.name) = \(c.name) - ?) for column \(c.name)")
            }
            var out: [Cell] = []
            for e in try elements(b, perEntry: 1) { out.append(tombstone(path: try Self.path(e, keyType))) }
            return complex(out)
        case .delete:
            if c.isComplex {
                return complex([], deletion: DeletionTime(markedForDeleteAt: time.timestamp, localDeletionTime: time.nowInSeconds))
            }
            return .simple(id, tombstone())
        case .deleteElement(let keyTerm):
            guard case .map(let kt, _) = c.type else { throw .invalid("Invalid operation on \(c.name)") }
            switch try keyTerm.resolve(values, time: time) {
            case .value(let k): return complex([tombstone(path: try Self.path(k, kt))])
            case .null: throw .invalid("Invalid null value for map key of \(c.name)")
            case .unset: throw .invalid("Invalid unset map key for \(c.name)")
            }
        case .deleteField(let index):
            return complex([tombstone(path: Self.fieldPath(index))])
        case .increment:
            // The service resolves increments to the resulting value first (CounterUpdates).
            throw .invalid("Counter updates must be applied by the query processor (column \(c.name))")
        }
    }
}
