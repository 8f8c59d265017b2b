import Foundation
import HyadesCore
import HyadesCQL

/// The virtual system keyspaces: `system` (local, peers, peers_v2, size_estimates),
/// `system_auth` (no tables) and `system_schema`, with Cassandra's column names. Their rows are generated on every read
/// from the node's identity and live schema; they are never stored.
enum SystemKeyspaces {
    static let names: Set<String> = ["system", "system_schema", "system_auth", "system_traces"]

    static let fm: CQLType = .frozen(.map(.text, .text))

    static func table(_ ks: String, _ name: String, pk: [(String, CQLType)], ck: [(String, CQLType)] = [],
                      regular: [(String, CQLType)]) -> TableMetadata {
        let h = Array("\(ks).\(name)".utf8).withUnsafeBytes { Murmur3.hash128($0) }
        let id = TableID(high: UInt64(bitPattern: h.h1) & ~0xF000 | 0x3000, low: UInt64(bitPattern: h.h2) & ~(UInt64(0xC) << 60) | (UInt64(0x8) << 60))
        var p = TableParams()
        p.comment = name
        p.gcGraceSeconds = 0
        return TableMetadata(keyspace: ks, name: name, id: id, partitionKey: pk, clustering: ck.map { ($0.0, $0.1, .asc) },
                             regular: regular, params: p)
    }

    static let tableParamColumns: [(String, CQLType)] = [
        ("additional_write_policy", .text), ("allow_auto_snapshot", .boolean), ("bloom_filter_fp_chance", .double),
        ("caching", fm), ("cdc", .boolean), ("comment", .text), ("compaction", fm), ("compression", fm),
        ("crc_check_chance", .double), ("dclocal_read_repair_chance", .double), ("default_time_to_live", .int),
        ("extensions", .frozen(.map(.text, .blob))), ("flags", .frozen(.set(.text))), ("gc_grace_seconds", .int),
        ("id", .uuid), ("incremental_backups", .boolean), ("max_index_interval", .int), ("memtable", .text),
        ("memtable_flush_period_in_ms", .int), ("min_index_interval", .int), ("read_repair", .text),
        ("read_repair_chance", .double), ("speculative_retry", .text),
    ]

    static let systemTables: [TableMetadata] = [
        table("system", "local", pk: [("key", .text)], regular: [
            ("bootstrapped", .text), ("broadcast_address", .inet), ("broadcast_port", .int), ("cluster_name", .text),
            ("cql_version", .text), ("data_center", .text), ("gossip_generation", .int), ("host_id", .uuid),
            ("listen_address", .inet), ("listen_port", .int),
            ("native_protocol_version", .text), ("partitioner", .text), ("rack", .text), ("release_version", .text),
            ("rpc_address", .inet), ("rpc_port", .int), ("schema_version", .uuid), ("tokens", .set(.text)),
            ("truncated_at", .map(.uuid, .blob)),
        ]),
        table("system", "peers", pk: [("peer", .inet)], regular: [
            ("data_center", .text), ("host_id", .uuid), ("preferred_ip", .inet), ("rack", .text), ("release_version", .text),
            ("rpc_address", .inet), ("schema_version", .uuid), ("tokens", .set(.text)),
        ]),
        table("system", "peers_v2", pk: [("peer", .inet)], ck: [("peer_port", .int)], regular: [
            ("data_center", .text), ("host_id", .uuid), ("native_address", .inet), ("native_port", .int),
            ("preferred_ip", .inet), ("preferred_port", .int), ("rack", .text), ("release_version", .text),
            ("schema_version", .uuid), ("tokens", .set(.text)),
        ]),
        table("system", "size_estimates", pk: [("keyspace_name", .text)],
              ck: [("table_name", .text), ("range_start", .text), ("range_end", .text)],
              regular: [("mean_partition_size", .bigint), ("partitions_count", .bigint)]),
        table("system", "table_estimates", pk: [("keyspace_name", .text)],
              ck: [("table_name", .text), ("range_type", .text), ("range_start", .text), ("range_end", .text)],
              regular: [("mean_partition_size", .bigint), ("partitions_count", .bigint)]),
    ]

    static let schemaTables: [TableMetadata] = [
        table("system_schema", "keyspaces", pk: [("keyspace_name", .text)],
              regular: [("durable_writes", .boolean), ("replication", fm)]),
        table("system_schema", "tables", pk: [("keyspace_name", .text)], ck: [("table_name", .text)], regular: tableParamColumns),
        table("system_schema", "columns", pk: [("keyspace_name", .text)], ck: [("table_name", .text), ("column_name", .text)],
              regular: [("clustering_order", .text), ("column_name_bytes", .blob), ("kind", .text), ("position", .int), ("type", .text)]),
        table("system_schema", "types", pk: [("keyspace_name", .text)], ck: [("type_name", .text)],
              regular: [("field_names", .frozen(.list(.text))), ("field_types", .frozen(.list(.text)))]),
        table("system_schema", "functions", pk: [("keyspace_name", .text)],
              ck: [("function_name", .text), ("argument_types", .frozen(.list(.text)))],
              regular: [("argument_names", .frozen(.list(.text))), ("body", .text), ("called_on_null_input", .boolean),
                        ("language", .text), ("return_type", .text)]),
        table("system_schema", "aggregates", pk: [("keyspace_name", .text)],
              ck: [("aggregate_name", .text), ("argument_types", .frozen(.list(.text)))],
              regular: [("final_func", .text), ("initcond", .text), ("return_type", .text), ("state_func", .text), ("state_type", .text)]),
        table("system_schema", "dropped_columns", pk: [("keyspace_name", .text)], ck: [("table_name", .text), ("column_name", .text)],
              regular: [("dropped_time", .timestamp), ("kind", .text), ("type", .text)]),
        table("system_schema", "column_masks", pk: [("keyspace_name", .text)], ck: [("table_name", .text), ("column_name", .text)],
              regular: [("function_argument_nulls", .frozen(.list(.boolean))), ("function_argument_types", .frozen(.list(.text))),
                        ("function_argument_values", .frozen(.list(.text))), ("function_keyspace", .text),
                        ("function_name", .text)]),
        table("system_schema", "triggers", pk: [("keyspace_name", .text)], ck: [("table_name", .text), ("trigger_name", .text)],
              regular: [("options", fm)]),
        table("system_schema", "indexes", pk: [("keyspace_name", .text)], ck: [("table_name", .text), ("index_name", .text)],
              regular: [("kind", .text), ("options", fm)]),
        table("system_schema", "views", pk: [("keyspace_name", .text)], ck: [("view_name", .text)],
              regular: [("base_table_id", .uuid), ("base_table_name", .text), ("include_all_columns", .boolean),
                        ("where_clause", .text)] + tableParamColumns.filter { $0.0 != "flags" }),
    ]

    /// Cassandra's system_traces tables, filled from the processor's `TraceStore`.
    static let traceTables: [TableMetadata] = [
        table("system_traces", "sessions", pk: [("session_id", .uuid)],
              regular: [("client", .inet), ("command", .text), ("coordinator", .inet), ("coordinator_port", .int),
                        ("duration", .int), ("parameters", .map(.text, .text)), ("request", .text), ("started_at", .timestamp)]),
        table("system_traces", "events", pk: [("session_id", .uuid)], ck: [("event_id", .timeuuid)],
              regular: [("activity", .text), ("source", .inet), ("source_elapsed", .int), ("source_port", .int),
                        ("thread", .text)]),
    ]

    static let keyspaces: [String: KeyspaceMetadata] = {
        var system = KeyspaceMetadata(name: "system", replication: .local)
        for t in systemTables { system.tables[t.name] = t }
        var schema = KeyspaceMetadata(name: "system_schema", replication: .local)
        for t in schemaTables { schema.tables[t.name] = t }
        // Present (without tables) because cqlsh formats LIST ROLES with system_auth's
        // metadata and stops with "Keyspace 'system_auth' not found" without it. The roles
        // themselves live in the server's RoleStore.
        // Replicated keyspaces in Cassandra (SimpleStrategy RF 1 and RF 2): drivers and
        // tools read their replication from system_schema.keyspaces.
        let auth = KeyspaceMetadata(name: "system_auth", replication: .simple(replicationFactor: 1))
        var traces = KeyspaceMetadata(name: "system_traces", replication: .simple(replicationFactor: 2))
        for t in traceTables { traces.tables[t.name] = t }
        return ["system": system, "system_schema": schema, "system_auth": auth, "system_traces": traces]
    }()

    // MARK: rows

    typealias Values = [String: [UInt8]?]

    static func partitions(of table: TableMetadata, processor p: QueryProcessor) throws(QueryError) -> [MemoryPartition] {
        let rows: [Values]
        let user = p.schema.snapshot
        // The system keyspaces are listed too: cqlsh only SELECTs from tables it finds there.
        let all = user.keyspaces.values.sorted { $0.name < $1.name } + keyspaces.values.sorted { $0.name < $1.name }
        switch (table.keyspace, table.name) {
        case ("system", "local"): rows = [local(p)]
        case ("system", "peers"): rows = p.cluster.ringMembers.map(peerRow)
        case ("system", "peers_v2"): rows = p.cluster.ringMembers.map(peerV2Row)
        case ("system", "size_estimates"): rows = sizeEstimates(user, p)
        case ("system", "table_estimates"): rows = sizeEstimates(user, p, rangeTypes: ["local_primary", "primary"])
        case ("system_schema", "keyspaces"):
            rows = all.map { k in
                ["keyspace_name": v(k.name), "durable_writes": v(k.durableWrites), "replication": v(k.replication.asMap)]
            }
        case ("system_schema", "tables"):
            rows = all.flatMap { $0.tables.values.map(tableRow) }
        case ("system_schema", "columns"):
            rows = all.flatMap { k in k.tables.values.flatMap { t in t.columns.map { columnRow(t, $0) } } }
        case ("system_schema", "types"):
            rows = all.flatMap { k in k.userTypes.values.map { u in
                ["keyspace_name": v(k.name), "type_name": v(u.name),
                 "field_names": list(u.fields.map(\.name)), "field_types": list(u.fields.map(\.type.cqlName))]
            } }
        case ("system_traces", "sessions"):
            rows = p.traces.all.map { t in
                var row: Values = [
                    "session_id": t.sessionID, "client": t.client, "command": v(t.command), "coordinator": t.coordinator,
                    "coordinator_port": int32Bytes(p.node.nativePort), "duration": int32Bytes(t.durationMicros),
                    "parameters": v(t.parameters), "request": v(t.request), "started_at": int64Bytes(t.startedAtMillis)]
                for c in t.deletedColumns { row[c] = .some(nil) }
                return row
            }
        case ("system_traces", "events"):
            rows = p.traces.all.flatMap { t in t.events.map { e in
                ["session_id": t.sessionID, "event_id": e.eventID, "activity": v(e.activity), "source": t.coordinator,
                 "source_elapsed": int32Bytes(e.sourceElapsedMicros), "source_port": int32Bytes(p.node.nativePort),
                 "thread": v(e.thread)]
            } }
        default: rows = []
        }
        do { return try build(table, rows) } catch { throw QueryError.server("system table \(table.name): \(error)") }
    }

    static func local(_ p: QueryProcessor) -> Values {
        let n = p.node
        return [
            "key": v("local"), "bootstrapped": v("COMPLETED"), "broadcast_address": n.broadcastAddress,
            "broadcast_port": int32Bytes(7000), "cluster_name": v(n.clusterName), "cql_version": v("3.4.7"),
            "data_center": v(n.dataCenter), "gossip_generation": int32Bytes(0), "host_id": uuid(n.hostID),
            "listen_address": n.listenAddress, "listen_port": int32Bytes(7000), "native_protocol_version": v("4"),
            "partitioner": v(Murmur3Partitioner.className), "rack": v(n.rack), "release_version": v("5.0.0"),
            "rpc_address": n.rpcAddress, "rpc_port": int32Bytes(n.nativePort), "schema_version": uuid(p.schema.schemaVersion),
            "tokens": CQLLiteral.collection(n.tokens.map { Array($0.utf8) }.sorted { ByteOrder.compare($0, $1) < 0 }),
        ]
    }

    /// Cassandra's SizeEstimatesRecorder: per table, one row per primary range of this
    /// node (wrapping ranges unwrapped at the ring's minimum), with the partitions
    /// estimated in that range (SSTables and memtables) and the mean partition size.
    /// `table_estimates` (Cassandra 4.0+) repeats them as range_type 'primary' and
    /// 'local_primary' (the same ranges while every node is in one data centre).
    static func peerRow(_ peer: PeerInfo) -> Values {
        ["peer": peer.address, "data_center": peer.dataCenter.map(v), "host_id": peer.hostID.map(uuid),
         "rack": peer.rack.map(v), "release_version": peer.releaseVersion.map(v),
         "rpc_address": peer.nativeAddress, "schema_version": peer.schemaVersion.map(uuid), "tokens": tokenSet(peer.tokens)]
    }

    static func peerV2Row(_ peer: PeerInfo) -> Values {
        ["peer": peer.address, "peer_port": int32Bytes(peer.storagePort), "data_center": peer.dataCenter.map(v),
         "host_id": peer.hostID.map(uuid), "native_address": peer.nativeAddress, "native_port": peer.nativePort.map(int32Bytes),
         "rack": peer.rack.map(v), "release_version": peer.releaseVersion.map(v),
         "schema_version": peer.schemaVersion.map(uuid), "tokens": tokenSet(peer.tokens)]
    }

    static func tokenSet(_ tokens: [String]) -> [UInt8] {
        CQLLiteral.collection(tokens.map { Array($0.utf8) }.sorted { ByteOrder.compare($0, $1) < 0 })
    }

    static func sizeEstimates(_ user: InMemorySchema, _ p: QueryProcessor, rangeTypes: [String]? = nil) -> [Values] {
        let ranges = PrimaryRanges.of(p.node.tokens.compactMap { Int64($0).map(Token.init) })
        var out: [Values] = []
        for k in user.keyspaces.values {
            for t in k.tables.values {
                guard let store = p.schema.tableStore(t.id) else { continue }
                for r in ranges {
                    // A right bound at the minimum token means "to the end of the ring".
                    let e = store.sizeEstimate(start: r.start, end: r.end == .minimum ? .maximum : r.end)
                    var row: Values = ["keyspace_name": v(k.name), "table_name": v(t.name),
                                       "range_start": v(String(r.start.value)), "range_end": v(String(r.end.value)),
                                       "mean_partition_size": int64Bytes(e.meanPartitionBytes),
                                       "partitions_count": int64Bytes(e.partitions)]
                    guard let rangeTypes else { out.append(row); continue }
                    for type in rangeTypes {
                        row["range_type"] = v(type)
                        out.append(row)
                    }
                }
            }
        }
        return out
    }

    static func tableRow(_ t: TableMetadata) -> Values {
        let p = t.params
        return [
            "keyspace_name": v(t.keyspace), "table_name": v(t.name),
            "additional_write_policy": v(p.additionalWritePolicy), "allow_auto_snapshot": v(p.allowAutoSnapshot),
            "bloom_filter_fp_chance": double(p.bloomFilterFpChance), "caching": v(p.caching), "cdc": v(p.cdc),
            "comment": v(p.comment), "compaction": v(p.compaction), "compression": v(p.compression),
            "crc_check_chance": double(p.crcCheckChance), "dclocal_read_repair_chance": double(0),
            "default_time_to_live": int32Bytes(p.defaultTimeToLive),
            "extensions": CQLLiteral.map(p.extensions.map { (Array($0.key.utf8), $0.value) }.sorted { ByteOrder.compare($0.0, $1.0) < 0 }),
            "flags": CQLLiteral.collection([Array("compound".utf8)]), "gc_grace_seconds": int32Bytes(p.gcGraceSeconds),
            "id": tableUUID(t.id), "incremental_backups": v(p.incrementalBackups), "max_index_interval": int32Bytes(p.maxIndexInterval),
            "memtable": v(p.memtable), "memtable_flush_period_in_ms": int32Bytes(p.memtableFlushPeriodInMs),
            "min_index_interval": int32Bytes(p.minIndexInterval), "read_repair": v(p.readRepair),
            "read_repair_chance": double(0), "speculative_retry": v(p.speculativeRetry),
        ]
    }

    static func columnRow(_ t: TableMetadata, _ c: ColumnMetadata) -> Values {
        [
            "keyspace_name": v(t.keyspace), "table_name": v(t.name), "column_name": v(c.name),
            "clustering_order": v(c.clusteringOrder.rawValue), "column_name_bytes": Array(c.name.utf8),
            "kind": v(c.kind.rawValue), "position": int32Bytes(Int32(c.position)), "type": v(c.type.cqlName),
        ]
    }

    /// Rows → partitions in ring order, rows in clustering order.
    static func build(_ table: TableMetadata, _ rows: [Values]) throws -> [MemoryPartition] {
        var byKey: [DecoratedKey: MemoryPartition] = [:]
        for r in rows {
            let pk = table.partitionKeyColumns.map { (r[$0.name] ?? nil) ?? [] }
            let key = table.decoratedKey(pk)
            let ck = try table.encodeClustering(table.clusteringColumns.map { (r[$0.name] ?? nil) ?? [] })
            var cols: [ColumnData] = []
            for c in table.columns where !c.kind.isPrimaryKey {
                if let value = r[c.name] ?? nil { cols.append(.simple(c.id, Cell.live(timestamp: 0, value: value))) }
            }
            cols.sort { $0.column < $1.column }
            let row = Row(clustering: ck, liveness: LivenessInfo(timestamp: 0), columns: cols)
            byKey[key, default: MemoryPartition(key: key, staticRow: nil, rows: [])].rows.append(row)
        }
        var out = Array(byKey.values)
        for i in out.indices { out[i].rows.sort { ByteOrder.compare($0.clustering, $1.clustering) < 0 } }
        out.sort { ByteOrder.compare($0.key.byteComparable, $1.key.byteComparable) < 0 }
        return out
    }

    // MARK: serialization helpers

    static func v(_ s: String) -> [UInt8] { Array(s.utf8) }
    static func v(_ b: Bool) -> [UInt8] { [b ? 1 : 0] }
    static func v(_ m: [String: String]) -> [UInt8] {
        CQLLiteral.map(m.map { (Array($0.key.utf8), Array($0.value.utf8)) }.sorted { ByteOrder.compare($0.0, $1.0) < 0 })
    }
    static func list(_ l: [String]) -> [UInt8] { CQLLiteral.collection(l.map { Array($0.utf8) }) }
    static func double(_ d: Double) -> [UInt8] { int64Bytes(Int64(bitPattern: d.bitPattern)) }
    static func uuid(_ u: UUID) -> [UInt8] { withUnsafeBytes(of: u.uuid, Array.init) }
    static func tableUUID(_ id: TableID) -> [UInt8] {
        int64Bytes(Int64(bitPattern: id.high)) + int64Bytes(Int64(bitPattern: id.low))
    }
}
