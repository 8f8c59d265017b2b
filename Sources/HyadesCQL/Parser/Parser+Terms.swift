import HyadesCore

/// Terms (values) and types.
extension Parser {
    /// Whether the current token can begin a term (used to disambiguate `(type) term`).
    var atTermStart: Bool {
        let t = current
        switch t.kind {
        case .string, .integer, .float, .hexBlob, .uuid, .duration, .quotedIdentifier: return true
        case .identifier: return true
        case .symbol: return ["?", ":", "-", "[", "{", "("].contains(t.text)
        case .endOfInput: return false
        }
    }

    /// A value expression: `simple (+|- simple)*` with `* / %` binding tighter, as in
    /// Cassandra 4's `termAddition`/`termMultiplication`.
    mutating func term() throws(CQLSyntaxError) -> Term {
        try enter()
        defer { leave() }
        let start = current.range.start
        var lhs = try termMultiplication()
        while current.kind == .symbol, current.text == "+" || current.text == "-" {
            // `l = [0] + l` (prepend) and `c = c - 1`: a bare column after the operator is
            // not a term; leave the operator to the assignment rule.
            if peekIsBareName(1) { break }
            let op: ArithmeticOperator = advance().text == "+" ? .add : .subtract
            let rhs = try termMultiplication()
            lhs = Term(.operation(op, lhs, rhs), range: range(from: start))
        }
        return lhs
    }

    /// Whether the token `ahead` is a name that is not the start of a function call.
    func peekIsBareName(_ ahead: Int) -> Bool {
        let t = peek(ahead)
        let literalWords: Set<String> = ["null", "true", "false", "nan", "infinity"]
        switch t.kind {
        case .quotedIdentifier: break
        case .identifier where !reservedKeywords.contains(t.lower) && !literalWords.contains(t.lower): break
        default: return false
        }
        let next = peek(ahead + 1)
        if next.isSymbol("(") { return false }
        if next.isSymbol("."), peek(ahead + 3).isSymbol("(") { return false }
        return true
    }

    mutating func termMultiplication() throws(CQLSyntaxError) -> Term {
        let start = current.range.start
        var lhs = try termGroup()
        while current.kind == .symbol, ["*", "/", "%"].contains(current.text) {
            let op: ArithmeticOperator = switch advance().text {
            case "*": .multiply
            case "/": .divide
            default: .modulo
            }
            let rhs = try termGroup()
            lhs = Term(.operation(op, lhs, rhs), range: range(from: start))
        }
        return lhs
    }

    /// `-literal` folds into the constant (Cassandra's lexer reads `-1` as one INTEGER);
    /// `-anything else` is a negation.
    mutating func termGroup() throws(CQLSyntaxError) -> Term {
        if current.isSymbol("-") {
            let next = peek(1)
            switch next.kind {
            case .integer, .float, .duration: return try negativeConstant()
            case .identifier where next.lower == "nan" || next.lower == "infinity": return try negativeConstant()
            default:
                let start = current.range.start
                advance()
                let inner = try simpleTerm()
                return Term(.negation(inner), range: range(from: start))
            }
        }
        return try simpleTerm()
    }

    mutating func simpleTerm() throws(CQLSyntaxError) -> Term {
        try enter()
        defer { leave() }
        let start = current.range.start
        let t = current
        switch t.kind {
        case .string: advance(); return Term(.constant(Constant(.string, t.text)), range: t.range)
        case .integer: advance(); return Term(.constant(Constant(.integer, t.text)), range: t.range)
        case .float: advance(); return Term(.constant(Constant(.float, t.text)), range: t.range)
        case .hexBlob: advance(); return Term(.constant(Constant(.hexBlob, t.text)), range: t.range)
        case .uuid: advance(); return Term(.constant(Constant(.uuid, t.text)), range: t.range)
        case .duration: advance(); return Term(.constant(Constant(.duration, t.text)), range: t.range)
        case .identifier:
            switch t.lower {
            case "null": advance(); return Term(.null, range: t.range)
            case "true", "false": advance(); return Term(.constant(Constant(.boolean, t.lower)), range: t.range)
            case "nan": advance(); return Term(.constant(Constant(.float, "NaN")), range: t.range)
            case "infinity": advance(); return Term(.constant(Constant(.float, "Infinity")), range: t.range)
            case "cast" where peek(1).isSymbol("("):
                // CAST is a selector only: in a value (INSERT / UPDATE / WHERE) Cassandra's
                // grammar has no alternative at the `(`.
                advance()
                throw noViableAlternative()
            default: return try functionCallTerm(start)
            }
        case .quotedIdentifier:
            return try functionCallTerm(start)
        case .symbol:
            switch t.text {
            case "?", ":": return try bindMarkerTerm()
            case "[":
                advance()
                var elements: [Term] = []
                if !acceptSymbol("]") {
                    repeat { elements.append(try term()) } while acceptSymbol(",")
                    try expectSymbol("]")
                }
                return Term(.list(elements), range: range(from: start))
            case "{": return try braceLiteral()
            case "(": return try parenthesisTerm()
            default: throw noViableAlternative()
            }
        case .endOfInput:
            throw noViableAlternative()
        }
    }

    mutating func bindMarkerTerm() throws(CQLSyntaxError) -> Term {
        let start = current.range.start
        if acceptSymbol("?") {
            let m = BindMarker(index: markers.count, name: nil, range: range(from: start))
            markers.append(m)
            return Term(.bindMarker(m), range: m.range)
        }
        try expectSymbol(":")
        // `:name` — any word (even a keyword) may name a marker, as in Cassandra's `noncol_ident`.
        let n = try anyWord()
        let m = BindMarker(index: markers.count, name: n, range: range(from: start))
        markers.append(m)
        return Term(.bindMarker(m), range: m.range)
    }

    /// `-1`, `-1.5`, `-1h`, `-NaN`, `-Infinity`: the lexer keeps `-` separate, the parser
    /// folds it into the literal (so `c = c - 1` still reads as a subtraction).
    mutating func negativeConstant() throws(CQLSyntaxError) -> Term {
        let start = current.range.start
        try expectSymbol("-")
        let t = current
        let kind: Constant.Kind
        var text = t.text
        switch t.kind {
        case .integer: kind = .integer
        case .float: kind = .float
        case .duration: kind = .duration
        case .identifier where t.lower == "nan": kind = .float; text = "NaN"
        case .identifier where t.lower == "infinity": kind = .float; text = "Infinity"
        default: throw noViableAlternative()
        }
        advance()
        return Term(.constant(Constant(kind, "-" + text)), range: range(from: start))
    }

    mutating func functionName() throws(CQLSyntaxError) -> FunctionName {
        func word(_ p: inout Parser) throws(CQLSyntaxError) -> String {
            switch p.current.kind {
            case .quotedIdentifier: return p.advance().text
            // `token` and `count` are keywords but also function names.
            case .identifier where !reservedKeywords.contains(p.current.lower) || p.current.lower == "token":
                return p.advance().lower
            default: throw p.noViableAlternative()
            }
        }
        let first = try word(&self)
        if current.isSymbol("."), peek(1).kind == .identifier || peek(1).kind == .quotedIdentifier {
            advance()
            return FunctionName(keyspace: first, name: try word(&self))
        }
        return FunctionName(name: first)
    }

    mutating func functionCallTerm(_ start: SourcePosition) throws(CQLSyntaxError) -> Term {
        let fn = try functionName()
        guard current.isSymbol("(") else { throw noViableAlternative() }
        advance()
        var args: [Term] = []
        if !acceptSymbol(")") {
            repeat { args.append(try term()) } while acceptSymbol(",")
            try expectSymbol(")")
        }
        return Term(.functionCall(fn, args), range: range(from: start))
    }

    /// `{}`, `{1, 2}`, `{'k': v}`, `{field: v}`.
    mutating func braceLiteral() throws(CQLSyntaxError) -> Term {
        let start = current.range.start
        try expectSymbol("{")
        if acceptSymbol("}") { return Term(.set([]), range: range(from: start)) }
        let literalWords: Set<String> = ["null", "true", "false", "nan", "infinity"]
        let isField = (current.kind == .quotedIdentifier
                       || (current.kind == .identifier && !literalWords.contains(current.lower)))
            && peek(1).isSymbol(":")
        if isField {
            var fields: [FieldValue] = []
            repeat {
                let f = try anyWord()
                try expectSymbol(":")
                fields.append(FieldValue(field: f, value: try term()))
            } while acceptSymbol(",")
            try expectSymbol("}")
            return Term(.userType(fields), range: range(from: start))
        }
        let first = try term()
        if acceptSymbol(":") {
            var entries = [MapEntry(key: first, value: try term())]
            while acceptSymbol(",") {
                let k = try term()
                try expectSymbol(":")
                entries.append(MapEntry(key: k, value: try term()))
            }
            try expectSymbol("}")
            return Term(.map(entries), range: range(from: start))
        }
        var elements = [first]
        while acceptSymbol(",") { elements.append(try term()) }
        try expectSymbol("}")
        return Term(.set(elements), range: range(from: start))
    }

    /// `(type) term` type hint, or a tuple `(a, b, ...)`.
    mutating func parenthesisTerm() throws(CQLSyntaxError) -> Term {
        let start = current.range.start
        try expectSymbol("(")
        if current.kind == .identifier || current.kind == .quotedIdentifier || current.kind == .string {
            // Try a type hint; fall back to a tuple. Nothing below records markers before
            // the `)`, so restoring `pos` is enough.
            let saved = pos
            if let type = try? typeExpression(), acceptSymbol(")"), atTermStart,
               !(current.kind == .identifier && reservedKeywords.contains(current.lower)
                 && !["null", "nan", "infinity", "token"].contains(current.lower)) {
                let inner = try termGroup()
                return Term(.typeHint(type, inner), range: range(from: start))
            }
            pos = saved
        }
        var elements = [try term()]
        while acceptSymbol(",") { elements.append(try term()) }
        try expectSymbol(")")
        return Term(.tuple(elements), range: range(from: start))
    }

    // MARK: types

    mutating func typeExpression() throws(CQLSyntaxError) -> TypeExpression {
        try enter()
        defer { leave() }
        let t = current
        switch t.kind {
        case .string:
            advance()
            return .custom(t.text)
        case .quotedIdentifier:
            return try userTypeName()
        case .identifier:
            let lower = t.lower
            if ["list", "set", "frozen", "map", "tuple"].contains(lower) && peek(1).isSymbol("<") {
                advance()
                try expectSymbol("<")
                var args = [try typeExpression()]
                while acceptSymbol(",") { args.append(try typeExpression()) }
                guard current.isSymbol(">") else { throw mismatched(expecting: "'>'") }
                let argsEnd = current
                advance()
                func arity(_ n: Int) throws(CQLSyntaxError) {
                    if args.count != n {
                        throw CQLSyntaxError(at: argsEnd.range.start, token: ">",
                                             message: "\(lower) takes \(n) type argument\(n == 1 ? "" : "s"), got \(args.count)")
                    }
                }
                switch lower {
                case "list": try arity(1); return .list(args[0])
                case "set": try arity(1); return .set(args[0])
                case "map": try arity(2); return .map(args[0], args[1])
                case "frozen": try arity(1); return .frozen(args[0])
                default: return .tuple(args)
                }
            }
            if let native = nativeType(lower) {
                advance()
                return .native(native)
            }
            return try userTypeName()
        default:
            throw noViableAlternative()
        }
    }

    mutating func userTypeName() throws(CQLSyntaxError) -> TypeExpression {
        let q = try qualifiedName()
        return .userType(keyspace: q.keyspace, name: q.name)
    }

    func nativeType(_ lower: String) -> CQLType? { CQLType.builtin(lower) }
}
