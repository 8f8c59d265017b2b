#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HyadesCore

/// Resolves a parsed statement against the schema into a `StatementPlan`: names, types,
/// literal values, restrictions, bind-variable metadata. Pure: no I/O, no storage types.
public struct Analyzer: Sendable {
    public let schema: any SchemaView
    /// The session's keyspace (`USE`), for unqualified names.
    public let keyspace: String?
    /// New table ids (random version-4 UUIDs by default; injectable for tests).
    public var tableIDGenerator: @Sendable () -> TableID
    /// Wall clock in microseconds (ALTER TABLE DROP records when a column was dropped).
    public var clock: @Sendable () -> Int64
    /// Produce plans for conditional writes (IF ...): only once the service evaluates
    /// `ModificationPlan.condition`; until then they are refused.
    public var conditionalUpdates = false

    public init(schema: any SchemaView, keyspace: String?,
                tableIDGenerator: @escaping @Sendable () -> TableID = Analyzer.randomTableID,
                clock: @escaping @Sendable () -> Int64 = Analyzer.microsecondsNow) {
        self.schema = schema
        self.keyspace = keyspace
        self.tableIDGenerator = tableIDGenerator
        self.clock = clock
    }

    public func analyze(_ parsed: ParsedStatement) throws(CQLAnalysisError) -> StatementPlan {
        var context = AnalysisContext(analyzer: self, markerCount: parsed.bindMarkerCount)
        return try context.analyze(parsed.statement)
    }

    @Sendable public static func randomTableID() -> TableID {
        var g = SystemRandomNumberGenerator()
        let high = g.next() & ~0xF000 | 0x4000
        let low = g.next() & ~(UInt64(0xC) << 60) | (UInt64(0x8) << 60)
        return TableID(high: high, low: low)
    }

    @Sendable public static func microsecondsNow() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }
}

/// State of one analysis: the bind variables found so far.
struct AnalysisContext {
    let analyzer: Analyzer
    var variables: [ColumnSpecification?]
    /// Inside a BATCH the variables are collected for the whole batch at its end.
    var inBatch = false

    init(analyzer: Analyzer, markerCount: Int) {
        self.analyzer = analyzer
        self.variables = Array(repeating: nil, count: markerCount)
    }

    var schema: any SchemaView { analyzer.schema }

    mutating func analyze(_ statement: Statement) throws(CQLAnalysisError) -> StatementPlan {
        switch statement {
        case .use(let ks):
            guard schema.keyspace(named: ks) != nil else { throw .invalid("Keyspace '\(ks)' does not exist") }
            return .use(keyspace: ks)
        case .describe(let d):
            return .describe(d, currentKeyspace: analyzer.keyspace)
        case .createKeyspace(let s): return try createKeyspace(s)
        case .alterKeyspace(let s): return try alterKeyspace(s)
        case .createTable(let s): return try createTable(s)
        case .alterTable(let s): return try alterTable(s)
        case .createType(let s): return try createType(s)
        case .drop(let s): return try drop(s)
        case .truncate(let name):
            let t = try table(name)
            return .truncate(keyspace: t.keyspace, table: t.name, id: t.id)
        case .createIndex:
            throw .invalid("Secondary indexes are not supported")
        case .select(let s): return .select(try select(s))
        case .insert(let s):
            if case .json(let doc, _) = s.values, let marker = doc.bindMarker {
                return .insertJSON(try jsonInsert(s, marker: marker))
            }
            return .modification(try insert(s))
        case .update(let s): return .modification(try update(s))
        case .delete(let s): return .modification(try delete(s))
        case .batch(let s): return .batch(try batch(s))
        case .unsupported(let kind):
            throw .invalid("\(kind) statements are not supported")
        }
    }

    // MARK: Names

    func keyspaceName(_ explicit: String?) throws(CQLAnalysisError) -> String {
        if let explicit { return explicit }
        if let ks = analyzer.keyspace { return ks }
        throw .invalid("No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename")
    }

    func table(_ name: QualifiedName) throws(CQLAnalysisError) -> TableMetadata {
        let ks = try keyspaceName(name.keyspace)
        guard schema.keyspace(named: ks) != nil else { throw .invalid("Keyspace '\(ks)' does not exist") }
        guard let t = schema.table(keyspace: ks, name: name.name) else {
            throw .invalid("unconfigured table \(name.name)")
        }
        return t
    }

    func column(_ name: String, in table: TableMetadata) throws(CQLAnalysisError) -> ColumnMetadata {
        guard let c = table.column(named: name) else {
            throw .invalid("Undefined column name \(name) in table \(table.keyspace).\(table.name)")
        }
        return c
    }

    func resolveType(_ t: TypeExpression, keyspace: String) throws(CQLAnalysisError) -> CQLType {
        do {
            return try t.resolve(keyspace: keyspace) { ks, name in
                guard ks == keyspace else { return nil }  // Cassandra: UDTs are keyspace-local
                return schema.userType(keyspace: ks, name: name)?.type
            }
        } catch let e as CQLTypeError {
            throw .invalid(e.message)
        } catch {
            throw .invalid("\(error)")
        }
    }

    func spec(_ table: TableMetadata, _ name: String, _ type: CQLType) -> ColumnSpecification {
        ColumnSpecification(keyspace: table.keyspace, table: table.name, name: name, type: type)
    }

    func spec(_ table: TableMetadata, _ column: ColumnMetadata) -> ColumnSpecification {
        spec(table, column.name, column.type)
    }

    /// The collected variable metadata; every marker must have been given a receiver.
    func variableSpecifications(partitionKeyIndexes: [Int] = []) throws(CQLAnalysisError) -> VariableSpecifications {
        if inBatch { return VariableSpecifications() }
        var out: [ColumnSpecification] = []
        for (i, v) in variables.enumerated() {
            guard let v else { throw .invalid("Cannot infer the type of bind marker \(i)") }
            out.append(v)
        }
        return VariableSpecifications(columns: out, partitionKeyIndexes: partitionKeyIndexes)
    }

    // MARK: Terms

    /// Analyzes `term` as a value for `receiver` (a column, or a derived receiver such as
    /// `value(m)` for an element), recording marker metadata.
    mutating func value(_ term: Term, for receiver: ColumnSpecification) throws(CQLAnalysisError) -> ValueTerm {
        let type = receiver.type.unfrozen
        switch term.kind {
        case .null:
            return .null
        case .bindMarker(let m):
            var r = receiver
            if let n = m.name { r.name = n }
            if m.index < variables.count { variables[m.index] = r }
            return .marker(m.index, receiver.type)
        case .constant(let c):
            let kind: CQLLiteral.Kind
            switch c.kind {
            case .string: kind = .string
            case .integer: kind = .integer
            case .float: kind = .float
            case .boolean: kind = .boolean
            case .uuid: kind = .uuid
            case .hexBlob: kind = .hex
            case .duration: kind = .duration
            }
            do {
                return .constant(try CQLLiteral.serialize(c.text, kind: kind, type: receiver.type, receiver: receiver.name))
            } catch {
                throw .invalid(error.message)
            }
        case .list(let elements):
            guard case .list(let e) = type else { throw invalidLiteral(term, receiver, "list") }
            let r = derived(receiver, "value(\(receiver.name))", e)
            var out: [ValueTerm] = []
            for x in elements { out.append(try value(x, for: r)) }
            return .list(out)
        case .set(let elements):
            if elements.isEmpty, case .map(let k, _) = type { return .map([], [], keyType: k) }
            guard case .set(let e) = type else { throw invalidLiteral(term, receiver, "set") }
            let r = derived(receiver, "value(\(receiver.name))", e)
            var out: [ValueTerm] = []
            for x in elements { out.append(try value(x, for: r)) }
            return .set(out, elementType: e)
        case .map(let entries):
            guard case .map(let k, let v) = type else { throw invalidLiteral(term, receiver, "map") }
            let kr = derived(receiver, "key(\(receiver.name))", k), vr = derived(receiver, "value(\(receiver.name))", v)
            var keys: [ValueTerm] = [], vals: [ValueTerm] = []
            for e in entries {
                keys.append(try value(e.key, for: kr))
                vals.append(try value(e.value, for: vr))
            }
            return .map(keys, vals, keyType: k)
        case .tuple(let elements):
            guard case .tuple(let types) = type else { throw invalidLiteral(term, receiver, "tuple") }
            guard elements.count <= types.count else {
                throw .invalid("Invalid tuple literal for \(receiver.name): too many elements. Type \(receiver.type.cqlName) expects \(types.count) but got \(elements.count)")
            }
            var out: [ValueTerm] = []
            for (i, x) in elements.enumerated() {
                out.append(try value(x, for: derived(receiver, "\(receiver.name)[\(i)]", types[i])))
            }
            return .tuple(out)
        case .userType(let fields):
            guard case .udt(_, let typeName, let defs) = type else { throw invalidLiteral(term, receiver, "user type") }
            var byName: [String: Term] = [:]
            for f in fields {
                guard defs.contains(where: { $0.name == f.field }) else {
                    throw .invalid("Unknown field '\(f.field)' in value of user defined type \(typeName)")
                }
                byName[f.field] = f.value
            }
            // Every field is serialized, a field the literal leaves out as null, as
            // Cassandra's UserTypes.Literal does (and as drivers serialize a bound UDT), so
            // `{a: null, b: null}` is a value with two null fields, not an empty value, and
            // a literal equals the same value bound by a driver.
            var out: [ValueTerm] = []
            for d in defs {
                if let t = byName[d.name] {
                    out.append(try value(t, for: derived(receiver, "\(receiver.name).\(d.name)", d.type)))
                } else {
                    out.append(.null)
                }
            }
            return .tuple(out)
        case .functionCall(let fn, let args):
            return try functionValue(fn, args, for: receiver)
        case .typeHint(let hint, let inner):
            let t = try resolveType(hint, keyspace: receiver.keyspace)
            guard t.unfrozen == type else {
                throw .invalid("Type error: cannot assign result of type hint (\(t.cqlName)) to \(receiver.name) of type \(receiver.type.cqlName)")
            }
            return try value(inner, for: receiver)
        case .operation(let op, let l, let r):
            return try operationValue(op, l, r, for: receiver)
        case .negation(let inner):
            return try negationValue(inner, for: receiver)
        case .cast:
            // The parser only builds CAST as a selector, as Cassandra's grammar does.
            throw .invalid("CAST is only supported in the selection clause")
        }
    }

    func derived(_ r: ColumnSpecification, _ name: String, _ type: CQLType) -> ColumnSpecification {
        ColumnSpecification(keyspace: r.keyspace, table: r.table, name: name, type: type)
    }

    func invalidLiteral(_ term: Term, _ receiver: ColumnSpecification, _ what: String) -> CQLAnalysisError {
        .invalid("Invalid \(what) literal for \(receiver.name) of type \(receiver.type.cqlName)")
    }

    /// A USING TTL / TIMESTAMP or LIMIT value.
    mutating func optionalValue(_ term: Term?, name: String, type: CQLType, table: TableMetadata) throws(CQLAnalysisError) -> ValueTerm? {
        guard let term else { return nil }
        return try value(term, for: spec(table, name, type))
    }
}
