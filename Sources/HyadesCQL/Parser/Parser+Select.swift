import HyadesCore

/// SELECT, selectors and WHERE relations.
extension Parser {
    mutating func selectStatement() throws(CQLSyntaxError) -> SelectStatement {
        try expectKeyword("select")
        var json = false
        var distinct = false
        // JSON and DISTINCT are unreserved: `SELECT json FROM t` selects a column named json.
        func keywordThenSelection(_ p: Parser, _ k: String) -> Bool {
            guard p.current.isKeyword(k) else { return false }
            let next = p.peek(1)
            if next.isKeyword("from") || next.isKeyword("as") { return false }
            if next.kind == .symbol && [",", ".", "(", "["].contains(next.text) { return false }
            return true
        }
        if keywordThenSelection(self, "json") { advance(); json = true }
        if keywordThenSelection(self, "distinct") { advance(); distinct = true }
        var selectors: [Selector] = []
        if !acceptSymbol("*") {
            repeat { selectors.append(try selector()) } while acceptSymbol(",")
        }
        try expectKeyword("from")
        var s = SelectStatement(table: try qualifiedName())
        s.json = json
        s.distinct = distinct
        s.selectors = selectors
        if acceptKeyword("where") { s.whereClause = try whereClause() }
        if acceptKeyword("group") {
            try expectKeyword("by")
            s.groupBy = try nameList()
        }
        if acceptKeyword("order") {
            try expectKeyword("by")
            repeat { s.orderBy.append(try ordering()) } while acceptSymbol(",")
        }
        if acceptKeyword("per") {
            try expectKeyword("partition")
            try expectKeyword("limit")
            s.perPartitionLimit = try intValue()
        }
        if acceptKeyword("limit") { s.limit = try intValue() }
        if acceptKeyword("allow") {
            try expectKeyword("filtering")
            s.allowFiltering = true
        }
        return s
    }

    mutating func ordering() throws(CQLSyntaxError) -> Ordering {
        let column = try name()
        if acceptKeyword("desc") { return Ordering(column: column, descending: true) }
        _ = acceptKeyword("asc")
        return Ordering(column: column, descending: false)
    }

    mutating func selector() throws(CQLSyntaxError) -> Selector {
        let start = current.range.start
        let expr = try selectorExpression()
        var alias: String?
        if acceptKeyword("as") { alias = try name() }
        return Selector(expr, alias: alias, range: range(from: start))
    }

    /// `group (+|- group)*` with `* / %` binding tighter (Cassandra 4 selector arithmetic).
    mutating func selectorExpression() throws(CQLSyntaxError) -> SelectorExpression {
        try enter()
        defer { leave() }
        var lhs = try selectorMultiplication()
        while current.kind == .symbol, current.text == "+" || current.text == "-" {
            let op: ArithmeticOperator = advance().text == "+" ? .add : .subtract
            lhs = .operation(op, lhs, try selectorMultiplication())
        }
        return lhs
    }

    mutating func selectorMultiplication() throws(CQLSyntaxError) -> SelectorExpression {
        var lhs = try selectorGroup()
        while current.kind == .symbol, ["*", "/", "%"].contains(current.text) {
            let op: ArithmeticOperator = switch advance().text {
            case "*": .multiply
            case "/": .divide
            default: .modulo
            }
            lhs = .operation(op, lhs, try selectorGroup())
        }
        return lhs
    }

    mutating func selectorGroup() throws(CQLSyntaxError) -> SelectorExpression {
        try enter()
        defer { leave() }
        if current.isSymbol("-") {
            let next = peek(1)
            if [.integer, .float, .duration].contains(next.kind) || next.isKeyword("nan") || next.isKeyword("infinity") {
                return .term(try negativeConstant())
            }
            advance()
            return .negation(try selectorGroup())
        }
        var expr = try selectorWithoutModifiers()
        while true {
            if current.isSymbol("."), peek(1).kind == .identifier || peek(1).kind == .quotedIdentifier {
                advance()
                expr = .field(expr, try anyWord())
            } else if acceptSymbol("[") {
                let key = try term()
                try expectSymbol("]")
                expr = .element(expr, key)
            } else {
                return expr
            }
        }
    }

    /// `-` glued to a number (`-1`), which Cassandra's lexer reads as one literal; `(a) - 1`
    /// is a subtraction, `(int) -1` a type hint.
    var isAdjacentNegativeNumber: Bool {
        let next = peek(1)
        return current.isSymbol("-") && [.integer, .float, .duration].contains(next.kind)
            && current.range.end.offset == next.range.start.offset
    }

    /// Parenthesised selectors, type hints, collection literals of selectors, or a simple
    /// selector.
    mutating func selectorWithoutModifiers() throws(CQLSyntaxError) -> SelectorExpression {
        let t = current
        if t.isSymbol("(") {
            advance()
            let saved = pos
            if current.kind == .identifier || current.kind == .quotedIdentifier || current.kind == .string,
               let type = try? typeExpression(), acceptSymbol(")"),
               atTermStart, !current.isKeyword("from"), !current.isKeyword("as"),
               !current.isSymbol("-") || isAdjacentNegativeNumber {
                if current.isSymbol("-") { return .typeHint(type, .term(try negativeConstant())) }
                return .typeHint(type, try selectorWithoutModifiers())
            }
            pos = saved
            var elements = [try selectorExpression()]
            while acceptSymbol(",") { elements.append(try selectorExpression()) }
            try expectSymbol(")")
            // One element in parentheses is just grouping.
            return elements.count == 1 ? elements[0] : .tuple(elements)
        }
        if acceptSymbol("[") {
            var elements: [SelectorExpression] = []
            if !acceptSymbol("]") {
                repeat { elements.append(try selectorExpression()) } while acceptSymbol(",")
                try expectSymbol("]")
            }
            return .list(elements)
        }
        if acceptSymbol("{") {
            if acceptSymbol("}") { return .set([]) }
            let first = try selectorExpression()
            if acceptSymbol(":") {
                var entries = [SelectorMapEntry(key: first, value: try selectorExpression())]
                while acceptSymbol(",") {
                    let k = try selectorExpression()
                    try expectSymbol(":")
                    entries.append(SelectorMapEntry(key: k, value: try selectorExpression()))
                }
                try expectSymbol("}")
                return .map(entries)
            }
            var elements = [first]
            while acceptSymbol(",") { elements.append(try selectorExpression()) }
            try expectSymbol("}")
            return .set(elements)
        }
        return try unaliasedSelector()
    }

    mutating func unaliasedSelector() throws(CQLSyntaxError) -> SelectorExpression {
        let t = current
        let next = peek(1)
        if t.kind == .identifier && next.isSymbol("(") {
            switch t.lower {
            case "count" where peek(2).isSymbol("*") || (peek(2).kind == .integer && peek(2).text == "1"):
                if peek(3).isSymbol(")") {
                    advance(); advance(); advance(); advance()
                    return .countRows
                }
            case "writetime", "ttl":
                advance(); advance()
                let column = try name()
                try expectSymbol(")")
                return t.lower == "ttl" ? .ttl(column) : .writetime(column)
            case "cast":
                advance(); advance()
                let inner = try selectorExpression()
                try expectKeyword("as")
                let typeToken = current
                guard typeToken.kind == .identifier, let type = nativeType(typeToken.lower) else {
                    throw noViableAlternative()
                }
                advance()
                try expectSymbol(")")
                return .cast(inner, type)
            default:
                break
            }
        }
        let isFunction = (t.kind == .identifier || t.kind == .quotedIdentifier)
            && (next.isSymbol("(")
                || (next.isSymbol(".") && (peek(2).kind == .identifier || peek(2).kind == .quotedIdentifier)
                    && peek(3).isSymbol("(")))
        if isFunction {
            let fn = try functionName()
            try expectSymbol("(")
            var args: [SelectorExpression] = []
            if !acceptSymbol(")") {
                repeat { args.append(try selectorExpression()) } while acceptSymbol(",")
                try expectSymbol(")")
            }
            return .functionCall(fn, args)
        }
        if t.kind == .quotedIdentifier { return .column(try name()) }
        if t.kind == .identifier && !["null", "true", "false", "nan", "infinity"].contains(t.lower) {
            return .column(try name())
        }
        return .term(try simpleTerm())
    }

    // MARK: WHERE

    mutating func whereClause() throws(CQLSyntaxError) -> [Relation] {
        var out = [try relation()]
        while acceptKeyword("and") { out.append(try relation()) }
        return out
    }

    mutating func comparisonOperator() -> RelationOperator? {
        guard current.kind == .symbol else { return nil }
        let op: RelationOperator?
        switch current.text {
        case "=": op = .equal
        case "!=": op = .notEqual
        case "<": op = .lessThan
        case "<=": op = .lessThanOrEqual
        case ">": op = .greaterThan
        case ">=": op = .greaterThanOrEqual
        default: op = nil
        }
        if op != nil { advance() }
        return op
    }

    mutating func relation() throws(CQLSyntaxError) -> Relation {
        let start = current.range.start
        // (a, b) op (1, 2) | (a, b) IN ((..), (..)) | (a, b) IN ? | (relation)
        if current.isSymbol("(") {
            let isColumnTuple = atNameAt(1) && (peek(2).isSymbol(",") || peek(2).isSymbol(")"))
            advance()
            if !isColumnTuple {
                try enter()
                defer { leave() }
                let inner = try relation()
                try expectSymbol(")")
                return inner
            }
            let columns = try nameList()
            try expectSymbol(")")
            if acceptKeyword("in") {
                return Relation(.columns(columns), .in, try inValue(), range: range(from: start))
            }
            if atKeyword("not") && peek(1).isKeyword("in") {
                advance(); advance()
                return Relation(.columns(columns), .notIn, try inValue(), range: range(from: start))
            }
            if acceptKeyword("between") {
                let low = try term()
                try expectKeyword("and")
                return Relation(.columns(columns), .between, .list([low, try term()]), range: range(from: start))
            }
            guard let op = comparisonOperator() else { throw noViableAlternative() }
            return Relation(.columns(columns), op, .term(try term()), range: range(from: start))
        }
        if current.isKeyword("token") && peek(1).isSymbol("(") {
            advance(); advance()
            var columns: [String] = []
            if !acceptSymbol(")") {
                columns = try nameList()
                try expectSymbol(")")
            }
            if acceptKeyword("between") {
                let low = try term()
                try expectKeyword("and")
                return Relation(.token(columns), .between, .list([low, try term()]), range: range(from: start))
            }
            guard let op = comparisonOperator() else { throw noViableAlternative() }
            return Relation(.token(columns), op, .term(try term()), range: range(from: start))
        }
        let column = try name()
        var target = RelationTarget.column(column)
        if acceptSymbol("[") {
            let key = try term()
            try expectSymbol("]")
            target = .element(column, key)
        }
        return try relationTail(target, start)
    }

    /// Operator and value after a relation's left-hand side (WHERE and IF share it).
    mutating func relationTail(_ target: RelationTarget, _ start: SourcePosition) throws(CQLSyntaxError) -> Relation {
        if let op = comparisonOperator() {
            return Relation(target, op, .term(try term()), range: range(from: start))
        }
        if acceptKeyword("in") {
            return Relation(target, .in, try inValue(), range: range(from: start))
        }
        if acceptKeyword("contains") {
            let op: RelationOperator = acceptKeyword("key") ? .containsKey : .contains
            return Relation(target, op, .term(try term()), range: range(from: start))
        }
        if atKeyword("not") && (peek(1).isKeyword("in") || peek(1).isKeyword("contains")) {
            advance()
            if acceptKeyword("in") { return Relation(target, .notIn, try inValue(), range: range(from: start)) }
            advance()
            let op: RelationOperator = acceptKeyword("key") ? .notContainsKey : .notContains
            return Relation(target, op, .term(try term()), range: range(from: start))
        }
        if acceptKeyword("between") {
            let low = try term()
            try expectKeyword("and")
            return Relation(target, .between, .list([low, try term()]), range: range(from: start))
        }
        if acceptKeyword("like") {
            return Relation(target, .like, .term(try term()), range: range(from: start))
        }
        if acceptKeyword("is") {
            try expectKeyword("not")
            let t = current
            try expectKeyword("null")
            return Relation(target, .isNot, .term(Term(.null, range: t.range)), range: range(from: start))
        }
        throw noViableAlternative()
    }

    /// After IN: a marker, or a parenthesised (possibly empty) list of terms.
    mutating func inValue() throws(CQLSyntaxError) -> RelationValue {
        if current.isSymbol("?") || current.isSymbol(":") { return .term(try bindMarkerTerm()) }
        try expectSymbol("(")
        var values: [Term] = []
        if !acceptSymbol(")") {
            repeat { values.append(try term()) } while acceptSymbol(",")
            try expectSymbol(")")
        }
        return .list(values)
    }
}
