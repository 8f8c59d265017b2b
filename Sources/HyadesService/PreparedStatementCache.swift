import Foundation
import HyadesCore
import HyadesCQL
import Synchronization

/// The node's prepared statements (Cassandra's QueryProcessor.preparedStatements), with
/// Cassandra's eviction on schema changes.
///
/// Why evict: a client that prepared `SELECT * FROM t` keeps the result metadata PREPARE
/// returned and, with SKIP_METADATA (the Java driver on every execution, so the Spark
/// Cassandra Connector; the Python driver too), decodes every later page with it. If the
/// id stayed valid after `ALTER TABLE t ADD c`, the rows would carry one more column than
/// the client's metadata and every value after it would be decoded as the wrong column.
/// So, as Cassandra does (its MigrationSubscriber), a change that can alter a statement's
/// bound or result columns removes the statement: the next EXECUTE answers UNPREPARED and
/// the driver prepares again, getting the new metadata.
final class PreparedStatementCache: Sendable {
    /// A class so that an EXECUTE takes one reference out of the cache, not a copy of
    /// the plan; `streaming` is the SELECT fast path resolved once at PREPARE.
    final class Entry: Sendable {
        let statement: PreparedStatement
        let schemaVersion: UUID
        let streaming: StreamingSelect.Compiled?
        /// INSERT / UPDATE / DELETE of a user table: bound and applied without re-dispatch.
        let modification: ModificationPlan?
        /// The tables the statement reads or writes, as (keyspace, table).
        let tables: Set<TableName>
        /// Bit `level.rawValue` set for each consistency level the statement may run at
        /// without a check (enough replicas alive, a level its kind accepts), as of
        /// `schemaVersion`.
        let passingLevels: UInt16

        init(statement: PreparedStatement, schemaVersion: UUID, streaming: StreamingSelect.Compiled?,
             modification: ModificationPlan?, passingLevels: UInt16) {
            self.statement = statement
            self.passingLevels = passingLevels
            self.schemaVersion = schemaVersion
            self.streaming = streaming
            self.modification = modification
            self.tables = Self.tables(of: statement.plan)
        }

        static func tables(of plan: StatementPlan) -> Set<TableName> {
            switch plan {
            case .select(let s): return [TableName(s.table)]
            case .modification(let m): return [TableName(m.table)]
            case .batch(let b): return Set(b.statements.map { TableName($0.table) })
            case .insertJSON(let j): return [TableName(j.table)]
            case .truncate(let ks, let t, _): return [TableName(keyspace: ks, table: t)]
            default: return []
            }
        }
    }

    struct TableName: Hashable, Sendable {
        var keyspace: String
        var table: String
        init(keyspace: String, table: String) {
            self.keyspace = keyspace
            self.table = table
        }
        init(_ t: TableMetadata) { self.init(keyspace: t.keyspace, table: t.name) }
    }

    private struct State {
        var entries: [[UInt8]: Entry] = [:]
        /// Insertion order, for eviction when full (oldest first).
        var order: [[UInt8]] = []
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) { self.capacity = max(1, capacity) }

    subscript(id: [UInt8]) -> Entry? { state.withLock { $0.entries[id] } }

    func insert(_ entry: Entry) {
        let id = entry.statement.id
        state.withLock { s in
            if s.entries[id] == nil {
                s.order.append(id)
                if s.order.count > capacity {
                    let evicted = s.order.removeFirst()
                    s.entries[evicted] = nil
                }
            }
            s.entries[id] = entry
        }
    }

    func remove(_ id: [UInt8]) {
        state.withLock { s in
            guard s.entries.removeValue(forKey: id) != nil else { return }
            s.order.removeAll { $0 == id }
        }
    }

    var count: Int { state.withLock { $0.entries.count } }

    static func changeAffectsPreparedStatements(_ before: TableMetadata, _ after: TableMetadata) -> Bool {
        before.columns != after.columns || before.params.defaultTimeToLive != after.params.defaultTimeToLive
            || before.params.gcGraceSeconds != after.params.gcGraceSeconds
    }

    /// Removes every statement a schema change may have invalidated (Cassandra's
    /// onAlterTable / onDropTable / onDropKeyspace / onAlterType / onDropType): a table
    /// dropped, or altered in a way that can change a statement (Cassandra's
    /// TableMetadata.changeAffectsPreparedStatements: its columns, default TTL or
    /// gc_grace_seconds), takes its statements; a keyspace dropped, or a type of it changed
    /// or dropped, takes every statement on a table of that keyspace (a type can be nested
    /// in any column of the keyspace; evicting too much only costs a re-prepare).
    /// Creations and keyspace option changes leave the cache alone.
    func evict(after change: SchemaChangePlan, before: InMemorySchema) {
        let event = change.event
        let matches: (Entry) -> Bool
        switch change {
        case .alterTable(let after):
            if let old = before.keyspaces[after.keyspace]?.tables[after.name],
               !Self.changeAffectsPreparedStatements(old, after) { return }
            fallthrough
        case .dropTable:
            guard let name = event.name else { return }
            let table = TableName(keyspace: event.keyspace, table: name)
            matches = { $0.tables.contains(table) }
        case .dropKeyspace, .dropType:
            matches = { $0.tables.contains { $0.keyspace == event.keyspace } }
        default:
            return
        }
        state.withLock { s in
            let gone = s.entries.filter { matches($0.value) }.map(\.key)
            guard !gone.isEmpty else { return }
            for id in gone { s.entries[id] = nil }
            let removed = Set(gone)
            s.order.removeAll { removed.contains($0) }
        }
    }
}
