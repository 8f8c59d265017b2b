import HyadesCore

/// Prints the AST back as canonical CQL: keywords upper-case, names quoted only when
/// needed, single spaces. Parsing the output gives the same AST, which is how the tests
/// state expectations compactly and how the server can echo a normalised statement.
public enum CQLPrinter {
    /// Quotes a name when it would not read back as itself unquoted.
    public static func name(_ n: String) -> String {
        let scalars = Array(n.unicodeScalars)
        if let first = scalars.first, ("a"..."z").contains(first),
           scalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }),
           !reservedKeywords.contains(n), !["true", "false"].contains(n) {
            return n
        }
        var out = "\""
        for c in n { out += c == "\"" ? "\"\"" : String(c) }
        return out + "\""
    }

    static func names(_ ns: [String]) -> String { ns.map(name).joined(separator: ", ") }

    static func qualified(_ q: QualifiedName) -> String {
        (q.keyspace.map { name($0) + "." } ?? "") + name(q.name)
    }

    static func string(_ s: String) -> String {
        var out = "'"
        for c in s { out += c == "'" ? "''" : String(c) }
        return out + "'"
    }

    public static func constant(_ c: Constant) -> String {
        c.kind == .string ? string(c.text) : c.text
    }

    public static func term(_ t: Term) -> String {
        switch t.kind {
        case .constant(let c): return constant(c)
        case .null: return "NULL"
        case .bindMarker(let m): return m.name.map { ":" + name($0) } ?? "?"
        case .list(let es): return "[" + es.map(term).joined(separator: ", ") + "]"
        case .set(let es): return "{" + es.map(term).joined(separator: ", ") + "}"
        case .operation(let op, let l, let r): return operand(l, op, left: true) + " " + op.rawValue + " " + operand(r, op, left: false)
        case .negation(let inner): return "-" + (isAtomic(inner) ? term(inner) : "(" + term(inner) + ")")
        case .cast(let inner, let t): return "CAST(" + term(inner) + " AS " + t.cqlName + ")"
        case .map(let es): return "{" + es.map { term($0.key) + ": " + term($0.value) }.joined(separator: ", ") + "}"
        case .userType(let fs): return "{" + fs.map { name($0.field) + ": " + term($0.value) }.joined(separator: ", ") + "}"
        case .tuple(let es): return "(" + es.map(term).joined(separator: ", ") + ")"
        case .functionCall(let f, let args): return function(f) + "(" + args.map(term).joined(separator: ", ") + ")"
        case .typeHint(let type, let inner): return "(" + self.type(type) + ") " + term(inner)
        }
    }

    static func precedence(_ op: ArithmeticOperator) -> Int {
        op == .add || op == .subtract ? 1 : 2
    }

    static func isAtomic(_ t: Term) -> Bool {
        switch t.kind {
        case .operation, .negation: return false
        case .constant(let c): return !c.text.hasPrefix("-")
        default: return true
        }
    }

    /// Parenthesises an operand only when precedence/associativity require it. Parentheses
    /// around a single term read back as a 1-tuple, so they are only used where needed.
    static func operand(_ t: Term, _ parent: ArithmeticOperator, left: Bool) -> String {
        guard case .operation(let op, _, _) = t.kind else { return term(t) }
        let needs = precedence(op) < precedence(parent) || (!left && precedence(op) == precedence(parent))
        return needs ? "(" + term(t) + ")" : term(t)
    }

    static func function(_ f: FunctionName) -> String {
        (f.keyspace.map { name($0) + "." } ?? "") + (f.name == "token" ? "token" : name(f.name))
    }

    public static func type(_ t: TypeExpression) -> String {
        switch t {
        case .native(let c): return c.cqlName
        case .list(let e): return "list<\(type(e))>"
        case .set(let e): return "set<\(type(e))>"
        case .map(let k, let v): return "map<\(type(k)), \(type(v))>"
        case .tuple(let es): return "tuple<" + es.map(type).joined(separator: ", ") + ">"
        case .frozen(let e): return "frozen<\(type(e))>"
        case .userType(let ks, let n): return (ks.map { name($0) + "." } ?? "") + name(n)
        case .custom(let c): return string(c)
        }
    }

    static func selector(_ e: SelectorExpression) -> String {
        switch e {
        case .column(let c): return name(c)
        case .term(let t): return term(t)
        case .countRows: return "count(*)"
        case .writetime(let c): return "writetime(\(name(c)))"
        case .ttl(let c): return "ttl(\(name(c)))"
        case .cast(let inner, let t): return "CAST(\(selector(inner)) AS \(t.cqlName))"
        case .functionCall(let f, let args): return function(f) + "(" + args.map(selector).joined(separator: ", ") + ")"
        case .field(let inner, let f): return selector(inner) + "." + name(f)
        case .element(let inner, let k): return selector(inner) + "[" + term(k) + "]"
        case .operation(let op, let l, let r):
            return selectorOperand(l, op, left: true) + " " + op.rawValue + " " + selectorOperand(r, op, left: false)
        case .negation(let inner):
            let printed = selector(inner)
            // `--` would start a comment; an operation needs grouping.
            if case .operation = inner { return "-(" + printed + ")" }
            return printed.hasPrefix("-") ? "-(" + printed + ")" : "-" + printed
        case .typeHint(let t, let inner): return "(" + type(t) + ") " + selector(inner)
        case .tuple(let es): return "(" + es.map(selector).joined(separator: ", ") + ")"
        case .list(let es): return "[" + es.map(selector).joined(separator: ", ") + "]"
        case .set(let es): return "{" + es.map(selector).joined(separator: ", ") + "}"
        case .map(let es): return "{" + es.map { selector($0.key) + ": " + selector($0.value) }.joined(separator: ", ") + "}"
        }
    }

    /// In selectors parentheses around one selector are grouping, so they can always be
    /// used where precedence needs them.
    static func selectorOperand(_ s: SelectorExpression, _ parent: ArithmeticOperator, left: Bool) -> String {
        guard case .operation(let op, _, _) = s else { return selector(s) }
        let needs = precedence(op) < precedence(parent) || (!left && precedence(op) == precedence(parent))
        return needs ? "(" + selector(s) + ")" : selector(s)
    }

    static func relation(_ r: Relation) -> String {
        let lhs: String
        switch r.target {
        case .column(let c): lhs = name(c)
        case .columns(let cs): lhs = "(" + names(cs) + ")"
        case .token(let cs): lhs = "token(" + names(cs) + ")"
        case .element(let c, let k): lhs = name(c) + "[" + term(k) + "]"
        case .field(let c, let f): lhs = name(c) + "." + name(f)
        }
        let rhs: String
        switch r.value {
        case .term(let t): rhs = r.op == .isNot ? "NULL" : term(t)
        case .list(let ts):
            rhs = r.op == .between ? ts.map(term).joined(separator: " AND ") : "(" + ts.map(term).joined(separator: ", ") + ")"
        }
        return "\(lhs) \(r.op.rawValue) \(rhs)"
    }

    static func relations(_ rs: [Relation]) -> String { rs.map(relation).joined(separator: " AND ") }

    static func using(_ u: UsingClause) -> String {
        var parts: [String] = []
        if let t = u.ttl { parts.append("TTL " + term(t)) }
        if let t = u.timestamp { parts.append("TIMESTAMP " + term(t)) }
        return parts.isEmpty ? "" : " USING " + parts.joined(separator: " AND ")
    }

    static func condition(_ c: Condition) -> String {
        switch c {
        case .none: return ""
        case .ifExists: return " IF EXISTS"
        case .ifNotExists: return " IF NOT EXISTS"
        case .columns(let rs): return " IF " + relations(rs)
        }
    }

    static func propertyValue(_ v: PropertyValue) -> String {
        switch v {
        case .constant(let c): return constant(c)
        case .identifier(let s): return s
        case .map(let es): return "{" + es.map { constant($0.key) + ": " + constant($0.value) }.joined(separator: ", ") + "}"
        }
    }

    static func properties(_ ps: [Property]) -> String {
        ps.map { name($0.name) + " = " + propertyValue($0.value) }.joined(separator: " AND ")
    }

    static func tableProperties(_ p: TableProperties) -> String {
        var parts: [String] = []
        if !p.clusteringOrder.isEmpty {
            parts.append("CLUSTERING ORDER BY (" + p.clusteringOrder.map { name($0.column) + ($0.descending ? " DESC" : " ASC") }
                .joined(separator: ", ") + ")")
        }
        if !p.properties.isEmpty { parts.append(properties(p.properties)) }
        return parts.joined(separator: " AND ")
    }

    static func column(_ c: ColumnDefinition) -> String {
        name(c.name) + " " + type(c.type) + (c.isStatic ? " STATIC" : "")
    }

    public static func statement(_ s: Statement) -> String {
        switch s {
        case .select(let q):
            var out = "SELECT "
            if q.json { out += "JSON " }
            if q.distinct { out += "DISTINCT " }
            out += q.selectors.isEmpty ? "*" : q.selectors.map { selector($0.expression) + ($0.alias.map { " AS " + name($0) } ?? "") }
                .joined(separator: ", ")
            out += " FROM " + qualified(q.table)
            if !q.whereClause.isEmpty { out += " WHERE " + relations(q.whereClause) }
            if !q.groupBy.isEmpty { out += " GROUP BY " + names(q.groupBy) }
            if !q.orderBy.isEmpty {
                out += " ORDER BY " + q.orderBy.map { name($0.column) + ($0.descending ? " DESC" : " ASC") }.joined(separator: ", ")
            }
            if let l = q.perPartitionLimit { out += " PER PARTITION LIMIT " + term(l) }
            if let l = q.limit { out += " LIMIT " + term(l) }
            if q.allowFiltering { out += " ALLOW FILTERING" }
            return out
        case .insert(let i):
            var out = "INSERT INTO " + qualified(i.table)
            switch i.values {
            case .columns(let cs, let vs):
                out += " (" + names(cs) + ") VALUES (" + vs.map(term).joined(separator: ", ") + ")"
            case .json(let doc, let unset):
                out += " JSON " + term(doc) + (unset ? " DEFAULT UNSET" : "")
            }
            if i.ifNotExists { out += " IF NOT EXISTS" }
            return out + using(i.using)
        case .update(let u):
            var out = "UPDATE " + qualified(u.table) + using(u.using) + " SET "
            out += u.assignments.map { a -> String in
                switch a {
                case .set(let c, let v): return name(c) + " = " + term(v)
                case .setElement(let c, let k, let v): return name(c) + "[" + term(k) + "] = " + term(v)
                case .setField(let c, let f, let v): return name(c) + "." + name(f) + " = " + term(v)
                case .add(let c, let v): return name(c) + " = " + name(c) + " + " + term(v)
                case .prepend(let c, let v): return name(c) + " = " + term(v) + " + " + name(c)
                case .subtract(let c, let v): return name(c) + " = " + name(c) + " - " + term(v)
                }
            }.joined(separator: ", ")
            return out + " WHERE " + relations(u.whereClause) + condition(u.condition)
        case .delete(let d):
            var out = "DELETE "
            if !d.targets.isEmpty {
                out += d.targets.map { t -> String in
                    switch t {
                    case .column(let c): return name(c)
                    case .element(let c, let k): return name(c) + "[" + term(k) + "]"
                    case .field(let c, let f): return name(c) + "." + name(f)
                    }
                }.joined(separator: ", ") + " "
            }
            out += "FROM " + qualified(d.table) + using(d.using)
            return out + " WHERE " + relations(d.whereClause) + condition(d.condition)
        case .batch(let b):
            var out = "BEGIN " + (b.kind == .logged ? "" : b.kind.rawValue + " ") + "BATCH" + using(b.using) + " "
            for s in b.statements { out += statement(s) + "; " }
            return out + "APPLY BATCH"
        case .use(let ks):
            return "USE " + name(ks)
        case .createKeyspace(let k):
            return "CREATE KEYSPACE " + (k.ifNotExists ? "IF NOT EXISTS " : "") + name(k.name) + " WITH " + properties(k.properties)
        case .alterKeyspace(let k):
            return "ALTER KEYSPACE " + (k.ifExists ? "IF EXISTS " : "") + name(k.name) + " WITH " + properties(k.properties)
        case .createTable(let t):
            var parts = t.columns.map(column)
            let pk = t.partitionKey.count == 1 ? name(t.partitionKey[0]) : "(" + names(t.partitionKey) + ")"
            if !t.partitionKey.isEmpty {
                parts.append("PRIMARY KEY (" + ([pk] + t.clusteringColumns.map(name)).joined(separator: ", ") + ")")
            }
            var out = "CREATE TABLE " + (t.ifNotExists ? "IF NOT EXISTS " : "") + qualified(t.name)
                + " (" + parts.joined(separator: ", ") + ")"
            if !t.options.isEmpty { out += " WITH " + tableProperties(t.options) }
            return out
        case .alterTable(let a):
            var out = "ALTER TABLE " + (a.ifExists ? "IF EXISTS " : "") + qualified(a.name) + " "
            switch a.action {
            case .addColumns(let cs, let ine):
                out += "ADD " + (ine ? "IF NOT EXISTS " : "")
                out += cs.count == 1 ? column(cs[0]) : "(" + cs.map(column).joined(separator: ", ") + ")"
            case .dropColumns(let cs, let ie, let ts):
                out += "DROP " + (ie ? "IF EXISTS " : "") + (cs.count == 1 ? name(cs[0]) : "(" + names(cs) + ")")
                if let ts { out += " USING TIMESTAMP " + term(ts) }
            case .renameColumns(let rs, let ie):
                out += "RENAME " + (ie ? "IF EXISTS " : "") + rs.map { name($0.from) + " TO " + name($0.to) }.joined(separator: " AND ")
            case .alterColumnType(let c, let t):
                out += "ALTER " + name(c) + " TYPE " + type(t)
            case .withOptions(let p):
                out += "WITH " + tableProperties(p)
            }
            return out
        case .truncate(let t):
            return "TRUNCATE " + qualified(t)
        case .createType(let t):
            return "CREATE TYPE " + (t.ifNotExists ? "IF NOT EXISTS " : "") + qualified(t.name)
                + " (" + t.fields.map(column).joined(separator: ", ") + ")"
        case .createIndex(let i):
            var out = "CREATE " + (i.isCustom ? "CUSTOM " : "") + "INDEX " + (i.ifNotExists ? "IF NOT EXISTS " : "")
            if let n = i.name { out += name(n) + " " }
            out += "ON " + qualified(i.table) + " (" + i.targets.map { t in
                t.kind == .simple ? name(t.column) : t.kind.rawValue + "(" + name(t.column) + ")"
            }.joined(separator: ", ") + ")"
            if let c = i.usingClass { out += " USING " + string(c) }
            if !i.options.isEmpty { out += " WITH " + properties(i.options) }
            return out
        case .drop(let d):
            let n = d.kind == .keyspace ? name(d.name.name) : qualified(d.name)
            return "DROP " + d.kind.rawValue + " " + (d.ifExists ? "IF EXISTS " : "") + n
        case .describe(let d):
            var out = "DESCRIBE " + (d.full ? "FULL " : "")
            switch d.target {
            case .cluster: out += "CLUSTER"
            case .keyspaces: out += "KEYSPACES"
            case .keyspace(let ks, let only): out += (only ? "ONLY " : "") + "KEYSPACE" + (ks.map { " " + name($0) } ?? "")
            case .tables: out += "TABLES"
            case .table(let q): out += "TABLE " + qualified(q)
            case .types: out += "TYPES"
            case .type(let q): out += "TYPE " + qualified(q)
            case .functions: out += "FUNCTIONS"
            case .function(let q): out += "FUNCTION " + qualified(q)
            case .aggregates: out += "AGGREGATES"
            case .aggregate(let q): out += "AGGREGATE " + qualified(q)
            case .index(let q): out += "INDEX " + qualified(q)
            case .materializedView(let q): out += "MATERIALIZED VIEW " + qualified(q)
            case .schema: out += "SCHEMA"
            case .element(let q): out += qualified(q)
            }
            if d.withInternals { out += " WITH INTERNALS" }
            return out
        case .unsupported(let kind):
            return "/* unsupported: \(kind) */"
        }
    }
}

extension Statement: CustomStringConvertible {
    /// Canonical CQL (see `CQLPrinter`).
    public var description: String { CQLPrinter.statement(self) }
}

extension Term: CustomStringConvertible {
    public var description: String { CQLPrinter.term(self) }
}
