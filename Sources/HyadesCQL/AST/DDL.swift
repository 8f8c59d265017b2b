/// `name = value` in `WITH ... AND ...` of keyspace/table DDL.
public struct Property: Hashable, Sendable {
    public var name: String
    public var value: PropertyValue
    public init(_ name: String, _ value: PropertyValue) { self.name = name; self.value = value }
}

public enum PropertyValue: Hashable, Sendable {
    case constant(Constant)
    /// An unquoted word (`durable_writes = true` is a constant; `x = KEYS` an identifier).
    case identifier(String)
    /// `{'class': 'SimpleStrategy', 'replication_factor': 1}`
    case map([PropertyMapEntry])

    /// A string view for options the analyzer reads as text.
    public var text: String? {
        switch self {
        case .constant(let c): return c.text
        case .identifier(let s): return s
        case .map: return nil
        }
    }
}

public struct PropertyMapEntry: Hashable, Sendable {
    public var key: Constant
    public var value: Constant
    public init(key: Constant, value: Constant) { self.key = key; self.value = value }
}

public struct CreateKeyspaceStatement: Hashable, Sendable {
    public var name: String
    public var ifNotExists = false
    public var properties: [Property] = []
    public init(name: String) { self.name = name }
}

public struct AlterKeyspaceStatement: Hashable, Sendable {
    public var name: String
    public var ifExists = false
    public var properties: [Property] = []
    public init(name: String) { self.name = name }
}

public struct ColumnDefinition: Hashable, Sendable {
    public var name: String
    public var type: TypeExpression
    public var isStatic = false
    public var range: SourceRange
    public init(name: String, type: TypeExpression, isStatic: Bool = false, range: SourceRange = .none) {
        self.name = name
        self.type = type
        self.isStatic = isStatic
        self.range = range
    }

    public static func == (a: Self, b: Self) -> Bool { a.name == b.name && a.type == b.type && a.isStatic == b.isStatic }
    public func hash(into h: inout Hasher) { h.combine(name); h.combine(type); h.combine(isStatic) }
}

/// `WITH CLUSTERING ORDER BY (...) AND name = value AND ...`
public struct TableProperties: Hashable, Sendable {
    public var clusteringOrder: [Ordering] = []
    public var properties: [Property] = []
    public init() {}
    public var isEmpty: Bool { clusteringOrder.isEmpty && properties.isEmpty }
}

public struct CreateTableStatement: Hashable, Sendable {
    public var name: QualifiedName
    public var ifNotExists = false
    public var columns: [ColumnDefinition] = []
    /// Empty when no PRIMARY KEY was declared (the analyzer reports it, as Cassandra does).
    public var partitionKey: [String] = []
    public var clusteringColumns: [String] = []
    public var options = TableProperties()
    public init(name: QualifiedName) { self.name = name }
}

public struct AlterTableStatement: Hashable, Sendable {
    public enum Action: Hashable, Sendable {
        case addColumns([ColumnDefinition], ifNotExists: Bool)
        case dropColumns([String], ifExists: Bool, timestamp: Term?)
        case renameColumns([ColumnRename], ifExists: Bool)
        /// `ALTER c TYPE t` (refused by Cassandra 4; parsed so the analyzer can say so).
        case alterColumnType(String, TypeExpression)
        case withOptions(TableProperties)
    }

    public var name: QualifiedName
    public var ifExists = false
    public var action: Action
    public init(name: QualifiedName, action: Action) { self.name = name; self.action = action }
}

public struct ColumnRename: Hashable, Sendable {
    public var from: String
    public var to: String
    public init(from: String, to: String) { self.from = from; self.to = to }
}

public struct CreateTypeStatement: Hashable, Sendable {
    public var name: QualifiedName
    public var ifNotExists = false
    public var fields: [ColumnDefinition] = []
    public init(name: QualifiedName) { self.name = name }
}

public struct CreateIndexStatement: Hashable, Sendable {
    public enum TargetKind: String, Hashable, Sendable {
        case simple = "", keys = "KEYS", values = "VALUES", entries = "ENTRIES", full = "FULL"
    }

    public var name: String?
    public var table: QualifiedName
    public var ifNotExists = false
    public var isCustom = false
    public var targets: [IndexTarget] = []
    public var usingClass: String?
    public var options: [Property] = []

    public init(table: QualifiedName) { self.table = table }
}

/// `col`, `KEYS(col)`, `VALUES(col)`, `ENTRIES(col)`, `FULL(col)`.
public struct IndexTarget: Hashable, Sendable {
    public var kind: CreateIndexStatement.TargetKind
    public var column: String
    public init(kind: CreateIndexStatement.TargetKind, column: String) { self.kind = kind; self.column = column }
}

/// `DROP KEYSPACE|TABLE|TYPE|INDEX [IF EXISTS] name`
public struct DropStatement: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable {
        case keyspace = "KEYSPACE", table = "TABLE", type = "TYPE", index = "INDEX"
    }

    public var kind: Kind
    public var name: QualifiedName
    public var ifExists = false
    public init(kind: Kind, name: QualifiedName, ifExists: Bool = false) {
        self.kind = kind
        self.name = name
        self.ifExists = ifExists
    }
}
