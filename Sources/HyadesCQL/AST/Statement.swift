/// `DESCRIBE ...` / `DESC ...` (cqlsh 6+ sends these to the server).
public struct DescribeStatement: Hashable, Sendable {
    public enum Target: Hashable, Sendable {
        case cluster
        case keyspaces
        /// nil name: the current keyspace. `only`: `DESCRIBE ONLY KEYSPACE`.
        case keyspace(String?, only: Bool)
        case tables
        case table(QualifiedName)
        case types
        case type(QualifiedName)
        case functions
        case function(QualifiedName)
        case aggregates
        case aggregate(QualifiedName)
        case index(QualifiedName)
        case materializedView(QualifiedName)
        /// `DESCRIBE [FULL] SCHEMA`
        case schema
        /// `DESCRIBE name`: a keyspace, or a table/type/... of the current keyspace.
        case element(QualifiedName)
    }

    public var target: Target
    /// `FULL` was given (include system keyspaces).
    public var full = false
    /// `WITH INTERNALS`
    public var withInternals = false
    public init(target: Target) { self.target = target }
}

/// Every kind of CQL statement the parser produces.
public indirect enum Statement: Hashable, Sendable {
    case select(SelectStatement)
    case insert(InsertStatement)
    case update(UpdateStatement)
    case delete(DeleteStatement)
    case batch(BatchStatement)
    case use(String)
    case createKeyspace(CreateKeyspaceStatement)
    case alterKeyspace(AlterKeyspaceStatement)
    case createTable(CreateTableStatement)
    case alterTable(AlterTableStatement)
    /// `TRUNCATE [TABLE] t`
    case truncate(QualifiedName)
    case createType(CreateTypeStatement)
    case createIndex(CreateIndexStatement)
    case drop(DropStatement)
    case describe(DescribeStatement)
    /// Recognised but not supported (roles, users, permissions, functions, views, ALTER
    /// TYPE, ...). `kind` names it for the error (`CREATE ROLE`), the tokens are skipped.
    case unsupported(kind: String)

    /// Whether this is a data-modification statement (allowed in a BATCH).
    public var isModification: Bool {
        switch self {
        case .insert, .update, .delete: return true
        default: return false
        }
    }
}

/// A parsed statement with what PREPARE and error reporting need.
public struct ParsedStatement: Hashable, Sendable {
    public var statement: Statement
    /// Every bind marker, in text order (`index` matches the position).
    public var bindMarkers: [BindMarker]
    /// From the first token to the last (excluding the `;`).
    public var range: SourceRange
    /// The statement's source text.
    public var text: String

    public init(statement: Statement, bindMarkers: [BindMarker], range: SourceRange, text: String) {
        self.statement = statement
        self.bindMarkers = bindMarkers
        self.range = range
        self.text = text
    }

    public var bindMarkerCount: Int { bindMarkers.count }
}
