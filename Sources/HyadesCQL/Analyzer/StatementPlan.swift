import HyadesCore

/// What a statement does, resolved against the schema: the service executes it.
public enum StatementPlan: Hashable, Sendable {
    case use(keyspace: String)
    case schemaChange(SchemaChangePlan)
    /// DDL that has nothing to do (`IF NOT EXISTS` of something that exists, `IF EXISTS`
    /// of something that does not): answer Void.
    case noOp
    case select(SelectPlan)
    case modification(ModificationPlan)
    case batch(BatchPlan)
    /// `INSERT INTO t JSON ?`: becomes a modification once the document is bound.
    case insertJSON(JSONInsertPlan)
    case truncate(keyspace: String, table: String, id: TableID)
    /// Passed through for the service, which renders DESCRIBE output from its schema.
    case describe(DescribeStatement, currentKeyspace: String?)

    /// The bind variables (PREPARE's metadata).
    public var variables: VariableSpecifications {
        switch self {
        case .select(let p): return p.variables
        case .modification(let p): return p.variables
        case .batch(let p): return p.variables
        case .insertJSON(let p): return p.variables
        default: return VariableSpecifications()
        }
    }

    /// Result columns of a SELECT (empty for everything else).
    public var resultColumns: [ColumnSpecification] {
        if case .select(let p) = self { return p.resultColumns }
        return []
    }
}

/// A schema change: the complete new metadata (for creates and alters), to be applied
/// atomically by the service, which re-checks existence under its lock.
public enum SchemaChangePlan: Hashable, Sendable {
    case createKeyspace(KeyspaceMetadata, ifNotExists: Bool)
    case alterKeyspace(KeyspaceMetadata)
    case dropKeyspace(String, ifExists: Bool)
    case createTable(TableMetadata, ifNotExists: Bool)
    case alterTable(TableMetadata)
    case dropTable(keyspace: String, name: String, id: TableID, ifExists: Bool)
    case createType(UserTypeMetadata, ifNotExists: Bool)
    case dropType(keyspace: String, name: String, ifExists: Bool)

    /// The protocol's SCHEMA_CHANGE result / event: change type, target, keyspace, name.
    public var event: (change: String, target: String, keyspace: String, name: String?) {
        switch self {
        case .createKeyspace(let k, _): return ("CREATED", "KEYSPACE", k.name, nil)
        case .alterKeyspace(let k): return ("UPDATED", "KEYSPACE", k.name, nil)
        case .dropKeyspace(let k, _): return ("DROPPED", "KEYSPACE", k, nil)
        case .createTable(let t, _): return ("CREATED", "TABLE", t.keyspace, t.name)
        case .alterTable(let t): return ("UPDATED", "TABLE", t.keyspace, t.name)
        case .dropTable(let k, let n, _, _): return ("DROPPED", "TABLE", k, n)
        case .createType(let u, _): return ("CREATED", "TYPE", u.keyspace, u.name)
        case .dropType(let k, let n, _): return ("DROPPED", "TYPE", k, n)
        }
    }
}
