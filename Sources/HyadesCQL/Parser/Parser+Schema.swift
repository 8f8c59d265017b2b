/// CREATE / ALTER / DROP and DESCRIBE.
extension Parser {
    mutating func createStatement() throws(CQLSyntaxError) -> Statement {
        try expectKeyword("create")
        if acceptKeyword("keyspace") || acceptKeyword("schema") {
            let ine = try ifNotExists()
            var ks = CreateKeyspaceStatement(name: try name())
            ks.ifNotExists = ine
            try expectKeyword("with")
            ks.properties = try properties()
            return .createKeyspace(ks)
        }
        if acceptKeyword("table") || acceptKeyword("columnfamily") {
            // CREATE TABLE [IF NOT EXISTS] new LIKE old (Cassandra 5): recognised, not supported.
            var ahead = 1
            if atKeyword("if") { ahead += 3 }
            if peek(ahead).isSymbol(".") { ahead += 2 }
            if peek(ahead).isKeyword("like") { return unsupported("CREATE TABLE LIKE") }
            return .createTable(try createTable())
        }
        if acceptKeyword("type") {
            let ine = try ifNotExists()
            var t = CreateTypeStatement(name: try qualifiedName())
            t.ifNotExists = ine
            try expectSymbol("(")
            repeat {
                if current.isSymbol(")") { break }  // trailing comma, as Cassandra allows
                let start = current.range.start
                let field = try anyWord()
                let type = try typeExpression()
                t.fields.append(ColumnDefinition(name: field, type: type, range: range(from: start)))
            } while acceptSymbol(",")
            try expectSymbol(")")
            return .createType(t)
        }
        if atKeyword("custom") || atKeyword("index") {
            return .createIndex(try createIndex())
        }
        if acceptKeyword("or") {
            try expectKeyword("replace")
            return unsupported("CREATE OR REPLACE")
        }
        for (words, kind) in [(["materialized", "view"], "CREATE MATERIALIZED VIEW"), (["role"], "CREATE ROLE"),
                              (["user"], "CREATE USER"), (["function"], "CREATE FUNCTION"),
                              (["aggregate"], "CREATE AGGREGATE"), (["trigger"], "CREATE TRIGGER")]
            where atKeyword(words[0]) {
            return unsupported(kind)
        }
        throw noViableAlternative()
    }

    mutating func createTable() throws(CQLSyntaxError) -> CreateTableStatement {
        let ine = try ifNotExists()
        var t = CreateTableStatement(name: try qualifiedName())
        t.ifNotExists = ine
        try expectSymbol("(")
        var sawKey = false
        func setKey(_ p: inout Parser, _ t: inout CreateTableStatement, _ pk: [String], _ cc: [String],
                    _ at: CQLToken) throws(CQLSyntaxError) {
            if sawKey {
                throw CQLSyntaxError(at: at.range.start, token: at.raw,
                                     message: "Multiple PRIMARY KEYs specified (exactly one required)")
            }
            sawKey = true
            t.partitionKey = pk
            t.clusteringColumns = cc
        }
        repeat {
            if current.isSymbol(")") { break }  // tolerate a trailing comma, as cqlsh users write it
            let keyToken = current
            if acceptKeyword("primary") {
                try expectKeyword("key")
                try expectSymbol("(")
                var pk: [String]
                if acceptSymbol("(") {
                    pk = try nameList()
                    try expectSymbol(")")
                } else {
                    pk = [try name()]
                }
                var cc: [String] = []
                while acceptSymbol(",") { cc.append(try name()) }
                try expectSymbol(")")
                try setKey(&self, &t, pk, cc, keyToken)
                continue
            }
            let start = current.range.start
            let column = try name()
            let type = try typeExpression()
            var isStatic = false
            if acceptKeyword("static") { isStatic = true }
            let inlineKey = current
            if acceptKeyword("primary") {
                try expectKeyword("key")
                try setKey(&self, &t, [column], [], inlineKey)
            }
            t.columns.append(ColumnDefinition(name: column, type: type, isStatic: isStatic, range: range(from: start)))
        } while acceptSymbol(",")
        try expectSymbol(")")
        if acceptKeyword("with") { t.options = try tableProperties() }
        return t
    }

    mutating func tableProperties() throws(CQLSyntaxError) -> TableProperties {
        var props = TableProperties()
        repeat {
            if atKeyword("compact") && peek(1).isKeyword("storage") {
                throw failure("COMPACT STORAGE tables are not supported (Cassandra 4 no longer allows creating them)")
            }
            if acceptKeyword("clustering") {
                try expectKeyword("order")
                try expectKeyword("by")
                try expectSymbol("(")
                repeat { props.clusteringOrder.append(try ordering()) } while acceptSymbol(",")
                try expectSymbol(")")
            } else {
                props.properties.append(try property())
            }
        } while acceptKeyword("and")
        return props
    }

    mutating func properties() throws(CQLSyntaxError) -> [Property] {
        var out = [try property()]
        while acceptKeyword("and") { out.append(try property()) }
        return out
    }

    mutating func property() throws(CQLSyntaxError) -> Property {
        let key = try anyWord()
        try expectSymbol("=")
        if acceptSymbol("{") {
            var entries: [PropertyMapEntry] = []
            if !acceptSymbol("}") {
                repeat {
                    let k = try propertyConstant()
                    try expectSymbol(":")
                    entries.append(PropertyMapEntry(key: k, value: try propertyConstant()))
                } while acceptSymbol(",")
                try expectSymbol("}")
            }
            return Property(key, .map(entries))
        }
        if current.kind == .identifier, !["true", "false", "nan", "infinity"].contains(current.lower) {
            return Property(key, .identifier(advance().lower))
        }
        return Property(key, .constant(try propertyConstant()))
    }

    mutating func propertyConstant() throws(CQLSyntaxError) -> Constant {
        let value = try term()
        if case .constant(let c) = value.kind { return c }
        throw CQLSyntaxError(at: value.range.start, token: quoted(tokens[max(0, pos - 1)]),
                             message: "Invalid property value: expected a constant")
    }

    mutating func createIndex() throws(CQLSyntaxError) -> CreateIndexStatement {
        let custom = acceptKeyword("custom")
        try expectKeyword("index")
        let ine = try ifNotExists()
        var indexName: String?
        if !atKeyword("on") { indexName = try name() }
        try expectKeyword("on")
        var idx = CreateIndexStatement(table: try qualifiedName())
        idx.name = indexName
        idx.isCustom = custom
        idx.ifNotExists = ine
        try expectSymbol("(")
        if !acceptSymbol(")") {
            repeat {
                let kinds: [(String, CreateIndexStatement.TargetKind)] =
                    [("keys", .keys), ("values", .values), ("entries", .entries), ("full", .full)]
                var kind = CreateIndexStatement.TargetKind.simple
                for (word, k) in kinds where current.isKeyword(word) && peek(1).isSymbol("(") {
                    kind = k
                }
                if kind != .simple {
                    advance(); advance()
                    idx.targets.append(IndexTarget(kind: kind, column: try name()))
                    try expectSymbol(")")
                } else {
                    idx.targets.append(IndexTarget(kind: .simple, column: try name()))
                }
            } while acceptSymbol(",")
            try expectSymbol(")")
        }
        if acceptKeyword("using") {
            let t = current
            guard t.kind == .string else { throw mismatched(expecting: "STRING_LITERAL") }
            advance()
            idx.usingClass = t.text
        }
        if acceptKeyword("with") { idx.options = try properties() }
        return idx
    }

    mutating func alterStatement() throws(CQLSyntaxError) -> Statement {
        try expectKeyword("alter")
        if acceptKeyword("keyspace") || acceptKeyword("schema") {
            let ie = try ifExists()
            var ks = AlterKeyspaceStatement(name: try name())
            ks.ifExists = ie
            try expectKeyword("with")
            ks.properties = try properties()
            return .alterKeyspace(ks)
        }
        if acceptKeyword("table") || acceptKeyword("columnfamily") {
            return .alterTable(try alterTable())
        }
        for (word, kind) in [("type", "ALTER TYPE"), ("materialized", "ALTER MATERIALIZED VIEW"),
                             ("role", "ALTER ROLE"), ("user", "ALTER USER")] where atKeyword(word) {
            return unsupported(kind)
        }
        throw noViableAlternative()
    }

    mutating func alterTable() throws(CQLSyntaxError) -> AlterTableStatement {
        let ie = try ifExists()
        let table = try qualifiedName()
        let action: AlterTableStatement.Action
        if acceptKeyword("add") {
            let ine = try ifNotExists()
            var defs: [ColumnDefinition] = []
            func definition(_ p: inout Parser) throws(CQLSyntaxError) -> ColumnDefinition {
                let start = p.current.range.start
                let column = try p.name()
                let type = try p.typeExpression()
                let isStatic = p.acceptKeyword("static")
                return ColumnDefinition(name: column, type: type, isStatic: isStatic, range: p.range(from: start))
            }
            if acceptSymbol("(") {
                repeat { defs.append(try definition(&self)) } while acceptSymbol(",")
                try expectSymbol(")")
            } else {
                defs.append(try definition(&self))
            }
            action = .addColumns(defs, ifNotExists: ine)
        } else if atKeyword("drop") && peek(1).isKeyword("compact") && peek(2).isKeyword("storage") {
            advance()
            throw failure("DROP COMPACT STORAGE is not supported: there are no COMPACT STORAGE tables")
        } else if acceptKeyword("drop") {
            let ie2 = try ifExists()
            var columns: [String]
            if acceptSymbol("(") {
                columns = try nameList()
                try expectSymbol(")")
            } else {
                columns = [try name()]
            }
            var timestamp: Term?
            if acceptKeyword("using") {
                try expectKeyword("timestamp")
                timestamp = try intValue()
            }
            action = .dropColumns(columns, ifExists: ie2, timestamp: timestamp)
        } else if acceptKeyword("rename") {
            let ie2 = try ifExists()
            var renames: [ColumnRename] = []
            repeat {
                let from = try name()
                try expectKeyword("to")
                renames.append(ColumnRename(from: from, to: try name()))
            } while acceptKeyword("and")
            action = .renameColumns(renames, ifExists: ie2)
        } else if acceptKeyword("alter") {
            let column = try name()
            try expectKeyword("type")
            action = .alterColumnType(column, try typeExpression())
        } else if acceptKeyword("with") {
            action = .withOptions(try tableProperties())
        } else {
            throw noViableAlternative()
        }
        var a = AlterTableStatement(name: table, action: action)
        a.ifExists = ie
        return a
    }

    mutating func dropStatement() throws(CQLSyntaxError) -> Statement {
        try expectKeyword("drop")
        let kind: DropStatement.Kind
        if acceptKeyword("keyspace") || acceptKeyword("schema") { kind = .keyspace }
        else if acceptKeyword("table") || acceptKeyword("columnfamily") { kind = .table }
        else if acceptKeyword("type") { kind = .type }
        else if acceptKeyword("index") { kind = .index }
        else {
            for (word, k) in [("materialized", "DROP MATERIALIZED VIEW"), ("role", "DROP ROLE"),
                              ("user", "DROP USER"), ("function", "DROP FUNCTION"),
                              ("aggregate", "DROP AGGREGATE"), ("trigger", "DROP TRIGGER")] where atKeyword(word) {
                return unsupported(k)
            }
            throw noViableAlternative()
        }
        let ie = try ifExists()
        let n: QualifiedName
        if kind == .keyspace {
            let start = current.range.start
            n = QualifiedName(name: try name(), range: range(from: start))
        } else {
            n = try qualifiedName()
        }
        return .drop(DropStatement(kind: kind, name: n, ifExists: ie))
    }

    mutating func describeStatement() throws(CQLSyntaxError) -> DescribeStatement {
        advance()  // DESCRIBE or DESC
        let full = acceptKeyword("full")
        var d: DescribeStatement
        if acceptKeyword("cluster") { d = DescribeStatement(target: .cluster) }
        else if acceptKeyword("keyspaces") { d = DescribeStatement(target: .keyspaces) }
        else if acceptKeyword("schema") { d = DescribeStatement(target: .schema) }
        else if acceptKeyword("tables") || acceptKeyword("columnfamilies") { d = DescribeStatement(target: .tables) }
        else if acceptKeyword("types") { d = DescribeStatement(target: .types) }
        else if acceptKeyword("functions") { d = DescribeStatement(target: .functions) }
        else if acceptKeyword("aggregates") { d = DescribeStatement(target: .aggregates) }
        else if atKeyword("only") || atKeyword("keyspace") {
            let only = acceptKeyword("only")
            try expectKeyword("keyspace")
            var ks: String?
            if atName { ks = try name() }
            d = DescribeStatement(target: .keyspace(ks, only: only))
        }
        else if acceptKeyword("table") || acceptKeyword("columnfamily") { d = DescribeStatement(target: .table(try qualifiedName())) }
        else if acceptKeyword("type") { d = DescribeStatement(target: .type(try qualifiedName())) }
        else if acceptKeyword("function") { d = DescribeStatement(target: .function(try qualifiedName())) }
        else if acceptKeyword("aggregate") { d = DescribeStatement(target: .aggregate(try qualifiedName())) }
        else if acceptKeyword("index") { d = DescribeStatement(target: .index(try qualifiedName())) }
        else if acceptKeyword("materialized") {
            try expectKeyword("view")
            d = DescribeStatement(target: .materializedView(try qualifiedName()))
        }
        else { d = DescribeStatement(target: .element(try qualifiedName())) }
        d.full = full
        if acceptKeyword("with") {
            try expectKeyword("internals")
            d.withInternals = true
        }
        return d
    }
}
