import HyadesCore
import HyadesCQL
import HyadesStorage

/// The fast path of SELECT on a table store: live rows come from the engine's visitors
/// (`TableStore.readLiveRows` / `forEachLiveRow`) as `LiveRowView`s and are written
/// straight into the page's protocol bytes (`RowsWriter`), with no `Row`, no per-cell
/// array and no per-row String. It serves the plans drivers and Spark send most: plain
/// columns (not collections), `token()`, `writetime()`, `ttl()`, with LIMIT, PER PARTITION
/// LIMIT and paging (point reads, IN lists, token ranges, full scans). Everything else
/// (aggregates, JSON, ORDER BY reversed, DISTINCT, ALLOW FILTERING filters, functions,
/// collections, virtual tables) goes through `SelectExecutor`. Both produce the same rows
/// and the same paging state (`PagingState`), so a page of one can be resumed by the other.
struct StreamingSelect {
    /// What one result column is made of, resolved once per query.
    enum Output {
        case partitionKey(Int)
        case clustering(Int)
        case regular(ColumnID)
        case staticColumn(ColumnID)
        case token
        case writetime(ColumnID, isStatic: Bool)
        case ttl(ColumnID, isStatic: Bool)
    }

    /// Whether the plan can stream; nil when it must take `SelectExecutor`.
    static func outputs(_ plan: SelectPlan) -> [Output]? {
        if plan.isAggregate || plan.json || plan.reversed || plan.distinct || !plan.filters.isEmpty { return nil }
        var out: [Output] = []
        out.reserveCapacity(plan.selectors.count)
        for s in plan.selectors {
            switch s {
            case .column(let c):
                switch c.kind {
                case .partitionKey: out.append(.partitionKey(c.position))
                case .clustering: out.append(.clustering(c.position))
                default:
                    if c.isComplex { return nil }
                    out.append(c.isStatic ? .staticColumn(c.id) : .regular(c.id))
                }
            case .token: out.append(.token)
            case .writetime(let c):
                if c.isComplex { return nil }
                out.append(.writetime(c.id, isStatic: c.isStatic))
            case .ttl(let c):
                if c.isComplex { return nil }
                out.append(.ttl(c.id, isStatic: c.isStatic))
            default: return nil
            }
        }
        return out
    }

    /// A streamable plan resolved once (per PREPARE for prepared statements): shared by
    /// reference so an EXECUTE does not copy the plan's many arrays.
    final class Compiled: Sendable {
        let plan: SelectPlan
        let outputs: [Output]
        let columns: ColumnFilter
        /// A partition with only static data yields one row (null clustering and regular
        /// columns) unless clustering columns are restricted.
        let staticOnlyRows: Bool
        let compositeKey: Bool
        let needsClustering: Bool

        /// Nil when the plan cannot stream.
        init?(_ plan: SelectPlan) {
            guard let outputs = StreamingSelect.outputs(plan) else { return nil }
            self.plan = plan
            self.outputs = outputs
            // Only the selected columns are decoded; the engine decides row liveness from
            // all of them (fetched vs queried), so a row written by UPDATE alone still comes back.
            // Only key columns selected (`SELECT k`, count): every column, so that a
            // partition with only static data still yields its row, as before.
            columns = plan.queriedColumns.isEmpty ? .all : ColumnFilter(plan.queriedColumns)
            staticOnlyRows = plan.table.clusteringColumns.isEmpty || plan.clustering == ClusteringRestriction()
            compositeKey = plan.table.partitionKeyColumns.count > 1
            needsClustering = outputs.contains { if case .clustering = $0 { return true } else { return false } }
        }
    }

    let compiled: Compiled
    let values: [CQLBoundValue]
    let nowInSeconds: Int32

    func execute(_ store: TableStore, pageSize requested: Int?, pagingState: [UInt8]?) throws(QueryError) -> ResultPage {
        do {
            return try run(store, pageSize: requested, pagingState: pagingState)
        } catch {
            throw QueryError(reading: error)
        }
    }

    private func run(_ store: TableStore, pageSize requested: Int?, pagingState: [UInt8]?) throws -> ResultPage {
        let plan = compiled.plan
        try plan.variables.checkBound(values)
        let resume = try pagingState.map { (b: [UInt8]) throws(QueryError) in try PagingState.deserialize(b) }
        let byteSlices = try plan.clusteringSlices(values: values)
        let slices = Slices(byteSlices.map { ClusteringSlice(start: $0.start, end: $0.end) })
        let columns = compiled.columns
        var state = State(compiled: compiled, nowInSeconds: nowInSeconds, resume: resume,
                          limit: try plan.limit(values: values), perPartitionLimit: try plan.perPartitionLimit(values: values),
                          pageSize: requested.flatMap { $0 > 0 ? $0 : nil })
        if slices.slices.isEmpty { return state.page() }
        let now = nowInSeconds
        let resumeKey = resume.map { DecoratedKey(key: $0.partitionKey) }
        let resumeSlices = resume?.clustering.map { SelectExecutor.slices(slices, after: $0, reversed: false) }
        switch plan.partitions {
        case .keys:
            var keys = try plan.partitionKeys(values: values)
            if let resume, let i = keys.firstIndex(where: { $0.key == resume.partitionKey }) {
                keys.removeFirst(i + 1)
                if let rs = resumeSlices, let k = resumeKey, !rs.slices.isEmpty {
                    try store.readLiveRows(k, slices: rs, columns: columns, nowInSeconds: now) { try state.visit($0) }
                    try state.endSource()
                }
            }
            for k in keys where !state.stopped {
                try store.readLiveRows(k, slices: slices, columns: columns, nowInSeconds: now) { try state.visit($0) }
                try state.endSource()
            }
        case .tokenRange, .all:
            var range = PartitionRange.all
            if case .tokenRange = plan.partitions {
                let b = try plan.tokenBounds(values: values)
                range = PartitionRange.tokens(from: b.lower ?? .minimum, inclusive: b.lower == nil ? true : b.lowerInclusive,
                                              to: b.upper, inclusive: b.upperInclusive)
                if b.lower == nil { range.lower = [] }
            }
            if let k = resumeKey {
                if let rs = resumeSlices, !rs.slices.isEmpty {
                    try store.readLiveRows(k, slices: rs, columns: columns, nowInSeconds: now) { try state.visit($0) }
                    try state.endSource()
                }
                let from = k.byteComparable + [0]
                if ByteOrder.compare(from, range.lower) > 0 { range.lower = from }
            }
            if !state.stopped, range.upper.map({ ByteOrder.compare(range.lower, $0) < 0 }) ?? true {
                try store.forEachLiveRow(in: range, slices: slices, columns: columns, nowInSeconds: now) { try state.visit($0) }
                try state.endSource()
            }
        }
        return state.page()
    }

    /// The visitor's state: one struct driven through `mutating` methods (a non-escaping
    /// closure captures it in place, no box).
    struct State {
        let compiled: Compiled
        let outputs: [Output]
        let nowInSeconds: Int32
        let resume: PagingState?
        let limit: Int?
        let perPartitionLimit: Int?
        let pageSize: Int?
        let staticOnlyRows: Bool
        let compositeKey: Bool
        let needsClustering: Bool

        var writer: RowsWriter
        var returned: Int
        var next: PagingState?
        var stopped = false

        /// The current partition: byte-comparable key (token + key), reused buffer.
        var key: [UInt8] = []
        var inPartition = 0
        var resumedPartition = false
        var skipPartition = false
        var staticRow: Row?
        var pendingStatic = false

        init(compiled: Compiled, nowInSeconds: Int32, resume: PagingState?, limit: Int?,
             perPartitionLimit: Int?, pageSize: Int?) {
            self.compiled = compiled
            self.outputs = compiled.outputs
            self.nowInSeconds = nowInSeconds
            self.resume = resume
            self.limit = limit
            self.perPartitionLimit = perPartitionLimit
            self.pageSize = pageSize
            self.returned = resume?.rowsReturned ?? 0
            staticOnlyRows = compiled.staticOnlyRows
            compositeKey = compiled.compositeKey
            needsClustering = compiled.needsClustering
            let perRow = 16 * max(1, outputs.count)
            writer = RowsWriter(reservingBytes: min(1 << 20, perRow * min(pageSize ?? 5000, limit ?? 5000)))
            key.reserveCapacity(64)
        }

        func page() -> ResultPage {
            var n = next
            if let p = n, let limit, p.rowsReturned >= limit { n = nil }
            return ResultPage(columns: compiled.plan.resultColumns, rowCount: writer.rowCount, content: writer.bytes,
                              pagingState: n?.serialize())
        }

        @inline(__always)
        mutating func visit(_ v: borrowing LiveRowView) throws -> Bool {
            if stopped { return false }
            let pk = v.partitionKey
            var same = key.count == pk.count
            if same { same = key.withUnsafeBytes { ByteOrder.compare($0, pk) == 0 } }
            if !same {
                try endPartition()
                if stopped { return false }
                startPartition(pk)
            }
            if v.isStatic {
                staticRow = v.row()
                pendingStatic = staticOnlyRows && !resumedPartition
                return true
            }
            pendingStatic = false
            if skipPartition { return true }
            if let ppl = perPartitionLimit, inPartition >= ppl {
                skipPartition = true
                return true
            }
            if let limit, returned >= limit {
                stopped = true
                return false
            }
            try writeRow(v)
            returned += 1
            inPartition += 1
            if let pageSize, writer.rowCount >= pageSize {
                next = PagingState(partitionKey: Array(key[8...]), clustering: Array(v.clustering),
                                   rowsReturned: returned, rowsInPartition: inPartition)
                stopped = true
                return false
            }
            return true
        }

        /// After each engine call: the last partition may still owe its static-only row.
        mutating func endSource() throws {
            if !stopped { try endPartition() }
            key.removeAll(keepingCapacity: true)
        }

        private mutating func startPartition(_ k: UnsafeRawBufferPointer) {
            key.removeAll(keepingCapacity: true)
            key.append(contentsOf: k)
            staticRow = nil
            pendingStatic = false
            resumedPartition = false
            inPartition = 0
            if let r = resume, r.clustering != nil, r.partitionKey.count == k.count - 8,
               r.partitionKey.withUnsafeBytes({ ByteOrder.compare($0, UnsafeRawBufferPointer(rebasing: k[8...])) == 0 }) {
                resumedPartition = true
                inPartition = r.rowsInPartition
            }
            skipPartition = perPartitionLimit.map { inPartition >= $0 } ?? false
        }

        private mutating func endPartition() throws {
            guard pendingStatic, !key.isEmpty else { return }
            pendingStatic = false
            if skipPartition { return }
            if let limit, returned >= limit {
                stopped = true
                return
            }
            try writeStaticOnlyRow()
            returned += 1
            inPartition += 1
            if let pageSize, writer.rowCount >= pageSize {
                next = PagingState(partitionKey: Array(key[8...]), clustering: nil, rowsReturned: returned, rowsInPartition: inPartition)
                stopped = true
            }
        }

        // MARK: writing

        private mutating func writeRow(_ v: borrowing LiveRowView) throws {
            var clustering: [[UInt8]] = []
            if needsClustering { clustering = try compiled.plan.table.clusteringValues(Array(v.clustering)) }
            for o in outputs {
                switch o {
                case .partitionKey(let i): try writeKeyComponent(i)
                case .clustering(let i):
                    if i < clustering.count { writer.append(clustering[i]) } else { writer.appendNull() }
                case .regular(let id):
                    if let value = v.value(id) { writer.append(value) } else { writer.appendNull() }
                case .staticColumn(let id): writeStatic(id)
                case .token: writer.appendInt64(tokenValue)
                case .writetime(let id, let isStatic):
                    if isStatic { writeStaticWritetime(id) } else if let c = v.column(id) {
                        writer.appendInt64(v.cells[Int(c.firstCell)].timestamp)
                    } else { writer.appendNull() }
                case .ttl(let id, let isStatic):
                    if isStatic { writeStaticTTL(id) } else if let c = v.column(id) {
                        let cell = v.cells[Int(c.firstCell)]
                        if cell.ttl != 0 { writer.appendInt32(max(0, cell.localDeletionTime &- nowInSeconds)) } else { writer.appendNull() }
                    } else { writer.appendNull() }
                }
            }
            writer.endRow()
        }

        private mutating func writeStaticOnlyRow() throws {
            for o in outputs {
                switch o {
                case .partitionKey(let i): try writeKeyComponent(i)
                case .token: writer.appendInt64(tokenValue)
                case .staticColumn(let id): writeStatic(id)
                case .writetime(let id, true): writeStaticWritetime(id)
                case .ttl(let id, true): writeStaticTTL(id)
                default: writer.appendNull()
                }
            }
            writer.endRow()
        }

        private var tokenValue: Int64 {
            var t: UInt64 = 0
            for i in 0..<8 { t = (t << 8) | UInt64(key[i]) }
            return Token(byteComparable: t).value
        }

        /// Component `i` of the partition key, found in place in the serialized key (a
        /// composite is, per component, a 2-byte length, the bytes, then 0).
        private mutating func writeKeyComponent(_ i: Int) throws {
            let k = key
            try k.withUnsafeBytes { raw in
                let serialized = UnsafeRawBufferPointer(rebasing: raw[8...])
                if !compositeKey {
                    writer.append(serialized)
                    return
                }
                var pos = 0, n = 0
                while pos + 2 <= serialized.count {
                    let len = Int(serialized[pos]) << 8 | Int(serialized[pos + 1])
                    pos += 2
                    guard pos + len < serialized.count + 1 else { break }
                    if n == i {
                        writer.append(UnsafeRawBufferPointer(rebasing: serialized[pos..<(pos + len)]))
                        return
                    }
                    pos += len + 1
                    n += 1
                }
                throw QueryError(.serverError, "stored composite partition key is malformed")
            }
        }

        private func staticCell(_ id: ColumnID) -> Cell? {
            guard let s = staticRow else { return nil }
            for case .simple(id, let cell) in s.columns { return cell }
            return nil
        }

        private mutating func writeStatic(_ id: ColumnID) {
            if let c = staticCell(id) { writer.append(c.value) } else { writer.appendNull() }
        }

        private mutating func writeStaticWritetime(_ id: ColumnID) {
            if let c = staticCell(id) { writer.appendInt64(c.timestamp) } else { writer.appendNull() }
        }

        private mutating func writeStaticTTL(_ id: ColumnID) {
            if let c = staticCell(id), c.ttl != 0 { writer.appendInt32(max(0, c.localDeletionTime &- nowInSeconds)) } else { writer.appendNull() }
        }
    }
}
