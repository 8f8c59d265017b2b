/// Turning stored keys and cells back into CQL values (what a SELECT returns).
extension TableMetadata {
    /// The serialized values of the partition key columns (key order) of a stored key:
    /// the key itself for a single-column key, else the components of the composite form.
    public func partitionKeyComponents(_ key: [UInt8]) throws(CQLLiteralError) -> [[UInt8]] {
        let count = partitionKeyColumns.count
        if count == 1 { return [key] }
        var out: [[UInt8]] = []
        var i = 0
        while i < key.count {
            guard key.count - i >= 2 else { throw CQLLiteralError("composite partition key: truncated length at offset \(i)") }
            let len = Int(key[i]) << 8 | Int(key[i + 1])
            i += 2
            guard key.count - i >= len + 1 else {
                throw CQLLiteralError("composite partition key: component of \(len) bytes at offset \(i - 2) overruns \(key.count) bytes")
            }
            out.append(Array(key[i..<(i + len)]))
            i += len + 1  // end-of-component byte
        }
        guard out.count == count else {
            throw CQLLiteralError("composite partition key: \(out.count) components for \(count) key columns")
        }
        return out
    }

    /// The serialized values of the clustering columns of a stored clustering.
    public func clusteringValues(_ clustering: [UInt8]) throws(CQLLiteralError) -> [[UInt8]] {
        do { return try ClusteringEncoding.decode(clustering, types: clusteringTypes, descending: clusteringDescending) } catch {
            throw CQLLiteralError("clustering: \(error)")
        }
    }
}

/// The value of a non-frozen collection or UDT column from its cells.
public enum ComplexValue {
    /// The protocol-v4 serialized value of `type` (list, set, map or UDT) from the live
    /// cells of `data` at `nowInSeconds`; nil when nothing is live (CQL null).
    public static func serialize(_ data: ComplexColumnData, type: CQLType, nowInSeconds: Int32) throws(CQLLiteralError) -> [UInt8]? {
        var live: [Cell] = []
        for c in data.cells where c.isLive(nowInSeconds: nowInSeconds) && !data.deletion.deletes(timestamp: c.timestamp) {
            live.append(c)
        }
        if live.isEmpty { return nil }
        do {
            switch type {
            case .list:
                return CQLLiteral.collection(live.map(\.value))
            case .set(let e):
                var elements: [[UInt8]] = []
                for c in live { elements.append(try CellPath.decodeSetElement(c.path, elementType: e)) }
                return CQLLiteral.collection(elements)
            case .map(let k, _):
                var entries: [([UInt8], [UInt8])] = []
                for c in live { entries.append((try CellPath.decodeMapKey(c.path, keyType: k), c.value)) }
                return CQLLiteral.map(entries)
            case .udt(_, _, let fields):
                var values = [[UInt8]?](repeating: nil, count: fields.count)
                for c in live {
                    guard c.path.count == 2 else { throw CQLLiteralError("UDT cell path of \(c.path.count) bytes") }
                    let i = Int(c.path[0]) << 8 | Int(c.path[1])
                    guard i < fields.count else { throw CQLLiteralError("UDT cell for field \(i) of \(fields.count)") }
                    values[i] = c.value
                }
                while let last = values.last, last == nil { values.removeLast() }
                return CQLLiteral.tuple(values)
            default:
                throw CQLLiteralError("\(type.cqlName) is not a multi-cell type")
            }
        } catch let e as CQLLiteralError {
            throw e
        } catch {
            throw CQLLiteralError("\(error)")
        }
    }
}
