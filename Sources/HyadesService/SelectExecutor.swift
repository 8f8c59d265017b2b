import HyadesCore
import HyadesCQL
import HyadesStorage

/// Where a SELECT reads its partitions from: a table store or a virtual table.
struct SelectTarget {
    var read: (DecoratedKey, Slices, ColumnFilter) throws -> any RowSource
    var scan: (PartitionRange, Slices, ColumnFilter) throws -> any RowSource
}

/// One result row being built: the partition's decoded key, the static row and the row.
struct RowContext {
    var key: DecoratedKey
    var partitionKey: [[UInt8]]
    var clustering: [[UInt8]]?
    var staticRow: Row?
    var row: Row?
}

/// Runs a `SelectPlan`: partitions, slices, filters, selectors, ordering, limits, paging.
struct SelectExecutor {
    let plan: SelectPlan
    let values: [CQLBoundValue]
    let nowInSeconds: Int32
    let filters: [BoundFilter]
    var table: TableMetadata { plan.table }

    init(plan: SelectPlan, values: [CQLBoundValue], nowInSeconds: Int32) throws(QueryError) {
        self.plan = plan
        self.values = values
        self.nowInSeconds = nowInSeconds
        do {
            try plan.variables.checkBound(values)
            var f: [BoundFilter] = []
            for p in plan.filters { f.append(try p.bind(values)) }
            filters = f
        } catch { throw QueryError(error) }
    }

    func execute(_ target: SelectTarget, pageSize requested: Int?, pagingState: [UInt8]?) throws(QueryError) -> ResultPage {
        do {
            return try run(target, pageSize: requested, pagingState: pagingState)
        } catch {
            throw QueryError(reading: error)
        }
    }

    private func run(_ target: SelectTarget, pageSize requested: Int?, pagingState: [UInt8]?) throws -> ResultPage {
        let limit = try plan.limit(values: values)
        let perPartitionLimit = try plan.perPartitionLimit(values: values)
        let resume = try pagingState.map { (b: [UInt8]) throws(QueryError) in try PagingState.deserialize(b) }
        // Aggregates see every row and return one: no paging.
        let pageSize = plan.isAggregate ? nil : requested.flatMap { $0 > 0 ? $0 : nil }
        let byteSlices = try plan.clusteringSlices(values: values)
        let slices = Slices(byteSlices.map { ClusteringSlice(start: $0.start, end: $0.end) })
        // The engine decides row liveness from every column whatever the projection
        // (fetched vs queried), so only the selected and filtered columns are decoded; with
        // only key columns selected every column is read, so static-only partitions count.
        let columns = plan.queriedColumns.isEmpty ? ColumnFilter.all : ColumnFilter(plan.queriedColumns)

        var out: [[[UInt8]?]] = []
        var aggregate = try AggregateState(plan.selectors, selectorTypes: plan.selectors.map(type))
        var returned = resume?.rowsReturned ?? 0
        var next: PagingState?

        // The partitions to read, in order. A page that stopped inside a partition resumes
        // with slices narrowed to the rows after (or, reversed, before) the last one.
        var sources: [() throws -> any RowSource] = []
        let resumeKey = resume.map { DecoratedKey(key: $0.partitionKey) }
        let resumeSlices = resume?.clustering.map { Self.slices(slices, after: $0, reversed: plan.reversed) }
        switch plan.partitions {
        case .keys:
            var keys = try plan.partitionKeys(values: values)
            if let resume, let i = keys.firstIndex(where: { $0.key == resume.partitionKey }) {
                keys.removeFirst(i + 1)
                if let rs = resumeSlices, let k = resumeKey { sources.append { try target.read(k, rs, columns) } }
            }
            for k in keys { sources.append { try target.read(k, slices, columns) } }
        case .tokenRange, .all:
            var range = PartitionRange.all
            if case .tokenRange = plan.partitions {
                let b = try plan.tokenBounds(values: values)
                range = PartitionRange.tokens(from: b.lower ?? .minimum, inclusive: b.lower == nil ? true : b.lowerInclusive,
                                              to: b.upper, inclusive: b.upperInclusive)
                if b.lower == nil { range.lower = [] }
            }
            if let k = resumeKey {
                if let rs = resumeSlices { sources.append { try target.read(k, rs, columns) } }
                let from = k.byteComparable + [0]
                if ByteOrder.compare(from, range.lower) > 0 { range.lower = from }
            }
            if let u = range.upper, ByteOrder.compare(range.lower, u) >= 0 { break }
            let r = range
            sources.append { try target.scan(r, slices, columns) }
        }
        if slices.slices.isEmpty { sources = [] }
        let unrestrictedClustering = plan.clustering == ClusteringRestriction()

        scanning: for open in sources {
            let source = try open()
            while let (key, staticRow) = try source.nextPartition() {
                let pk = try table.partitionKeyComponents(key.key)
                let resumed = resume != nil && resume!.clustering != nil && resume!.partitionKey == key.key
                var inPartition = resumed ? resume!.rowsInPartition : 0
                if let ppl = perPartitionLimit, inPartition >= ppl { continue }
                // Rows stream in clustering order; reversed order buffers the partition.
                var buffered: [Row] = []
                var bufferIndex = 0
                if plan.reversed && !plan.distinct {
                    while let r = try source.nextRow() { buffered.append(r) }
                    buffered.reverse()
                }
                func nextRow() throws -> Row? {
                    if plan.distinct { return nil }
                    if plan.reversed {
                        guard bufferIndex < buffered.count else { return nil }
                        bufferIndex += 1
                        return buffered[bufferIndex - 1]
                    }
                    return try source.nextRow()
                }
                var first = try nextRow()
                var pendingStatic: RowContext?
                if plan.distinct {
                    pendingStatic = RowContext(key: key, partitionKey: pk, clustering: nil, staticRow: staticRow, row: nil)
                } else if first == nil, staticRow != nil, !resumed, table.clusteringColumns.isEmpty || unrestrictedClustering {
                    // A partition with only static data: one row with null clustering and
                    // regular columns, unless the query restricts clustering columns.
                    pendingStatic = RowContext(key: key, partitionKey: pk, clustering: nil, staticRow: staticRow, row: nil)
                }
                while true {
                    let ctx: RowContext
                    var candidate: Row?
                    if pendingStatic == nil {
                        candidate = first
                        first = nil
                        if candidate == nil { candidate = try nextRow() }
                    }
                    if let p = pendingStatic {
                        ctx = p
                        pendingStatic = nil
                    } else if let r = candidate {
                        let cv = table.clusteringColumns.isEmpty ? [] : try table.clusteringValues(r.clustering)
                        ctx = RowContext(key: key, partitionKey: pk, clustering: cv, staticRow: staticRow, row: r)
                    } else {
                        break
                    }
                    if let ppl = perPartitionLimit, inPartition >= ppl { break }
                    guard try matches(ctx) else { continue }
                    if plan.isAggregate {
                        try aggregate.add(ctx, self)
                        continue
                    }
                    if let limit, returned >= limit { break scanning }
                    out.append(try project(ctx))
                    returned += 1
                    inPartition += 1
                    if let pageSize, out.count >= pageSize {
                        let done = plan.distinct || ctx.row == nil
                        next = PagingState(partitionKey: key.key, clustering: done ? nil : ctx.row!.clustering,
                                           rowsReturned: returned, rowsInPartition: inPartition)
                        break scanning
                    }
                }
            }
        }
        if let n = next, let limit, n.rowsReturned >= limit { next = nil }
        if plan.isAggregate { out = [try aggregate.result(self)] }
        if plan.json { out = out.map { [Array(json($0).utf8)] } }
        return ResultPage(columns: plan.resultColumns, rows: out, pagingState: next?.serialize())
    }

    /// `slices` narrowed to the rows strictly after `clustering` in iteration order.
    /// Full clusterings are prefix-free, so `clustering + [0]` is the least key after it.
    static func slices(_ slices: Slices, after clustering: [UInt8], reversed: Bool) -> Slices {
        var out: [ClusteringSlice] = []
        for var s in slices.slices {
            if reversed {
                if ByteOrder.compare(clustering, s.end) < 0 { s.end = clustering }
            } else {
                let after = clustering + [0]
                if ByteOrder.compare(after, s.start) > 0 { s.start = after }
            }
            if ByteOrder.compare(s.start, s.end) < 0 { out.append(s) }
        }
        return Slices(out)
    }

    // MARK: values

    func cell(_ c: ColumnMetadata, _ ctx: RowContext) -> ColumnData? {
        guard let r = c.isStatic ? ctx.staticRow : ctx.row else { return nil }
        return r.columns.first { $0.column == c.id }
    }

    func value(_ c: ColumnMetadata, _ ctx: RowContext) throws -> [UInt8]? {
        switch c.kind {
        case .partitionKey: return c.position < ctx.partitionKey.count ? ctx.partitionKey[c.position] : nil
        case .clustering:
            guard let cl = ctx.clustering, c.position < cl.count else { return nil }
            return cl[c.position]
        default:
            switch cell(c, ctx) {
            case .simple(_, let cell)?: return cell.isLive(nowInSeconds: nowInSeconds) ? cell.value : nil
            case .complex(_, let data)?: return try ComplexValue.serialize(data, type: c.type, nowInSeconds: nowInSeconds)
            case nil: return nil
            }
        }
    }

    func matches(_ ctx: RowContext) throws -> Bool {
        for f in filters {
            guard let c = table.column(id: f.column) else { return false }
            if !f.matches(try value(c, ctx)) { return false }
        }
        return true
    }

    func project(_ ctx: RowContext) throws -> [[UInt8]?] {
        var row: [[UInt8]?] = []
        row.reserveCapacity(plan.selectors.count)
        for s in plan.selectors { row.append(try evaluate(s, ctx)) }
        return row
    }

    func evaluate(_ s: SelectorPlan, _ ctx: RowContext) throws -> [UInt8]? {
        switch s {
        case .column(let c): return try value(c, ctx)
        case .writetime(let c):
            guard case .simple(_, let cell)? = cell(c, ctx), cell.isLive(nowInSeconds: nowInSeconds) else { return nil }
            return int64Bytes(cell.timestamp)
        case .ttl(let c):
            guard case .simple(_, let cell)? = cell(c, ctx), cell.isLive(nowInSeconds: nowInSeconds), cell.isExpiring else { return nil }
            return int32Bytes(max(0, cell.localDeletionTime &- nowInSeconds))
        case .token: return int64Bytes(ctx.key.token.value)
        case .countRows, .aggregate:
            throw QueryError.invalid("aggregate used in a non-aggregate position")
        case .cast(let inner, let type):
            let v = try evaluate(inner, ctx)
            let from = self.type(inner)
            if from.unfrozen == type.unfrozen { return v }
            return try ScalarFunction.cast(from: from.unfrozen, to: type).execute([v])
        case .call(let f, let args, _):
            var a: [[UInt8]?] = []
            a.reserveCapacity(args.count)
            for x in args { a.append(try evaluate(x, ctx)) }
            return try f.execute(a)
        case .toJson(let inner):
            let v = try evaluate(inner, ctx)
            return Array((v.map { CQLValueFormat.json($0, type: type(inner)) } ?? "null").utf8)
        case .term(let t):
            return try t.resolve(values, time: ExecutionTime(timestamp: .min, nowInSeconds: nowInSeconds)).bytes
        case .field(let inner, let index, _):
            guard let v = try evaluate(inner, ctx) else { return nil }
            let parts = try CQLLiteral.tupleComponents(of: v, maxCount: index + 1)
            return index < parts.count ? parts[index] : nil
        case .element(let inner, let keyTerm):
            guard let v = try evaluate(inner, ctx),
                  let k = try keyTerm.resolve(values, time: ExecutionTime(timestamp: .min, nowInSeconds: nowInSeconds)).bytes else { return nil }
            switch type(inner).unfrozen {
            case .map:
                let kv = try CQLLiteral.elements(of: v, perEntry: 2)
                var i = 0
                while i + 1 < kv.count { if kv[i] == k { return kv[i + 1] }; i += 2 }
                return nil
            default:
                return try CQLLiteral.elements(of: v, perEntry: 1).contains(k) ? k : nil
            }
        }
    }

    func type(_ s: SelectorPlan) -> CQLType {
        switch s {
        case .column(let c): return c.type
        case .writetime: return .bigint
        case .ttl: return .int
        case .token: return .bigint
        case .countRows: return .bigint
        case .aggregate(let f, let inner): return f == .count ? .bigint : type(inner)
        case .cast(_, let t): return t
        case .call(_, _, let t): return t
        case .toJson: return .text
        case .term: return .blob
        case .field(let inner, let index, _):
            if case .udt(_, _, let fields) = type(inner).unfrozen, index < fields.count { return fields[index].type }
            if case .tuple(let types) = type(inner).unfrozen, index < types.count { return types[index] }
            return .blob
        case .element(let inner, _):
            switch type(inner).unfrozen {
            case .map(_, let v): return v
            case .set(let e): return e
            default: return .blob
            }
        }
    }

    func json(_ row: [[UInt8]?]) -> String {
        var parts: [String] = []
        for (i, s) in plan.selectors.enumerated() where i < row.count {
            let name = i < plan.jsonNames.count ? plan.jsonNames[i]
                : i < plan.resultColumns.count && !(plan.json && plan.resultColumns.count == 1) ? plan.resultColumns[i].name : selectorName(s)
            let v = row[i].map { CQLValueFormat.json($0, type: type(s)) } ?? "null"
            // A case-sensitive column appears quoted (`"\"Mixed\""`), as Cassandra writes it,
            // so INSERT JSON reads the key back as the same column.
            parts.append(CQLValueFormat.jsonString(s.isColumn ? SchemaDescriber.quoted(name) : name) + ": \(v)")
        }
        return "{" + parts.joined(separator: ", ") + "}"
    }

    func selectorName(_ s: SelectorPlan) -> String {
        switch s {
        case .column(let c): return c.name
        case .writetime(let c): return "writetime(\(c.name))"
        case .ttl(let c): return "ttl(\(c.name))"
        case .token: return "system.token"
        case .countRows: return "count"
        case .aggregate(let f, let inner): return "system.\(f.rawValue)(\(selectorName(inner)))"
        default: return "expr"
        }
    }
}

/// Aggregation over all selected rows; non-aggregate selectors take the first row's value.
/// An aggregate may sit inside a function (`max(a) + 1`, `cast(count(*) AS int)`): every
/// aggregate of the selectors is collected depth first, and the selectors are evaluated
/// at the end with each aggregate replaced by its result.
struct AggregateState {
    /// One per aggregate, depth first; nil for `count(*)`, which counts the rows.
    var aggregators: [Aggregator?]
    var inners: [SelectorPlan?]
    var rows: Int64 = 0
    var first: RowContext?

    init(_ selectors: [SelectorPlan], selectorTypes: [CQLType]) throws(QueryError) {
        var a: [Aggregator?] = [], inner: [SelectorPlan?] = []
        func collect(_ s: SelectorPlan) throws(QueryError) {
            switch s {
            case .countRows:
                a.append(nil)
                inner.append(nil)
            case .aggregate(let f, let x):
                do { a.append(try Aggregator(f, type: Self.innerType(x))) } catch { throw QueryError(error) }
                inner.append(x)
            case .call(_, let args, _): for x in args { try collect(x) }
            case .cast(let x, _), .toJson(let x): try collect(x)
            default: break
            }
        }
        for s in selectors { try collect(s) }
        aggregators = a
        inners = inner
    }

    static func innerType(_ s: SelectorPlan) -> CQLType {
        switch s {
        case .column(let c): return c.type
        case .writetime, .token: return .bigint
        case .ttl: return .int
        case .cast(_, let t), .call(_, _, let t): return t
        default: return .blob
        }
    }

    mutating func add(_ ctx: RowContext, _ e: SelectExecutor) throws {
        if first == nil { first = ctx }
        rows += 1
        for i in inners.indices {
            if let inner = inners[i] { aggregators[i]!.add(try e.evaluate(inner, ctx)) }
        }
    }

    func result(_ e: SelectExecutor) throws -> [[UInt8]?] {
        let results = aggregators.map { $0.map { $0.result() } ?? int64Bytes(rows) }
        var next = 0
        var row: [[UInt8]?] = []
        for s in e.plan.selectors { row.append(try finish(s, e, results, &next)) }
        return row
    }

    /// `s` with its aggregates (in `collect`'s order) replaced by their results.
    func finish(_ s: SelectorPlan, _ e: SelectExecutor, _ results: [[UInt8]?], _ next: inout Int) throws -> [UInt8]? {
        switch s {
        case .countRows, .aggregate:
            next += 1
            return results[next - 1]
        case .call(let f, let args, _) where s.isAggregate:
            var a: [[UInt8]?] = []
            for x in args { a.append(try finish(x, e, results, &next)) }
            return try f.execute(a)
        case .cast(let x, let t) where s.isAggregate:
            let v = try finish(x, e, results, &next)
            let from = e.type(x)
            return from.unfrozen == t.unfrozen ? v : try ScalarFunction.cast(from: from.unfrozen, to: t).execute([v])
        case .toJson(let x) where s.isAggregate:
            let v = try finish(x, e, results, &next)
            return Array((v.map { CQLValueFormat.json($0, type: e.type(x)) } ?? "null").utf8)
        case .term(let t):
            // A constant needs no row (`count(*) + 1` over no rows is 1).
            return try t.resolve(e.values, time: ExecutionTime(timestamp: .min, nowInSeconds: e.nowInSeconds)).bytes
        default:
            return try first.flatMap { try e.evaluate(s, $0) }
        }
    }
}

func int64Bytes(_ v: Int64) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }
func int32Bytes(_ v: Int32) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }
