/// One column of a result, or one bind marker of a prepared statement: the column spec
/// of the native protocol's result metadata (spec 4.2.5.2), shared by the analyzer that
/// makes it and the codec that writes it.
public struct ColumnSpecification: Hashable, Sendable {
    public var keyspace: String
    public var table: String
    public var name: String
    public var type: CQLType

    public init(keyspace: String, table: String, name: String, type: CQLType) {
        self.keyspace = keyspace
        self.table = table
        self.name = name
        self.type = type
    }
}
