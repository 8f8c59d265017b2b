import HyadesCore
import HyadesProtocol

/// A statement prepared on the cluster: its id, the bind markers (types for encoding,
/// `partitionKeyIndexes` for token-aware routing) and the columns it returns.
public struct CQLPreparedStatement: Sendable, Hashable {
    public let query: String
    public let id: [UInt8]
    public let bindColumns: [ColumnSpecification]
    /// Bind-marker index of each partition key component, in key order (empty: not routable).
    public let partitionKeyIndexes: [Int]
    /// Columns an execution returns; empty for statements without rows.
    public let resultColumns: [ColumnSpecification]

    init(query: String, prepared: CQLPrepared) {
        self.query = query
        self.id = prepared.id
        self.bindColumns = prepared.metadata.columns
        self.partitionKeyIndexes = prepared.metadata.partitionKeyIndexes.map(Int.init)
        self.resultColumns = prepared.resultMetadata.columns ?? []
    }

    /// The serialized partition key for these bound values (Cassandra's composite form for
    /// multi-column keys), or nil when the key is not fully bound.
    public func routingKey(_ values: [CQLValue]) -> [UInt8]? {
        guard !partitionKeyIndexes.isEmpty else { return nil }
        if partitionKeyIndexes.count == 1 {
            let i = partitionKeyIndexes[0]
            guard i < values.count, let b = values[i].buffer else { return nil }
            return Array(b.readableBytesView)
        }
        var parts: [[UInt8]] = []
        for i in partitionKeyIndexes {
            guard i < values.count, let b = values[i].buffer, b.readableBytes <= 0xFFFF else { return nil }
            parts.append(Array(b.readableBytesView))
        }
        return Murmur3Partitioner.compositeKey(parts)
    }

    /// The Murmur3 token of the bound partition key, as the node computes it.
    public func token(_ values: [CQLValue]) -> Token? {
        guard !partitionKeyIndexes.isEmpty else { return nil }
        if partitionKeyIndexes.count == 1 {
            let i = partitionKeyIndexes[0]
            guard i < values.count, let b = values[i].buffer else { return nil }
            return b.withUnsafeReadableBytes { Murmur3Partitioner.token($0) }
        }
        return routingKey(values).map { Murmur3Partitioner.token($0) }
    }
}
