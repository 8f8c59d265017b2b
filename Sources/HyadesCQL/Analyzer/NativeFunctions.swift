import HyadesCore

/// What is known of a function argument's type before the function is chosen: exact for
/// columns, function results, casts and type hints; a literal's kind; nothing for markers
/// and null (Cassandra's AssignmentTestable: EXACT_MATCH / WEAKLY_ASSIGNABLE).
enum ArgumentType {
    case exact(CQLType)
    case literal(CQLLiteral.Kind)
    case untyped

    func assignable(to p: CQLType) -> Bool {
        switch self {
        case .exact(let t): return NativeFunctions.valueCompatible(p, with: t)
        case .literal(let k): return CQLLiteral.assignable(k, to: p.unfrozen)
        case .untyped: return true
        }
    }

    func exactly(_ p: CQLType) -> Bool {
        if case .exact(let t) = self { return t.unfrozen == p.unfrozen }
        return false
    }
}

/// One overload of a native function.
struct FunctionSignature {
    /// As Cassandra names it in result columns and errors: `system.totimestamp`.
    var name: String
    var parameters: [CQLType]
    var result: CQLType
    var function: ScalarFunction

    var description: String {
        "\(name) : (\(parameters.map(\.cqlName).joined(separator: ", "))) -> \(result.cqlName)"
    }
}

/// The native scalar functions with arguments, by name (lower-cased), and Cassandra's
/// overload resolution (FunctionResolver.pickBestMatch).
enum NativeFunctions {
    /// The overloads of `name`, or nil if no native function has that name.
    static func overloads(_ name: String) -> [FunctionSignature]? {
        // Named as called (`system.totimestamp`, `system.to_timestamp`).
        let q = "system.\(name)"
        switch snakeCaseAliases[name] ?? name {
        case "todate":
            return [.timeuuid, .timestamp].map { FunctionSignature(name: q, parameters: [$0], result: .date, function: .toDate($0)) }
        case "totimestamp":
            return [.timeuuid, .date].map { FunctionSignature(name: q, parameters: [$0], result: .timestamp, function: .toTimestamp($0)) }
        case "tounixtimestamp":
            return [.timeuuid, .timestamp, .date].map { FunctionSignature(name: q, parameters: [$0], result: .bigint, function: .toUnixTimestamp($0)) }
        case "dateof":
            return [FunctionSignature(name: q, parameters: [.timeuuid], result: .timestamp, function: .toTimestamp(.timeuuid))]
        case "unixtimestampof":
            return [FunctionSignature(name: q, parameters: [.timeuuid], result: .bigint, function: .toUnixTimestamp(.timeuuid))]
        case "mintimeuuid":
            return [FunctionSignature(name: q, parameters: [.timestamp], result: .timeuuid, function: .minTimeuuid)]
        case "maxtimeuuid":
            return [FunctionSignature(name: q, parameters: [.timestamp], result: .timeuuid, function: .maxTimeuuid)]
        default:
            for prefix in ["blobas", "blob_as_"] where name.hasPrefix(prefix) {
                if let t = CQLType.builtin(String(name.dropFirst(prefix.count))), t != .blob {
                    return [FunctionSignature(name: q, parameters: [.blob], result: t, function: .blobAs(t))]
                }
            }
            for suffix in ["asblob", "_as_blob"] where name.hasSuffix(suffix) {
                if let t = CQLType.builtin(String(name.dropLast(suffix.count))), t != .blob {
                    return [FunctionSignature(name: q, parameters: [t], result: .blob, function: .asBlob)]
                }
            }
            return nil
        }
    }

    /// Cassandra 5's snake_case names of the camelCase functions (both are accepted; the
    /// result column is named as called).
    static let snakeCaseAliases: [String: String] = [
        "to_date": "todate", "to_timestamp": "totimestamp", "to_unix_timestamp": "tounixtimestamp",
        "min_timeuuid": "mintimeuuid", "max_timeuuid": "maxtimeuuid",
    ]

    /// Cassandra's receiver.type.isValueCompatibleWith(type): the bytes of a `type` value
    /// are a valid `receiver` value.
    static func valueCompatible(_ receiver: CQLType, with type: CQLType) -> Bool {
        let r = receiver.unfrozen, t = type.unfrozen
        if r == t { return true }
        switch (r, t) {
        case (.blob, _), (.uuid, .timeuuid), (.text, .ascii), (.timestamp, .bigint), (.bigint, .timestamp), (.bigint, .counter): return true
        default: return false
        }
    }

    /// The overload of `name` for these arguments.
    /// `inSelection`: Cassandra words an unknown name differently in a selector.
    /// `texts`: the arguments as written, for errors.
    static func pick(_ name: String, _ args: [ArgumentType], display: String, inSelection: Bool = false,
                     texts: [String] = []) throws(CQLAnalysisError) -> FunctionSignature {
        if TermFunction.named(name) != nil || name == "token" && args.isEmpty {
            throw .invalid("Invalid number of arguments in call to function system.\(name): \(name == "token" ? "1" : "0") required but \(args.count) provided")
        }
        guard let all = overloads(name) else {
            throw .invalid(inSelection ? "Unknown function '\(display)'" : "Unknown function \(display) called")
        }
        let candidates = all.filter { $0.parameters.count == args.count }
        guard !candidates.isEmpty else {
            throw .invalid("Invalid number of arguments in call to function \(all[0].name): \(all[0].parameters.count) required but \(args.count) provided")
        }
        if candidates.count == 1 {
            let c = candidates[0]
            for (i, a) in args.enumerated() where !a.assignable(to: c.parameters[i]) {
                let text = i < texts.count ? texts[i] : argumentText(a)
                throw .invalid("Type error: \(text) cannot be passed as argument \(i) of function \(c.name) of type \(c.parameters[i].cqlName)")
            }
            return c
        }
        var compatible: [FunctionSignature] = []
        for c in candidates {
            if zip(args, c.parameters).allSatisfy({ $0.exactly($1) }) { return c }
            if zip(args, c.parameters).allSatisfy({ $0.assignable(to: $1) }) { compatible.append(c) }
        }
        if compatible.isEmpty {
            throw .invalid("Invalid call to function \(candidates[0].name), none of its type signatures match (known type signatures: \(candidates.map(\.description).joined(separator: ", ")))")
        }
        if compatible.count > 1 {
            throw .invalid("Ambiguous call to function \(candidates[0].name) (can be matched by following signatures: \(compatible.map(\.description).joined(separator: ", "))): use type casts to disambiguate")
        }
        return compatible[0]
    }

    static func argumentText(_ a: ArgumentType) -> String {
        switch a {
        case .exact(let t): return "value of type \(t.cqlName)"
        case .literal(let k): return "\(k.rawValue.lowercased()) literal"
        case .untyped: return "value"
        }
    }

    /// The type an integer / float literal takes when nothing else decides it (Cassandra's
    /// Constants.Type.getPreferedTypeFor): int, bigint or varint by magnitude; double, or
    /// decimal when no double holds the literal exactly.
    static func preferredType(_ c: Constant) -> CQLType? {
        switch c.kind {
        case .integer:
            if Int32(c.text) != nil { return .int }
            if Int64(c.text) != nil { return .bigint }
            return .varint
        case .float:
            // double when the double nearest to the literal is the literal, else decimal.
            guard let d = Double(c.text), d.isFinite else { return .double }
            guard let a = normalizedDecimal(c.text), let b = normalizedDecimal(d.description) else { return .double }
            return a == b ? .double : .decimal
        case .duration: return .duration
        case .boolean: return .boolean
        case .uuid: return .uuid
        case .hexBlob: return .blob
        case .string: return .text
        }
    }

    /// Sign, significant digits and the power of ten of the first digit of a decimal
    /// numeral (`2.50` and `2.5e0` give the same), for comparing values exactly.
    static func normalizedDecimal(_ text: String) -> (Bool, String, Int)? {
        var s = Substring(text)
        let negative = s.hasPrefix("-")
        if negative || s.hasPrefix("+") { s = s.dropFirst() }
        var exponent = 0
        if let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            guard let x = Int(s[s.index(after: e)...].drop { $0 == "+" }) else { return nil }
            exponent = x
            s = s[..<e]
        }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return nil }
        var digits = String(parts[0] + (parts.count > 1 ? parts[1] : ""))
        guard digits.allSatisfy(\.isNumber) else { return nil }
        var point = parts[0].count + exponent
        while digits.hasPrefix("0") { digits.removeFirst(); point -= 1 }
        while digits.hasSuffix("0") { digits.removeLast() }
        if digits.isEmpty { return (false, "", 0) }
        return (negative, digits, point)
    }

    static func literalKind(_ k: Constant.Kind) -> CQLLiteral.Kind {
        switch k {
        case .string: .string
        case .integer: .integer
        case .float: .float
        case .boolean: .boolean
        case .uuid: .uuid
        case .hexBlob: .hex
        case .duration: .duration
        }
    }

    /// The signature of `l op r` for operand types, or nil if Cassandra has none:
    /// numbers (OperationFcts.returnType), timestamp / date ± duration.
    static func operation(_ op: ArithmeticOperator, _ l: CQLType, _ r: CQLType) -> FunctionSignature? {
        let lt = l.unfrozen, rt = r.unfrozen
        let name = "system.\(ScalarFunction.operationName(op))"
        if CQLNumber.numericTypes.contains(lt) && CQLNumber.numericTypes.contains(rt) {
            let result = CQLNumber.resultType(lt, rt)
            return FunctionSignature(name: name, parameters: [lt, rt], result: result,
                                     function: .arithmetic(op, left: lt, right: rt, result: result))
        }
        if (lt == .timestamp || lt == .date), rt == .duration, op == .add || op == .subtract {
            return FunctionSignature(name: name, parameters: [lt, rt], result: lt,
                                     function: .arithmetic(op, left: lt, right: rt, result: lt))
        }
        return nil
    }

    /// An operand as FunctionResolver sees it: its own type, a literal (with its preferred
    /// type), or a marker / null (weakly assignable to anything).
    enum Operand {
        case exact(CQLType)
        case literal(CQLLiteral.Kind, preferred: CQLType?)
        case marker
        case null

        func match(_ p: CQLType) -> AssignmentMatch {
            switch self {
            case .exact(let t): return t.unfrozen == p ? .exact : NativeFunctions.valueCompatible(p, with: t) ? .weak : .none
            case .literal(let k, let preferred): return preferred == p ? .exact : CQLLiteral.assignable(k, to: p) ? .weak : .none
            case .marker, .null: return .weak
            }
        }
    }

    enum AssignmentMatch { case exact, weak, none }

    /// Every overload of `op` (OperationFcts.all: each pair of numeric types, then
    /// timestamp / date ± duration).
    static func operationCandidates(_ op: ArithmeticOperator) -> [FunctionSignature] {
        let numeric: [CQLType] = [.tinyint, .smallint, .int, .bigint, .float, .double, .decimal, .varint, .counter]
        var out: [FunctionSignature] = []
        for l in numeric { for r in numeric { if let s = operation(op, l, r) { out.append(s) } } }
        if op == .add || op == .subtract {
            for t in [CQLType.timestamp, .date] { if let s = operation(op, t, .duration) { out.append(s) } }
        }
        return out
    }

    /// Cassandra's FunctionResolver.get for an operation: an exact match wins; several weak
    /// ones are ambiguous unless, with a receiver and no marker, one takes the receiver's
    /// type on both sides.
    static func resolveOperation(_ op: ArithmeticOperator, _ l: Operand, _ r: Operand, receiver: CQLType?,
                                 texts: (String, String)) throws(CQLAnalysisError) -> FunctionSignature {
        var compatible: [FunctionSignature] = []
        for c in operationCandidates(op) {
            if let receiver, !valueCompatible(receiver, with: c.result) { continue }
            let a = l.match(c.parameters[0]), b = r.match(c.parameters[1])
            if a == .none || b == .none { continue }
            if a == .exact && b == .exact { return c }
            compatible.append(c)
        }
        if compatible.isEmpty {
            throw .invalid("the '\(op.rawValue)' operation is not supported between \(texts.0) and \(texts.1)")
        }
        if compatible.count > 1 {
            let markers = [l, r].contains { if case .marker = $0 { return true } else { return false } }
            if let receiver, !markers,
               let c = compatible.first(where: { $0.parameters[0] == receiver.unfrozen && $0.parameters[1] == receiver.unfrozen }) {
                return c
            }
            throw .invalid("Ambiguous '\(op.rawValue)' operation: use type casts to disambiguate")
        }
        return compatible[0]
    }
}

extension ValueTerm {
    /// Folds a call whose arguments are all constants (as Cassandra executes such a
    /// function once, at preparation).
    static func folded(_ f: ScalarFunction, _ args: [ValueTerm]) throws(CQLAnalysisError) -> ValueTerm {
        var bytes: [[UInt8]?] = []
        for a in args {
            switch a {
            case .constant(let b): bytes.append(b)
            case .null: bytes.append(nil)
            default: return .call(f, args)
            }
        }
        return try f.execute(bytes).map { .constant($0) } ?? .null
    }
}

extension AnalysisContext {
    /// What is known of a term's type on its own (for choosing a function overload).
    func argumentType(_ t: Term, keyspace: String) -> ArgumentType {
        switch t.kind {
        case .constant(let c): return .literal(NativeFunctions.literalKind(c.kind))
        case .typeHint(let te, _): return (try? resolveType(te, keyspace: keyspace)).map { .exact($0) } ?? .untyped
        case .cast(_, let type): return .exact(type)
        case .negation(let inner): return argumentType(inner, keyspace: keyspace)
        case .functionCall(let fn, let args):
            let name = fn.name.lowercased()
            if args.isEmpty, let f = TermFunction.named(name) { return .exact(f.resultType) }
            if name == "token" { return .exact(.bigint) }
            let types = args.map { argumentType($0, keyspace: keyspace) }
            return (try? NativeFunctions.pick(name, types, display: fn.name)).map { .exact($0.result) } ?? .untyped
        case .operation(let op, let l, let r):
            let sig = try? NativeFunctions.resolveOperation(op, operand(l, keyspace: keyspace), operand(r, keyspace: keyspace),
                                                            receiver: nil, texts: ("", ""))
            return sig.map { .exact($0.result) } ?? .untyped
        default: return .untyped
        }
    }

    /// `f(args)` as a value for `receiver`.
    mutating func functionValue(_ fn: FunctionName, _ args: [Term], for receiver: ColumnSpecification) throws(CQLAnalysisError) -> ValueTerm {
        guard fn.keyspace == nil || fn.keyspace == "system" else { throw .invalid("Unknown function \(fn.keyspace!).\(fn.name) called") }
        let name = fn.name.lowercased()
        let type = receiver.type.unfrozen
        if args.isEmpty, let f = TermFunction.named(name) {
            guard NativeFunctions.valueCompatible(type, with: f.resultType) else {
                throw .invalid("Type error: cannot assign result of function system.\(name) (type \(f.resultType.cqlName)) to \(receiver.name) (type \(receiver.type.cqlName))")
            }
            return .function(f)
        }
        if name == "token" {
            guard let table = schema.table(keyspace: receiver.keyspace, name: receiver.table) else {
                throw .invalid("Unknown function token called")
            }
            let pk = table.partitionKeyColumns
            guard args.count == pk.count else {
                throw .invalid("Invalid number of arguments in call to function system.token: \(pk.count) required but \(args.count) provided")
            }
            guard NativeFunctions.valueCompatible(type, with: .bigint) else {
                throw .invalid("Type error: cannot assign result of function system.token (type bigint) to \(receiver.name) (type \(receiver.type.cqlName))")
            }
            var vals: [ValueTerm] = []
            // Markers are named as Cassandra's FunctionResolver.makeArgSpec names them.
            for (i, (a, c)) in zip(args, pk).enumerated() {
                vals.append(try value(a, for: derived(receiver, "arg\(i)(system.token)", c.type)))
            }
            return try ValueTerm.folded(.token(components: pk.count), vals)
        }
        let types = args.map { argumentType($0, keyspace: receiver.keyspace) }
        let sig = try NativeFunctions.pick(name, types, display: fn.name, texts: args.map(CQLPrinter.term))
        guard NativeFunctions.valueCompatible(type, with: sig.result) else {
            throw .invalid("Type error: cannot assign result of function \(sig.name) (type \(sig.result.cqlName)) to \(receiver.name) (type \(receiver.type.cqlName))")
        }
        var vals: [ValueTerm] = []
        for (i, a) in args.enumerated() {
            vals.append(try value(a, for: derived(receiver, "arg\(i)(\(sig.name))", sig.parameters[i])))
        }
        return try ValueTerm.folded(sig.function, vals)
    }

    /// An operand of an operation in a term.
    func operand(_ t: Term, keyspace: String) -> NativeFunctions.Operand {
        switch t.kind {
        case .constant(let c): return .literal(NativeFunctions.literalKind(c.kind), preferred: NativeFunctions.preferredType(c))
        case .bindMarker: return .marker
        case .null: return .null
        default:
            if case .exact(let type) = argumentType(t, keyspace: keyspace) { return .exact(type) }
            return .marker
        }
    }

    /// `l op r` as a value for `receiver`, the overload chosen as Cassandra chooses it
    /// (`? * 3` for an int is ambiguous there too: `(int) ? * 3`).
    mutating func operationValue(_ op: ArithmeticOperator, _ l: Term, _ r: Term, for receiver: ColumnSpecification) throws(CQLAnalysisError) -> ValueTerm {
        let ks = receiver.keyspace
        let sig = try NativeFunctions.resolveOperation(op, operand(l, keyspace: ks), operand(r, keyspace: ks), receiver: receiver.type,
                                                       texts: (CQLPrinter.term(l), CQLPrinter.term(r)))
        let lv = try value(l, for: derived(receiver, "arg0(\(sig.name))", sig.parameters[0]))
        let rv = try value(r, for: derived(receiver, "arg1(\(sig.name))", sig.parameters[1]))
        return try ValueTerm.folded(sig.function, [lv, rv])
    }

    /// `-x` (not a literal) as a value for a numeric receiver.
    mutating func negationValue(_ inner: Term, for receiver: ColumnSpecification) throws(CQLAnalysisError) -> ValueTerm {
        let type = receiver.type.unfrozen
        guard CQLNumber.numericTypes.contains(type), type != .counter else {
            throw .invalid("Invalid call to function system._negate, none of its type signatures match (argument of type \(receiver.type.cqlName))")
        }
        let v = try value(inner, for: derived(receiver, "arg0(system._negate)", type))
        return try ValueTerm.folded(.negate(type), [v])
    }
}

extension TermFunction {
    /// The function of no argument called `name` (lower-cased), if any.
    static func named(_ name: String) -> TermFunction? {
        switch name {
        case "now": .now
        case "currenttimeuuid", "current_timeuuid": .currentTimeUUID
        case "uuid": .uuid
        case "currenttimestamp", "current_timestamp": .currentTimestamp
        case "currentdate", "current_date": .currentDate
        case "currenttime", "current_time": .currentTime
        default: nil
        }
    }

    var resultType: CQLType {
        switch self {
        case .now, .currentTimeUUID: .timeuuid
        case .uuid: .uuid
        case .currentTimestamp: .timestamp
        case .currentDate: .date
        case .currentTime: .time
        }
    }
}

extension AnalysisContext {
    /// What is known of a selector argument's type before the function is chosen.
    mutating func selectorArgumentType(_ e: SelectorExpression, table t: TableMetadata) throws(CQLAnalysisError) -> (ArgumentType, String) {
        switch e {
        case .term(let term): return (argumentType(term, keyspace: t.keyspace), CQLPrinter.term(term))
        default:
            let (_, name, type) = try selector(e, table: t)
            return (.exact(type), name)
        }
    }

    /// An argument of a chosen function: a term becomes a value of the parameter's type.
    mutating func selectorArgument(_ e: SelectorExpression, _ parameter: CQLType, _ fname: String, _ i: Int,
                                   table t: TableMetadata) throws(CQLAnalysisError) -> (SelectorPlan, String) {
        if case .term(let term) = e {
            let v = try value(term, for: spec(t, "arg\(i)(\(fname))", parameter))
            return (.term(v), CQLPrinter.term(term))
        }
        let (p, name, type) = try selector(e, table: t)
        guard NativeFunctions.valueCompatible(parameter, with: type) else {
            throw .invalid("Type error: \(name) cannot be passed as argument \(i) of function \(fname) of type \(parameter.cqlName)")
        }
        return (p, name)
    }

    /// `f(args)` in a selection: the clock functions, and the native scalar functions.
    mutating func functionSelector(_ fn: FunctionName, _ args: [SelectorExpression], table t: TableMetadata) throws(CQLAnalysisError) -> (SelectorPlan, String, CQLType) {
        let name = fn.name.lowercased()
        if args.isEmpty, let f = TermFunction.named(name) {
            return (.term(.function(f)), "system.\(name)()", f.resultType)
        }
        var types: [ArgumentType] = [], texts: [String] = []
        for a in args {
            let (type, text) = try selectorArgumentType(a, table: t)
            types.append(type)
            texts.append(text)
        }
        let sig = try NativeFunctions.pick(name, types, display: fn.name, inSelection: true, texts: texts)
        var plans: [SelectorPlan] = [], names: [String] = []
        for (i, a) in args.enumerated() {
            let (p, n) = try selectorArgument(a, sig.parameters[i], sig.name, i, table: t)
            plans.append(p)
            names.append(n)
        }
        return (.call(sig.function, plans, sig.result), "\(sig.name)(\(names.joined(separator: ", ")))", sig.result)
    }

    /// `l op r` in a selection (Cassandra 4): named `l op r`, typed by OperationFcts, the
    /// overload chosen with no receiver (`n + ?` is ambiguous, as in Cassandra).
    mutating func operationSelector(_ op: ArithmeticOperator, _ l: SelectorExpression, _ r: SelectorExpression,
                                    table t: TableMetadata) throws(CQLAnalysisError) -> (SelectorPlan, String, CQLType) {
        func operand(_ e: SelectorExpression) throws(CQLAnalysisError) -> (NativeFunctions.Operand, String) {
            switch e {
            case .term(let term): return (self.operand(term, keyspace: t.keyspace), CQLPrinter.term(term))
            default:
                let (_, name, type) = try selector(e, table: t)
                return (.exact(type), name)
            }
        }
        let (lo, ln) = try operand(l), (ro, rn) = try operand(r)
        let sig = try NativeFunctions.resolveOperation(op, lo, ro, receiver: nil, texts: (ln, rn))
        let (lp, _) = try selectorArgument(l, sig.parameters[0], sig.name, 0, table: t)
        let (rp, _) = try selectorArgument(r, sig.parameters[1], sig.name, 1, table: t)
        return (.call(sig.function, [lp, rp], sig.result), "\(ln) \(op.rawValue) \(rn)", sig.result)
    }
}
