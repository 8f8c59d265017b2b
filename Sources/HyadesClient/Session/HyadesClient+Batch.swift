import HyadesCore
import HyadesProtocol
import NIOCore

/// One statement of a batch: a CQL string or a prepared statement, with its values.
public struct CQLBatchStatement: Sendable {
    public enum Target: Sendable {
        case query(String)
        case prepared(CQLPreparedStatement)
    }

    public var target: Target
    public var values: [CQLValue]

    public static func query(_ query: String, _ values: [CQLValue] = []) -> CQLBatchStatement {
        CQLBatchStatement(target: .query(query), values: values)
    }

    public static func prepared(_ statement: CQLPreparedStatement, _ values: [CQLValue] = []) -> CQLBatchStatement {
        CQLBatchStatement(target: .prepared(statement), values: values)
    }
}

extension HyadesClient {
    /// Runs a BATCH (logged by default). Routed to the owner of the first prepared
    /// statement's partition key when that is known (single-partition batches are the
    /// cheap kind); re-prepares every prepared statement once if the node answers UNPREPARED.
    public func batch(_ statements: [CQLBatchStatement], kind: CQLBatch.Kind = .logged,
                      options: CQLStatementOptions = .init()) async throws -> ResultSet {
        var token: Token?
        for s in statements {
            if case .prepared(let p) = s.target { token = p.token(s.values); break }
        }
        let connection = try self.connection(for: token)
        do {
            return try await sendBatch(statements, kind: kind, options: options, on: connection)
        } catch let e as CQLClientError where e.code == CQLClientError.unpreparedCode {
            var fresh: [CQLBatchStatement] = []
            for s in statements {
                if case .prepared(let p) = s.target {
                    fresh.append(.prepared(try await prepare(p.query, on: connection).get(), s.values))
                } else {
                    fresh.append(s)
                }
            }
            return try await sendBatch(fresh, kind: kind, options: options, on: connection)
        }
    }

    private func sendBatch(_ statements: [CQLBatchStatement], kind: CQLBatch.Kind, options: CQLStatementOptions,
                           on connection: CQLConnection) async throws -> ResultSet {
        let wire = statements.map { s -> CQLBatch.Statement in
            switch s.target {
            case .query(let q): return CQLBatch.Statement(.query(q), values: s.values)
            case .prepared(let p): return CQLBatch.Statement(.prepared(id: p.id), values: s.values)
            }
        }
        let batch = CQLBatch(kind: kind, statements: wire, consistency: options.consistency ?? configuration.consistency,
                             serialConsistency: options.serialConsistency ?? configuration.serialConsistency,
                             defaultTimestamp: options.timestamp)
        let envelope = try await connection.send(.batch(batch), timeout: options.timeout ?? configuration.requestTimeout).get()
        return try ResultSet.from(envelope, knownColumns: nil)
    }
}
