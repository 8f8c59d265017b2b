import Foundation
import HyadesCore
import HyadesCQL
import HyadesStorage
import Synchronization

/// Executes CQL on this node: parse, analyze against the live schema (user keyspaces plus
/// the virtual system keyspaces), then run the plan against the storage engine.
public final class QueryProcessor: @unchecked Sendable {
    public let schema: SchemaManager
    public let node: NodeInfo
    /// Wall clock in microseconds (write timestamps).
    let clock: @Sendable () -> Int64
    let preparedCacheSize: Int
    /// Batch size limits and warnings (batch_size_warn_threshold, ...).
    public let batchGuards: BatchGuards
    /// tombstone_warn_threshold / tombstone_failure_threshold: tombstones one read may
    /// walk past before the client is warned / the read fails.
    public let tombstoneThresholds: TombstoneThresholds
    /// Traces of requests sent with the tracing flag (system_traces).
    public let traces = TraceStore()
    /// The other nodes as gossip sees them (system.peers, peers_v2).
    public let cluster = ClusterView()
    /// The ring the coordinator works on (published by gossip).
    public let topology = ClusterTopologyHolder()
    /// The coordinator, set when the node joins the internode network.
    public var storageProxy: StorageProxy? {
        get { proxyBox.withLock { $0 } }
        set { proxyBox.withLock { $0 = newValue } }
    }
    private let proxyBox = Mutex<StorageProxy?>(nil)
    /// Table id -> its keyspace's replication, for the schema version it was built at.
    let replicationCache = Mutex<(version: UUID?, map: [TableID: ReplicationParams])>((nil, [:]))

    let cache: PreparedStatementCache

    public init(schema: SchemaManager, node: NodeInfo, preparedCacheSize: Int = 10_000,
                batchGuards: BatchGuards = BatchGuards(), tombstoneThresholds: TombstoneThresholds = TombstoneThresholds(),
                clock: @escaping @Sendable () -> Int64 = Analyzer.microsecondsNow) {
        self.batchGuards = batchGuards
        self.tombstoneThresholds = tombstoneThresholds
        self.schema = schema
        self.node = node
        self.preparedCacheSize = max(1, preparedCacheSize)
        self.clock = clock
        let cache = PreparedStatementCache(capacity: preparedCacheSize)
        self.cache = cache
        schema.addChangeListener { change, before in cache.evict(after: change, before: before) }
    }

    var nowInSeconds: Int32 { schema.engine.options.nowInSeconds() }

    // MARK: entry points

    /// QUERY: one statement of text with optional positional values.
    public func execute(_ cql: String, state: inout ClientState, values: [CQLBoundValue] = [],
                        options: QueryOptions = QueryOptions()) throws(QueryError) -> QueryResult {
        let plan = try analyze(cql, keyspace: state.keyspace)
        return try run(plan, state: &state, values: values, options: options)
    }

    /// PREPARE: analyzes and caches the statement; the id is a digest of keyspace + query.
    public func prepare(_ cql: String, keyspace: String?) throws(QueryError) -> PreparedStatement {
        let version = schema.schemaVersion
        let plan = try analyze(cql, keyspace: keyspace)
        let id = Self.statementID(cql, keyspace: keyspace)
        let p = PreparedStatement(id: id, query: cql, keyspace: keyspace, plan: plan)
        var streaming: StreamingSelect.Compiled?
        var modification: ModificationPlan?
        if case .select(let s) = plan, !SystemKeyspaces.names.contains(s.table.keyspace) { streaming = StreamingSelect.Compiled(s) }
        // Counter increments are read-modify-writes (executeCounter): never the fast path.
        if case .modification(let m) = plan, m.condition == nil, !m.isCounter, !SystemKeyspaces.names.contains(m.table.keyspace) { modification = m }
        cache.insert(PreparedStatementCache.Entry(statement: p, schemaVersion: version, streaming: streaming,
                                                  modification: modification, passingLevels: passingLevels(plan)))
        return p
    }

    public func preparedStatement(id: [UInt8]) -> PreparedStatement? {
        cache[id]?.statement
    }

    /// EXECUTE: runs a prepared statement (re-analyzed if the schema changed since).
    public func executePrepared(id: [UInt8], state: inout ClientState, values: [CQLBoundValue],
                                options: QueryOptions = QueryOptions()) throws(QueryError) -> QueryResult {
        // The common EXECUTEs (a streamable SELECT, a write to a user table): straight to
        // the engine, the plan resolved at PREPARE.
        // (Values bound by name go through `run`, which orders them first.)
        if options.valueNames == nil, let entry = cache[id], entry.schemaVersion == schema.schemaVersion,
           entry.passingLevels & (1 << options.consistency.rawValue) != 0 {
            if let compiled = entry.streaming {
                return .rows(try selectStreaming(compiled, values: values, options: options))
            }
            if let m = entry.modification {
                try apply(m, values: values, options: options)
                return .void
            }
        }
        return try run(try preparedPlan(id: id), state: &state, values: values, options: options)
    }

    /// Point reads inline too (HYADES_INLINE_READS=1): measured slower while a compaction
    /// of fresh SSTables runs (paced read p50 70-350 ms against 0.3 ms through the pool).
    static let inlineReads = ProcessInfo.processInfo.environment["HYADES_INLINE_READS"] == "1"

    /// Whether an EXECUTE of `id` with positional values is short and cannot block: a
    /// streamable SELECT of given partition keys (only with HYADES_INLINE_READS=1), or a
    /// write to a user table (appended to the commit log's buffer; the acknowledgement's
    /// write or fsync comes after, without holding the thread) whose memtable is well below its bound. The server runs
    /// these on the connection's event loop: the hop to the request pool and back costs
    /// two thread wake-ups per batch, as much CPU as the request itself on 2 cores.
    public func runsInline(preparedID id: [UInt8]) -> Bool {
        guard let entry = cache[id], entry.schemaVersion == schema.schemaVersion else { return false }
        if let compiled = entry.streaming {
            guard Self.inlineReads, case .keys = compiled.plan.partitions else { return false }
            return true
        }
        if let m = entry.modification {
            // No sync mode blocks here: the server waits for the commit log without a thread.
            guard let store = schema.tableStore(m.table.id) else { return false }
            return store.writeCannotWaitForSpace
        }
        return false
    }

    /// The plan of a prepared statement, re-analyzed when the schema changed since PREPARE.
    /// A re-analysis that fails, or whose bound or result columns differ from what the
    /// client was given at PREPARE, evicts the statement and answers UNPREPARED: the
    /// client must prepare again to learn the new metadata (the schema listener evicts
    /// such statements already; this covers a change that raced with the EXECUTE).
    func preparedPlan(id: [UInt8]) throws(QueryError) -> StatementPlan {
        guard let entry = cache[id] else { throw Self.unprepared(id) }
        if entry.schemaVersion != schema.schemaVersion {
            let old = entry.statement
            let fresh: PreparedStatement
            do { fresh = try prepare(old.query, keyspace: old.keyspace) } catch {
                cache.remove(id)
                throw Self.unprepared(id)
            }
            guard fresh.variables == old.variables, fresh.resultColumns == old.resultColumns else {
                cache.remove(id)
                throw Self.unprepared(id)
            }
            return fresh.plan
        }
        return entry.statement.plan
    }

    static func unprepared(_ id: [UInt8]) -> QueryError {
        QueryError(.unprepared, "Prepared query with ID \(hex(id)) not found (either the query was not prepared on this host (maybe the host has been restarted?) or you have prepared too many queries and it has been evicted from the internal cache)",
                   unpreparedID: id)
    }

    // MARK: analysis

    var analysisSchema: CombinedSchema { CombinedSchema(user: schema.snapshot) }

    func analyze(_ cql: String, keyspace: String?) throws(QueryError) -> StatementPlan {
        let parsed: ParsedStatement
        do { parsed = try CQLParser.parse(cql) } catch { throw QueryError(error) }
        do {
            var analyzer = Analyzer(schema: analysisSchema, keyspace: keyspace)
            analyzer.conditionalUpdates = true   // run by executeConditional (single-node LWT)
            return try analyzer.analyze(parsed)
        } catch { throw QueryError(error) }
    }

    // MARK: execution

    func run(_ plan: StatementPlan, state: inout ClientState, values: [CQLBoundValue],
             options: QueryOptions) throws(QueryError) -> QueryResult {
        if let names = options.valueNames {
            var positional = options
            positional.valueNames = nil
            return try run(plan, state: &state, values: try Self.ordered(values, names: names, for: plan.variables), options: positional)
        }
        try checkConsistency(plan, options: options)
        switch plan {
        case .use(let ks):
            state.keyspace = ks
            return .setKeyspace(ks)
        case .noOp:
            return .void
        case .schemaChange(let change):
            try refuseSystem(change.event.keyspace)
            do {
                guard try schema.apply(change) else { return .void }
            } catch let e as CQLAnalysisError {
                throw QueryError(e)
            } catch {
                throw QueryError.server("Schema change failed: \(error)")
            }
            let e = change.event
            return .schemaChange(change: e.change, target: e.target, keyspace: e.keyspace, name: e.name)
        case .truncate(let ks, let table, _) where ks == Self.tracesKeyspace:
            traces.truncate(table: table)
            return .void
        case .truncate(let ks, let table, _):
            try refuseSystem(ks)
            do { try schema.truncate(keyspace: ks, table: table) } catch { throw QueryError.server("Truncate failed: \(error)") }
            return .void
        case .modification(let m) where m.table.keyspace == Self.tracesKeyspace && m.condition == nil:
            try applyToTraces(m, values: values, options: options)
            return .void
        case .modification(let m):
            try refuseSystem(m.table.keyspace)
            if let condition = m.condition { return try executeConditional(m, condition: condition, values: values, options: options) }
            if m.isCounter {
                try executeCounter(m, values: values, options: options)
                return .void
            }
            try apply(m, values: values, options: options)
            return .void
        case .batch(let b):
            for s in b.statements { try refuseSystem(s.table.keyspace) }
            if b.statements.contains(where: { $0.condition != nil }) { return try conditionalBatch(b, values: values, options: options) }
            if b.statements.contains(where: \.isCounter) {
                try executeCounterBatch(b.statements.map { ($0, values) }, options: options)
                return .void
            }
            let mutation: Mutation
            do {
                mutation = try b.mutation(values: values, timestamp: options.timestamp ?? clock(), nowInSeconds: nowInSeconds)
            } catch { throw QueryError(error) }
            try verifyBatch(mutation, type: b.kind == .unlogged ? .unlogged : (b.kind == .counter ? .counter : .logged),
                            options: options)
            try apply(mutation, options: options, writeType: b.kind == .unlogged ? "UNLOGGED_BATCH" : "BATCH")
            return .void
        case .insertJSON(let j):
            try refuseSystem(j.table.keyspace)
            let m: ModificationPlan
            do { m = try j.modification(values: values, schema: analysisSchema) } catch { throw QueryError(error) }
            return try run(.modification(m), state: &state, values: values, options: options)
        case .select(let s):
            return .rows(try select(s, values: values, options: options))
        case .describe(let d, let current):
            return .rows(try describe(d, currentKeyspace: current))
        }
    }

    func refuseSystem(_ keyspace: String) throws(QueryError) {
        if SystemKeyspaces.names.contains(keyspace) {
            throw QueryError(.unauthorized, "\(keyspace) keyspace is not user-modifiable.")
        }
    }

    /// A plain (unconditional, non-counter) INSERT / UPDATE / DELETE: its mutation at the
    /// request's timestamp, applied.
    func apply(_ m: ModificationPlan, values: [CQLBoundValue], options: QueryOptions) throws(QueryError) {
        let mutation: Mutation
        do {
            mutation = try m.mutation(values: values, timestamp: options.timestamp ?? clock(), nowInSeconds: nowInSeconds)
        } catch { throw QueryError(error) }
        try apply(mutation, options: options)
    }

    /// Every write of the processor ends here: on a ring, sent to its replicas by the
    /// coordinator; alone, applied here. Then either recorded in the request's
    /// `WriteAcknowledgement` (the server answers once it holds) or waited for.
    func apply(_ mutation: Mutation, options: QueryOptions, writeType: String = "SIMPLE") throws(QueryError) {
        if mutation.updates.isEmpty { return }
        if let (proxy, t) = coordinating() {
            try coordinate(mutation, options: options, writeType: writeType, proxy: proxy, topology: t)
            return
        }
        try applyLocally(mutation, options: options)
    }

    /// Applies a write to this node's engine; answered once its commit log allows.
    func applyLocally(_ mutation: Mutation, options: QueryOptions) throws(QueryError) {
        let appended = try append(mutation)
        if let ack = options.acknowledgement {
            ack.require(appended)
        } else {
            do { try schema.engine.waitUntilAcknowledgeable(appended) } catch { throw QueryError.server("Write failed: \(error)") }
        }
    }

    /// Appends a write to the commit log and memtable; the caller waits for the position.
    func append(_ mutation: Mutation) throws(QueryError) -> CommitLogAppend {
        do {
            return try schema.engine.applyDeferringAcknowledgement(mutation)
        } catch let e as CommitLogError {
            if case .mutationTooLarge = e { throw QueryError.invalid("Mutation too large: \(e)") }
            throw QueryError.server("Write failed: \(e)")
        } catch StorageEngineError.unknownTable(let t) {
            // Dropped between analysis and apply.
            throw QueryError.invalid("unconfigured table \(t)")
        } catch {
            throw QueryError.server("Write failed: \(error)")
        }
    }

    func selectStreaming(_ compiled: StreamingSelect.Compiled, values: [CQLBoundValue],
                         options: QueryOptions) throws(QueryError) -> ResultPage {
        if !readsEverythingLocally(compiled.plan.table.keyspace, options.consistency) {
            return try select(compiled.plan, values: values, options: options, streaming: false)
        }
        guard let store = schema.tableStore(compiled.plan.table.id) else {
            throw QueryError.invalid("unconfigured table \(compiled.plan.table.name)")
        }
        let now = nowInSeconds
        return try monitoringTombstones(compiled.plan, options: options) {
            try StreamingSelect(compiled: compiled, values: values, nowInSeconds: now)
                .execute(store, pageSize: options.pageSize, pagingState: options.pagingState)
        }
    }

    func select(_ plan: SelectPlan, values: [CQLBoundValue], options: QueryOptions,
                streaming: Bool = true) throws(QueryError) -> ResultPage {
        if plan.isAggregate, let warnings = options.warnings { Self.warnAboutAggregation(plan, warnings) }
        let now = nowInSeconds
        let isSystem = SystemKeyspaces.names.contains(plan.table.keyspace)
        let local = isSystem || readsEverythingLocally(plan.table.keyspace, options.consistency)
        if !isSystem, !local, let (proxy, t) = coordinating() {
            var options = options
            if options.defersReads && options.prefetch == nil { options.prefetch = ReplicaPrefetch() }
            guard let store = schema.tableStore(plan.table.id) else {
                throw QueryError.invalid("unconfigured table \(plan.table.name)")
            }
            let target = try coordinatedTarget(plan, store: store, options: options, now: now, proxy: proxy, topology: t)
            let executor = try SelectExecutor(plan: plan, values: values, nowInSeconds: now)
            let page = try monitoringTombstones(plan, options: options) {
                try executor.execute(target, pageSize: options.pageSize, pagingState: options.pagingState)
            }
            if let prefetch = options.prefetch, prefetch.missing > 0 {
                var deferred = QueryError(.deferred, "waiting for replicas")
                deferred.deferral = prefetch
                throw deferred
            }
            return page
        }
        if !isSystem, streaming, let compiled = StreamingSelect.Compiled(plan) {
            return try selectStreaming(compiled, values: values, options: options)
        }
        if !isSystem, streaming, let counting = StreamingSelect.countingPlan(plan), let compiled = StreamingSelect.Compiled(counting) {
            guard let store = schema.tableStore(plan.table.id) else {
                throw QueryError.invalid("unconfigured table \(plan.table.name)")
            }
            return try monitoringTombstones(plan, options: options) {
                try StreamingSelect.count(compiled, resultColumns: plan.resultColumns, values: values,
                                          nowInSeconds: now, store: store)
            }
        }
        let executor = try SelectExecutor(plan: plan, values: values, nowInSeconds: now)
        let target: SelectTarget
        if isSystem {
            let partitions = try SystemKeyspaces.partitions(of: plan.table, processor: self)
            target = SelectTarget(read: { k, s, _ in MemoryRowSource.select(partitions, key: k, slices: s) },
                                  scan: { r, s, _ in MemoryRowSource.select(partitions, range: r, slices: s) })
        } else {
            guard let store = schema.tableStore(plan.table.id) else {
                throw QueryError.invalid("unconfigured table \(plan.table.name)")
            }
            target = SelectTarget(read: { k, s, c in try store.read(k, slices: s, columns: c, nowInSeconds: now) },
                                  scan: { r, s, c in try store.scan(r, slices: s, columns: c, nowInSeconds: now) })
        }
        if isSystem { return try executor.execute(target, pageSize: options.pageSize, pagingState: options.pagingState) }
        return try monitoringTombstones(plan, options: options) {
            try executor.execute(target, pageSize: options.pageSize, pagingState: options.pagingState)
        }
    }

    /// Cassandra's warnings for aggregates over many partitions (SelectStatement): none when
    /// the partition key (or its token) is restricted to one partition or a token range.
    static func warnAboutAggregation(_ plan: SelectPlan, _ warnings: ClientWarnings) {
        switch plan.partitions {
        case .all:
            warnings.add("Aggregation query used without partition key")
        case .keys(let kv):
            if kv.contains(where: { if case .eq = $0 { return false } else { return true } }) {
                warnings.add("Aggregation query used on multiple partition keys (IN restriction)")
            }
        case .tokenRange:
            break
        }
    }

    // MARK: helpers

    /// 16 bytes: two Murmur3 x64_128 halves over keyspace + query (like Cassandra's MD5 id).
    static func statementID(_ cql: String, keyspace: String?) -> [UInt8] {
        let bytes = Array(((keyspace ?? "") + "\u{0}" + cql).utf8)
        let h = bytes.withUnsafeBytes { Murmur3.hash128($0, seed: 0x4879_6164_6573) }
        return int64Bytes(h.h1) + int64Bytes(h.h2)
    }

    static func hex(_ b: [UInt8]) -> String {
        let d = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for x in b { out.append(d[Int(x >> 4)]); out.append(d[Int(x & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The user schema plus the virtual system keyspaces, as the analyzer sees them.
struct CombinedSchema: SchemaView {
    var user: InMemorySchema

    func keyspace(named name: String) -> KeyspaceMetadata? {
        SystemKeyspaces.keyspaces[name] ?? user.keyspace(named: name)
    }
}
