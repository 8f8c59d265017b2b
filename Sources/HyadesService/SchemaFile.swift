import Foundation
import HyadesCore
import HyadesCQL
import HyadesStorage

/// Errors reading the schema file: corrupt bytes name the file and offset.
public struct SchemaFileError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var offset: Int
    public var message: String
    public var description: String { "\(path) at offset \(offset): \(message)" }
}

/// The node's schema on disk: a header (magic, version, length, CRC32C) and a JSON
/// payload. JSON because the schema is small, read once at start and written only on DDL,
/// and a text payload can be inspected by an operator. Written atomically (temp file,
/// fsync, rename, directory fsync) so a crash leaves the old or the new schema, never a mix.
enum SchemaFile {
    static func encode(_ keyspaces: [KeyspaceMetadata]) throws -> [UInt8] {
        let payload = try JSONSerialization.data(withJSONObject: keyspaces.sorted { $0.name < $1.name }.map(keyspaceObject),
                                                 options: [.sortedKeys])
        let bytes = [UInt8](payload)
        var out = SchemaFileFormat.magic
        appendU32(&out, SchemaFileFormat.version)
        appendU32(&out, UInt32(bytes.count))
        appendU32(&out, CRC32C.checksum(bytes))
        out += bytes
        return out
    }

    static func decode(_ data: [UInt8], path: String) throws -> [KeyspaceMetadata] {
        func fail(_ offset: Int, _ m: String) -> SchemaFileError { SchemaFileError(path: path, offset: offset, message: m) }
        guard data.count >= SchemaFileFormat.headerSize else { throw fail(0, "truncated header (\(data.count) bytes)") }
        guard Array(data[0..<4]) == SchemaFileFormat.magic else { throw fail(0, "bad magic") }
        let version = readU32(data, 4)
        guard version == SchemaFileFormat.version else { throw fail(4, "unsupported version \(version)") }
        let length = Int(readU32(data, 8))
        guard data.count - SchemaFileFormat.headerSize == length else {
            throw fail(8, "payload length \(length) but \(data.count - SchemaFileFormat.headerSize) bytes follow")
        }
        let payload = Array(data[SchemaFileFormat.headerSize...])
        guard CRC32C.checksum(payload) == readU32(data, 12) else { throw fail(12, "payload checksum mismatch") }
        guard let list = (try? JSONSerialization.jsonObject(with: Data(payload))) as? [[String: Any]] else {
            throw fail(SchemaFileFormat.headerSize, "payload is not a JSON array of keyspaces")
        }
        do {
            return try list.map(keyspace)
        } catch {
            throw fail(SchemaFileFormat.headerSize, "\(error)")
        }
    }

    // MARK: encoding

    static func keyspaceObject(_ k: KeyspaceMetadata) -> [String: Any] {
        [
            "name": k.name,
            "replication": k.replication.asMap,
            "durable_writes": k.durableWrites,
            "types": k.userTypes.values.sorted { $0.name < $1.name }.map { u in
                ["name": u.name, "field_names": u.fields.map(\.name), "field_types": u.fields.map(\.type.cqlName)] as [String: Any]
            },
            "tables": k.tables.values.sorted { $0.name < $1.name }.map(tableObject),
        ]
    }

    static func tableObject(_ t: TableMetadata) -> [String: Any] {
        let p = t.params
        let params: [String: Any] = [
            "additional_write_policy": p.additionalWritePolicy, "allow_auto_snapshot": p.allowAutoSnapshot,
            "bloom_filter_fp_chance": p.bloomFilterFpChance, "caching": p.caching, "cdc": p.cdc,
            "comment": p.comment, "compaction": p.compaction, "compression": p.compression,
            "crc_check_chance": p.crcCheckChance, "default_time_to_live": Int(p.defaultTimeToLive),
            "extensions": p.extensions.mapValues { hex($0) },
            "gc_grace_seconds": Int(p.gcGraceSeconds), "incremental_backups": p.incrementalBackups,
            "max_index_interval": Int(p.maxIndexInterval), "memtable": p.memtable,
            "memtable_flush_period_in_ms": Int(p.memtableFlushPeriodInMs),
            "min_index_interval": Int(p.minIndexInterval), "read_repair": p.readRepair,
            "speculative_retry": p.speculativeRetry,
        ]
        return [
            "name": t.name,
            "id": [String(t.id.high), String(t.id.low)],
            "columns": t.columns.map { c in
                ["name": c.name, "type": c.type.cqlName, "kind": c.kind.rawValue, "position": c.position,
                 "clustering_order": c.clusteringOrder.rawValue, "id": Int(c.id)] as [String: Any]
            },
            "dropped": t.droppedColumns.map { d in
                ["name": d.name, "type": d.type.cqlName, "id": Int(d.id), "dropped_at": String(d.droppedAt)] as [String: Any]
            },
            "params": params,
        ]
    }

    static func hex(_ b: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for x in b { out.append(digits[Int(x >> 4)]); out.append(digits[Int(x & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: decoding

    struct Bad: Error, CustomStringConvertible { var description: String }

    static func keyspace(_ o: [String: Any]) throws -> KeyspaceMetadata {
        guard let name = o["name"] as? String, var replication = o["replication"] as? [String: String] else {
            throw Bad(description: "keyspace without name or replication")
        }
        let cls = replication.removeValue(forKey: "class") ?? ReplicationParams.simpleStrategy
        var ks = KeyspaceMetadata(name: name, replication: ReplicationParams(className: cls, options: replication),
                                  durableWrites: o["durable_writes"] as? Bool ?? true)
        // Types first: columns may use them.
        for u in o["types"] as? [[String: Any]] ?? [] {
            guard let n = u["name"] as? String, let fn = u["field_names"] as? [String], let ft = u["field_types"] as? [String],
                  fn.count == ft.count else { throw Bad(description: "bad type in keyspace \(name)") }
            var fields: [CQLField] = []
            for (f, t) in zip(fn, ft) { fields.append(CQLField(f, try parseType(t, ks))) }
            ks.userTypes[n] = UserTypeMetadata(keyspace: name, name: n, fields: fields)
        }
        for t in o["tables"] as? [[String: Any]] ?? [] {
            let table = try self.table(t, ks)
            ks.tables[table.name] = table
        }
        return ks
    }

    static func parseType(_ s: String, _ ks: KeyspaceMetadata) throws -> CQLType {
        try CQLType.parse(s, keyspace: ks.name) { k, n in k == ks.name ? ks.userTypes[n]?.type : nil }
    }

    static func table(_ o: [String: Any], _ ks: KeyspaceMetadata) throws -> TableMetadata {
        guard let name = o["name"] as? String, let id = o["id"] as? [String], id.count == 2,
              let high = UInt64(id[0]), let low = UInt64(id[1]), let cols = o["columns"] as? [[String: Any]] else {
            throw Bad(description: "bad table in keyspace \(ks.name)")
        }
        var columns: [ColumnMetadata] = []
        for c in cols {
            guard let n = c["name"] as? String, let t = c["type"] as? String,
                  let k = (c["kind"] as? String).flatMap(ColumnKind.init(rawValue:)),
                  let pos = c["position"] as? Int,
                  let co = (c["clustering_order"] as? String).flatMap(ClusteringOrder.init(rawValue:)),
                  let cid = c["id"] as? Int, let colID = ColumnID(exactly: cid) else {
                throw Bad(description: "bad column in \(ks.name).\(name)")
            }
            columns.append(ColumnMetadata(name: n, type: try parseType(t, ks), kind: k, position: pos, clusteringOrder: co, id: colID))
        }
        var dropped: [DroppedColumn] = []
        for d in o["dropped"] as? [[String: Any]] ?? [] {
            guard let n = d["name"] as? String, let t = d["type"] as? String, let cid = d["id"] as? Int,
                  let colID = ColumnID(exactly: cid), let at = (d["dropped_at"] as? String).flatMap({ Int64($0) }) else {
                throw Bad(description: "bad dropped column in \(ks.name).\(name)")
            }
            dropped.append(DroppedColumn(name: n, type: try parseType(t, ks), id: colID, droppedAt: at))
        }
        var p = TableParams()
        if let q = o["params"] as? [String: Any] {
            if let v = q["additional_write_policy"] as? String { p.additionalWritePolicy = v }
            if let v = q["allow_auto_snapshot"] as? Bool { p.allowAutoSnapshot = v }
            if let v = q["bloom_filter_fp_chance"] as? Double { p.bloomFilterFpChance = v }
            if let v = q["caching"] as? [String: String] { p.caching = v }
            if let v = q["cdc"] as? Bool { p.cdc = v }
            if let v = q["comment"] as? String { p.comment = v }
            if let v = q["compaction"] as? [String: String] { p.compaction = v }
            if let v = q["compression"] as? [String: String] { p.compression = v }
            if let v = q["crc_check_chance"] as? Double { p.crcCheckChance = v }
            if let v = q["default_time_to_live"] as? Int { p.defaultTimeToLive = Int32(clamping: v) }
            if let v = q["extensions"] as? [String: String] { p.extensions = v.mapValues(hexBytes) }
            if let v = q["gc_grace_seconds"] as? Int { p.gcGraceSeconds = Int32(clamping: v) }
            if let v = q["incremental_backups"] as? Bool { p.incrementalBackups = v }
            if let v = q["max_index_interval"] as? Int { p.maxIndexInterval = Int32(clamping: v) }
            if let v = q["memtable"] as? String { p.memtable = v }
            if let v = q["memtable_flush_period_in_ms"] as? Int { p.memtableFlushPeriodInMs = Int32(clamping: v) }
            if let v = q["min_index_interval"] as? Int { p.minIndexInterval = Int32(clamping: v) }
            if let v = q["read_repair"] as? String { p.readRepair = v }
            if let v = q["speculative_retry"] as? String { p.speculativeRetry = v }
        }
        return TableMetadata(keyspace: ks.name, name: name, id: TableID(high: high, low: low), columns: columns,
                             params: p, droppedColumns: dropped)
    }

    static func hexBytes(_ s: String) -> [UInt8] {
        let u = Array(s.utf8)
        var out: [UInt8] = []
        var i = 0
        while i + 1 < u.count {
            if let v = UInt8(String(decoding: u[i...i + 1], as: UTF8.self), radix: 16) { out.append(v) }
            i += 2
        }
        return out
    }

    static func appendU32(_ out: inout [UInt8], _ v: UInt32) {
        out += [UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
    }

    static func readU32(_ d: [UInt8], _ at: Int) -> UInt32 {
        UInt32(d[at]) << 24 | UInt32(d[at + 1]) << 16 | UInt32(d[at + 2]) << 8 | UInt32(d[at + 3])
    }

    // MARK: file I/O

    static func write(_ keyspaces: [KeyspaceMetadata], directory: String, fileSystem fs: any FileSystem) throws {
        let bytes = try encode(keyspaces)
        let tmp = directory + "/" + SchemaFileFormat.tempFileName
        let f = try fs.createForWriting(tmp)
        do {
            try f.append(bytes)
            try f.sync()
            try f.close()
        } catch {
            try? f.close()
            throw error
        }
        try fs.rename(tmp, to: directory + "/" + SchemaFileFormat.fileName)
        try fs.syncDirectory(directory)
    }

    static func read(directory: String, fileSystem fs: any FileSystem) throws -> [KeyspaceMetadata]? {
        let path = directory + "/" + SchemaFileFormat.fileName
        guard fs.fileExists(path) else { return nil }
        let size = try fs.fileSize(path)
        let f = try fs.openForReading(path)
        defer { f.close() }
        let bytes = try f.read(at: 0, count: Int(size))
        return try decode(bytes, path: path)
    }
}
