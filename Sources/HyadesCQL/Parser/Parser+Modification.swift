/// INSERT, UPDATE, DELETE and BATCH.
extension Parser {
    mutating func usingClause(timestampOnly: Bool = false) throws(CQLSyntaxError) -> UsingClause {
        var u = UsingClause()
        guard acceptKeyword("using") else { return u }
        repeat {
            if !timestampOnly && acceptKeyword("ttl") {
                u.ttl = try intValue()
            } else if acceptKeyword("timestamp") {
                u.timestamp = try intValue()
            } else {
                throw mismatched(expecting: timestampOnly ? "K_TIMESTAMP" : "K_TIMESTAMP or K_TTL")
            }
        } while !timestampOnly && acceptKeyword("and")
        return u
    }

    mutating func insertStatement() throws(CQLSyntaxError) -> InsertStatement {
        try expectKeyword("insert")
        try expectKeyword("into")
        let table = try qualifiedName()
        var insert: InsertStatement
        if acceptKeyword("json") {
            let doc = try term()
            var defaultUnset = false
            if acceptKeyword("default") {
                if acceptKeyword("unset") { defaultUnset = true } else { try expectKeyword("null") }
            }
            insert = InsertStatement(table: table, values: .json(doc, defaultUnset: defaultUnset))
        } else {
            try expectSymbol("(")
            let columns = try nameList()
            try expectSymbol(")")
            try expectKeyword("values")
            try expectSymbol("(")
            var values = [try term()]
            while acceptSymbol(",") { values.append(try term()) }
            try expectSymbol(")")
            insert = InsertStatement(table: table, values: .columns(columns, values))
        }
        insert.ifNotExists = try ifNotExists()
        insert.using = try usingClause()
        return insert
    }

    mutating func updateStatement() throws(CQLSyntaxError) -> UpdateStatement {
        try expectKeyword("update")
        var u = UpdateStatement(table: try qualifiedName())
        u.using = try usingClause()
        try expectKeyword("set")
        repeat { u.assignments.append(try assignment()) } while acceptSymbol(",")
        try expectKeyword("where")
        u.whereClause = try whereClause()
        u.condition = try condition()
        return u
    }

    mutating func assignment() throws(CQLSyntaxError) -> Assignment {
        let column = try name()
        if acceptSymbol("[") {
            let key = try term()
            try expectSymbol("]")
            try expectSymbol("=")
            return .setElement(column, key: key, try term())
        }
        if current.isSymbol("."), peek(1).kind == .identifier || peek(1).kind == .quotedIdentifier {
            advance()
            let field = try anyWord()
            try expectSymbol("=")
            return .setField(column, field: field, try term())
        }
        if acceptSymbol("+=") { return .add(column, try term()) }
        if acceptSymbol("-=") { return .subtract(column, try term()) }
        try expectSymbol("=")
        // c = c + v | c = c - v | c = v + c | c = v
        if peekIsBareName(0) && (peek(1).isSymbol("+") || peek(1).isSymbol("-")) {
            let other = current
            guard isColumnReference(column) else {
                throw CQLSyntaxError(at: other.range.start, token: other.raw,
                                     message: "Only expressions of the form X = X \(peek(1).text) <value> are supported.")
            }
            advance()
            let plus = advance().isSymbol("+")
            let value = try term()
            return plus ? .add(column, value) : .subtract(column, value)
        }
        let value = try term()
        if current.isSymbol("+") {
            advance()
            let other = current
            let again = try name()
            guard again == column else {
                throw CQLSyntaxError(at: other.range.start, token: other.raw,
                                     message: "Only expressions of the form X = <value> + X are supported.")
            }
            return .prepend(column, value)
        }
        return .set(column, value)
    }

    /// Whether the current token names `column` (and so is not the start of a value).
    func isColumnReference(_ column: String) -> Bool {
        switch current.kind {
        case .quotedIdentifier: return current.text == column
        case .identifier: return !reservedKeywords.contains(current.lower) && current.lower == column
        default: return false
        }
    }

    /// TTL, TIMESTAMP and LIMIT values: an integer (possibly negative, which the analyzer
    /// refuses with Cassandra's message) or a bind marker.
    mutating func intValue() throws(CQLSyntaxError) -> Term {
        let t = current
        if t.kind == .integer {
            advance()
            return Term(.constant(Constant(.integer, t.text)), range: t.range)
        }
        if t.isSymbol("-") && peek(1).kind == .integer { return try negativeConstant() }
        if t.isSymbol("?") || t.isSymbol(":") { return try bindMarkerTerm() }
        throw mismatched(expecting: "INTEGER")
    }

    /// `IF EXISTS` or `IF cond AND cond ...` (nothing: `.none`).
    mutating func condition() throws(CQLSyntaxError) -> Condition {
        guard acceptKeyword("if") else { return .none }
        if acceptKeyword("exists") { return .ifExists }
        var relations: [Relation] = []
        repeat {
            let start = current.range.start
            let column = try name()
            var target = RelationTarget.column(column)
            if acceptSymbol("[") {
                let key = try term()
                try expectSymbol("]")
                target = .element(column, key)
            } else if current.isSymbol("."), peek(1).kind == .identifier || peek(1).kind == .quotedIdentifier {
                advance()
                target = .field(column, try anyWord())
            }
            relations.append(try relationTail(target, start))
        } while acceptKeyword("and")
        return .columns(relations)
    }

    mutating func deleteStatement() throws(CQLSyntaxError) -> DeleteStatement {
        try expectKeyword("delete")
        var targets: [DeleteTarget] = []
        if !atKeyword("from") {
            repeat {
                let column = try name()
                if acceptSymbol("[") {
                    let key = try term()
                    try expectSymbol("]")
                    targets.append(.element(column, key))
                } else if current.isSymbol("."), peek(1).kind == .identifier || peek(1).kind == .quotedIdentifier {
                    advance()
                    targets.append(.field(column, try anyWord()))
                } else {
                    targets.append(.column(column))
                }
            } while acceptSymbol(",")
        }
        try expectKeyword("from")
        var d = DeleteStatement(table: try qualifiedName())
        d.targets = targets
        d.using = try usingClause(timestampOnly: true)
        try expectKeyword("where")
        d.whereClause = try whereClause()
        d.condition = try condition()
        return d
    }

    mutating func batchStatement() throws(CQLSyntaxError) -> BatchStatement {
        try expectKeyword("begin")
        var b = BatchStatement()
        if acceptKeyword("unlogged") { b.kind = .unlogged }
        else if acceptKeyword("counter") { b.kind = .counter }
        else if acceptKeyword("logged") { b.kind = .logged }
        try expectKeyword("batch")
        b.using = try usingClause()
        while !atKeyword("apply") {
            while acceptSymbol(";") {}
            if atKeyword("apply") { break }
            guard current.kind == .identifier, ["insert", "update", "delete"].contains(current.lower) else {
                if current.kind == .endOfInput { throw mismatched(expecting: "K_APPLY") }
                throw noViableAlternative()
            }
            b.statements.append(try parseStatement())
            _ = acceptSymbol(";")
        }
        try expectKeyword("apply")
        try expectKeyword("batch")
        return b
    }
}
