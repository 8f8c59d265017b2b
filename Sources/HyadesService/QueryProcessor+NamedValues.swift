import HyadesCQL

/// QUERY / EXECUTE with flag 0x40 (names for values): each value comes with a name, and
/// Cassandra binds it to the marker of that name (`:name`, or the column name for `?`)
/// rather than by position. Names compare as Cassandra compares identifiers: unquoted
/// names are lower-case, so a value named "K" does not bind `:k`.
extension QueryProcessor {
    static func ordered(_ values: [CQLBoundValue], names: [String],
                        for variables: VariableSpecifications) throws(QueryError) -> [CQLBoundValue] {
        guard names.count == values.count else {
            throw QueryError.invalid("There were \(values.count) values but \(names.count) names")
        }
        var byName: [String: CQLBoundValue] = [:]
        for (n, v) in zip(names, values) {
            guard byName[n] == nil else { throw QueryError.invalid("The value name '\(n)' is given twice") }
            byName[n] = v
        }
        var out: [CQLBoundValue] = []
        out.reserveCapacity(variables.columns.count)
        var used = Set<String>()
        for spec in variables.columns {
            guard let v = byName[spec.name] else {
                throw QueryError.invalid("No value given for bind marker '\(spec.name)' (values are named: \(names.joined(separator: ", ")))")
            }
            out.append(v)
            used.insert(spec.name)
        }
        if let unknown = names.first(where: { !used.contains($0) }) {
            throw QueryError.invalid("No bind marker named '\(unknown)' in the statement")
        }
        return out
    }
}
