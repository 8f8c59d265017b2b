import HyadesCore

/// `hyades sstable dump`: the SSTable as JSON in the shape of Cassandra's sstabledump (an
/// array of partitions with key, position, deletion info, then rows with type,
/// clustering, liveness_info, deletion_info and cells). Values print through the schema
/// header (`CQLValueFormat.json`) when the SSTable has one, as hex otherwise; timestamps
/// print as microseconds and local deletion times as seconds since the epoch.
public enum SSTableDump {
    public static func json(_ reader: SSTableReader, keys: [DecoratedKey]? = nil) throws -> String {
        let printer = ValuePrinter(schema: reader.statistics.schema)
        var out = "["
        var first = true
        func emit(_ scanner: SSTableScanner) throws {
            while let h = try scanner.nextPartition() {
                out += first ? "\n" : ",\n"
                first = false
                out += "  {\n    \"partition\" : {\n      \"key\" : \(printer.partitionKey(h.key.key)),\n"
                out += "      \"position\" : \(scanner.partitionPosition.blockOffset),\n"
                out += "      \"entry\" : \(scanner.partitionPosition.entryIndex)"
                if !h.deletion.isLive { out += ",\n      \"deletion_info\" : \(deletion(h.deletion))" }
                out += "\n    },\n    \"rows\" : ["
                var items: [String] = []
                for rt in h.rangeTombstones {
                    items.append("      {\n        \"type\" : \"range_tombstone\",\n        \"start\" : \(printer.clustering(rt.start)),\n        \"end\" : \(printer.clustering(rt.end)),\n        \"deletion_info\" : \(deletion(rt.deletion))\n      }")
                }
                if let s = h.staticRow { items.append(row(s, isStatic: true, printer)) }
                while let r = try scanner.nextRow() { items.append(row(r, isStatic: false, printer)) }
                out += items.isEmpty ? "]\n  }" : "\n" + items.joined(separator: ",\n") + "\n    ]\n  }"
            }
        }
        if let keys {
            for k in keys {
                guard reader.mayContain(k), let e = try reader.index.find(k.byteComparable) else { continue }
                try emit(SSTableScanner(reader: reader, start: .entry(e), upper: nil, slices: .all, columns: .all))
            }
        } else {
            try emit(SSTableScanner(reader: reader, start: .lowerBound([]), upper: nil, slices: .all, columns: .all))
        }
        out += first ? "]\n" : "\n]\n"
        return out
    }

    static func deletion(_ d: DeletionTime) -> String {
        "{ \"marked_deleted\" : \(d.markedForDeleteAt), \"local_delete_time\" : \(d.localDeletionTime) }"
    }

    static func row(_ r: Row, isStatic: Bool, _ p: ValuePrinter) -> String {
        var s = "      {\n        \"type\" : \"\(isStatic ? "static_block" : "row")\""
        if !isStatic { s += ",\n        \"clustering\" : \(p.clustering(r.clustering))" }
        if !r.liveness.isEmpty {
            s += ",\n        \"liveness_info\" : { \"tstamp\" : \(r.liveness.timestamp)"
            if r.liveness.isExpiring { s += ", \"ttl\" : \(r.liveness.ttl), \"expires_at\" : \(r.liveness.localExpirationTime)" }
            s += " }"
        }
        if !r.deletion.isLive { s += ",\n        \"deletion_info\" : \(deletion(r.deletion))" }
        var cells: [String] = []
        for data in r.columns {
            switch data {
            case .simple(let id, let c):
                cells.append(cell(p.columnName(id), path: nil, c, valueType: p.type(id)))
            case .complex(let id, let cd):
                if !cd.deletion.isLive {
                    cells.append("          { \"name\" : \(jsonString(p.columnName(id))), \"deletion_info\" : \(deletion(cd.deletion)) }")
                }
                let (pathType, valueType) = p.elementTypes(id)
                for c in cd.cells {
                    cells.append(cell(p.columnName(id), path: p.path(c.path, pathType), c, valueType: valueType))
                }
            }
        }
        s += ",\n        \"cells\" : [" + (cells.isEmpty ? "]" : "\n" + cells.joined(separator: ",\n") + "\n        ]")
        return s + "\n      }"
    }

    static func cell(_ name: String, path: String?, _ c: Cell, valueType: CQLType?) -> String {
        var s = "          { \"name\" : \(jsonString(name))"
        if let path { s += ", \"path\" : [ \(path) ]" }
        if c.isTombstone {
            s += ", \"deletion_info\" : { \"local_delete_time\" : \(c.localDeletionTime) }"
        } else {
            // Set elements live in the path; their value is empty (Cassandra prints "").
            let value = valueType.map { CQLValueFormat.json(c.value, type: $0) } ?? (c.value.isEmpty ? "\"\"" : jsonString(hex(c.value)))
            s += ", \"value\" : \(value)"
        }
        s += ", \"tstamp\" : \(c.timestamp)"
        if c.isExpiring { s += ", \"ttl\" : \(c.ttl), \"expires_at\" : \(c.localDeletionTime)" }
        return s + " }"
    }

    static func hex(_ b: [UInt8]) -> String { b.withUnsafeBytes { CQLValueFormat.hex($0) } }

    static func jsonString(_ s: String) -> String { CQLValueFormat.jsonString(s) }

    /// Prints keys, clusterings and values through the schema header, falling back to hex
    /// wherever the schema is absent or a value does not decode.
    struct ValuePrinter {
        let schema: SSTableSchemaHeader?
        let pkTypes: [CQLType]?
        let ckTypes: [CQLType]?
        let ckDescending: [Bool]
        let columnTypes: [UInt16: CQLType]

        init(schema: SSTableSchemaHeader?) {
            self.schema = schema
            if let schema {
                let pk = schema.partitionKeyColumns.map { try? CQLType.parse($0.type) }
                pkTypes = pk.contains { $0 == nil } ? nil : pk.map { $0! }
                let ck = schema.clusteringColumns.map { try? CQLType.parse($0.type) }
                ckTypes = ck.contains { $0 == nil } ? nil : ck.map { $0! }
                ckDescending = schema.clusteringColumns.map { $0.order == .descending }
                var types: [UInt16: CQLType] = [:]
                for c in schema.columns { types[c.id] = try? CQLType.parse(c.type) }
                columnTypes = types
            } else {
                pkTypes = nil
                ckTypes = nil
                ckDescending = []
                columnTypes = [:]
            }
        }

        func partitionKey(_ key: [UInt8]) -> String {
            guard let pkTypes, !pkTypes.isEmpty else { return "[ \(jsonString(hex(key))) ]" }
            if pkTypes.count == 1 { return "[ \(CQLValueFormat.json(key, type: pkTypes[0])) ]" }
            // Composite: per component u16 big-endian length, bytes, end-of-component 0.
            var parts: [String] = []
            var i = 0
            for t in pkTypes {
                guard i + 2 <= key.count else { return "[ \(jsonString(hex(key))) ]" }
                let n = Int(key[i]) << 8 | Int(key[i + 1])
                guard i + 2 + n + 1 <= key.count else { return "[ \(jsonString(hex(key))) ]" }
                parts.append(CQLValueFormat.json(Array(key[(i + 2)..<(i + 2 + n)]), type: t))
                i += 3 + n
            }
            return "[ " + parts.joined(separator: ", ") + " ]"
        }

        func clustering(_ c: [UInt8]) -> String {
            if let ckTypes, let values = decodeClustering(c, ckTypes) {
                return "[ " + zip(values, ckTypes).map { CQLValueFormat.json($0.0, type: $0.1) }.joined(separator: ", ") + " ]"
            }
            return "[ \(jsonString(hex(c))) ]"
        }

        /// Full clusterings and prefixes (range tombstone bounds) decode; anything else is nil.
        func decodeClustering(_ c: [UInt8], _ types: [CQLType]) -> [[UInt8]]? {
            if c.isEmpty { return [] }
            for n in stride(from: types.count, through: 1, by: -1) {
                if let v = try? ClusteringEncoding.decode(c, types: Array(types[0..<n]), descending: Array(ckDescending[0..<n])) {
                    return v
                }
            }
            return nil
        }

        func columnName(_ id: UInt16) -> String { schema?.column(id)?.name ?? "\(id)" }
        func type(_ id: UInt16) -> CQLType? { columnTypes[id] }

        /// For a non-frozen collection column: how to print cell paths and cell values.
        func elementTypes(_ id: UInt16) -> (path: CQLType?, value: CQLType?) {
            switch columnTypes[id] {
            case .list(let e): return (.timeuuid, e)
            case .set(let e): return (e, nil)
            case .map(let k, let v): return (k, v)
            default: return (nil, nil)
            }
        }

        func path(_ path: [UInt8], _ type: CQLType?) -> String {
            guard let type else { return jsonString(hex(path)) }
            if case .timeuuid = type { return CQLValueFormat.json(path, type: .timeuuid) }
            if let raw = try? ByteComparable.decode(path, type: type) { return CQLValueFormat.json(raw, type: type) }
            return jsonString(hex(path))
        }
    }
}
