import HyadesCore

/// `INSERT INTO t JSON ?`: the document arrives with the values, so the columns it sets
/// are known only at execution. PREPARE reports one `[json]` text variable (plus any
/// USING markers); each execution analyzes the statement with the bound document in place
/// of the marker (other markers keep their indexes) and runs the resulting plan.
public struct JSONInsertPlan: Hashable, Sendable {
    /// The statement as written, table name qualified.
    public let statement: InsertStatement
    public let table: TableMetadata
    /// The document's marker.
    public let documentIndex: Int
    public let variables: VariableSpecifications
    let conditionalUpdates: Bool

    /// The INSERT the bound document stands for, against `schema` (the current one).
    public func modification(values: [CQLBoundValue], schema: any SchemaView) throws(CQLAnalysisError) -> ModificationPlan {
        guard documentIndex < values.count else {
            throw .invalid("There were \(variables.columns.count) markers(?) in CQL but \(values.count) bound variables")
        }
        guard case .value(let bytes) = values[documentIndex] else { throw .invalid("Got null for INSERT JSON values") }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .invalid("Invalid UTF-8 in the INSERT JSON document")
        }
        guard case .json(_, let defaultUnset) = statement.values else { throw .invalid("INSERT JSON without a document") }
        var s = statement
        s.values = .json(Term(.constant(Constant(.string, text))), defaultUnset: defaultUnset)
        var analyzer = Analyzer(schema: schema, keyspace: table.keyspace)
        analyzer.conditionalUpdates = conditionalUpdates
        var context = AnalysisContext(analyzer: analyzer, markerCount: variables.columns.count)
        context.variables[documentIndex] = variables.columns[documentIndex]
        var plan = try context.insert(s)
        plan.variables = variables
        return plan
    }
}

extension AnalysisContext {
    /// PREPARE of `INSERT INTO t JSON ?`: checks what can be checked without the document.
    mutating func jsonInsert(_ s: InsertStatement, marker: BindMarker) throws(CQLAnalysisError) -> JSONInsertPlan {
        let t = try table(s.table)
        if t.isCounter { throw .invalid("INSERT statements are not allowed on counter tables, use UPDATE instead") }
        var json = spec(t, "[json]", .text)
        if let n = marker.name { json.name = n }
        if marker.index < variables.count { variables[marker.index] = json }
        _ = try optionalValue(s.using.ttl, name: "[ttl]", type: .int, table: t)
        _ = try optionalValue(s.using.timestamp, name: "[timestamp]", type: .bigint, table: t)
        if s.ifNotExists && !analyzer.conditionalUpdates { throw .invalid(Self.conditionalNotSupported) }
        var statement = s
        statement.table.keyspace = t.keyspace
        return JSONInsertPlan(statement: statement, table: t, documentIndex: marker.index,
                              variables: try variableSpecifications(), conditionalUpdates: analyzer.conditionalUpdates)
    }
}
