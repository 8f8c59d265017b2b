import HyadesCQL
import HyadesCore
import HyadesProtocol
import HyadesService
import NIOCore

/// Translation between the service's results/errors and the protocol's messages.
enum ResultMapping {
    static func boundValues(_ values: [CQLValue]) -> [CQLBoundValue] {
        values.map { v in
            switch v {
            case .null: return .null
            case .notSet: return .unset
            case .bytes(let b): return .value(Array(b.readableBytesView))
            }
        }
    }

    static func options(_ p: CQLQueryParameters) -> QueryOptions {
        var o = QueryOptions(consistency: p.consistency,
                             pageSize: p.pageSize.map(Int.init),
                             pagingState: p.pagingState.map { Array($0.readableBytesView) },
                             timestamp: p.defaultTimestamp, skipMetadata: p.skipMetadata)
        o.valueNames = p.valueNames
        o.serialConsistency = p.serialConsistency
        return o
    }

    static func schemaChange(change: String, target: String, keyspace: String, name: String?) -> CQLSchemaChange? {
        guard let c = CQLSchemaChange.Change(rawValue: change) else { return nil }
        switch target {
        case "KEYSPACE": return CQLSchemaChange(c, .keyspace(keyspace))
        case "TABLE": return CQLSchemaChange(c, .table(keyspace: keyspace, name: name ?? ""))
        case "TYPE": return CQLSchemaChange(c, .type(keyspace: keyspace, name: name ?? ""))
        default: return nil
        }
    }

    static func result(_ r: QueryResult, skipMetadata: Bool, allocator: ByteBufferAllocator) -> CQLResult {
        switch r {
        case .void: return .void
        case .setKeyspace(let ks): return .setKeyspace(ks)
        case .schemaChange(let change, let target, let ks, let name):
            guard let sc = schemaChange(change: change, target: target, keyspace: ks, name: name) else { return .void }
            return .schemaChange(sc)
        case .rows(let page):
            // The service wrote the rows in wire form already: one copy into the frame's buffer.
            let content = allocator.buffer(bytes: page.content)
            var paging: ByteBuffer?
            if let s = page.pagingState { paging = allocator.buffer(bytes: s) }
            let metadata = skipMetadata
                ? CQLResultMetadata(noMetadataColumnCount: page.columns.count, pagingState: paging)
                : CQLResultMetadata(columns: page.columns, pagingState: paging)
            return .rows(CQLRows(metadata: metadata, rowCount: page.rowCount, content: content))
        }
    }

    static func prepared(_ p: PreparedStatement) -> CQLResult {
        let result = p.resultColumns.isEmpty ? CQLResultMetadata.empty : CQLResultMetadata(columns: p.resultColumns)
        return .prepared(CQLPrepared(id: p.id,
                                     metadata: CQLPreparedMetadata(columns: p.variables,
                                                                   partitionKeyIndexes: p.partitionKeyIndexes.map { UInt16($0) }),
                                     resultMetadata: result))
    }

    static func error(_ e: QueryError) -> CQLErrorMessage {
        switch e.code {
        case .serverError: return CQLErrorMessage(.serverError, e.message)
        case .deferred: return CQLErrorMessage(.serverError, "internal error: a deferred read was not run again")
        case .protocolError: return CQLErrorMessage(.protocolError, e.message)
        case .overloaded: return CQLErrorMessage(.overloaded, e.message)
        case .unavailable:
            return CQLErrorMessage(.unavailable(consistency: e.consistency ?? .one, required: e.required, alive: e.alive), e.message)
        case .readFailure:
            return CQLErrorMessage(.readFailure(consistency: e.consistency ?? .one, received: e.alive, blockFor: e.required,
                                                numFailures: e.failures, dataPresent: e.dataPresent), e.message)
        case .writeTimeout:
            return CQLErrorMessage(.writeTimeout(consistency: e.consistency ?? .one, received: e.alive, blockFor: e.required,
                                                 writeType: e.writeType ?? "SIMPLE"), e.message)
        case .readTimeout:
            return CQLErrorMessage(.readTimeout(consistency: e.consistency ?? .one, received: e.alive, blockFor: e.required,
                                                dataPresent: e.dataPresent), e.message)
        case .writeFailure:
            return CQLErrorMessage(.writeFailure(consistency: e.consistency ?? .one, received: e.alive, blockFor: e.required,
                                                 numFailures: e.failures, writeType: e.writeType ?? "SIMPLE"), e.message)
        case .syntaxError: return CQLErrorMessage(.syntaxError, e.message)
        case .unauthorized: return CQLErrorMessage(.unauthorized, e.message)
        case .invalid: return CQLErrorMessage(.invalid, e.message)
        case .configError: return CQLErrorMessage(.configError, e.message)
        case .alreadyExists:
            return CQLErrorMessage(.alreadyExists(keyspace: e.keyspace ?? "", table: e.table ?? ""), e.message)
        case .unprepared:
            return CQLErrorMessage(.unprepared(id: e.unpreparedID ?? []), e.message)
        }
    }
}
