/// Type text: parsing what system_schema stores (and what users write in DDL), printing it
/// back the way Cassandra does, and Cassandra's marshal class names (which drivers see in
/// some legacy schema tables and custom-type options).
extension CQLType {
    static let marshalPackage = "org.apache.cassandra.db.marshal."

    /// Parses CQL type text: `int`, `varchar`, `frozen<map<text, int>>`, `tuple<int, text>`.
    /// Case-insensitive for built-in names, whitespace tolerated. User-defined types are not
    /// known here, so an unknown name throws; use `parse(_:keyspace:resolveUDT:)` for those.
    public static func parse(_ s: String) throws -> CQLType {
        try parse(s, keyspace: "", resolveUDT: { _, _ in nil })
    }

    /// Parses type text, resolving any other name as a user-defined type through
    /// `resolveUDT(keyspace, name)` (unquoted names are lower-cased, `ks.name` qualifies the
    /// keyspace, otherwise `keyspace` is used). Throws `CQLTypeError` (.syntax) naming the
    /// problem and its character offset.
    public static func parse(_ s: String, keyspace: String,
                             resolveUDT: (_ keyspace: String, _ name: String) -> CQLType?) throws -> CQLType {
        var parser = TypeTextParser(text: Array(s.unicodeScalars), keyspace: keyspace)
        let type = try parser.parseType(resolveUDT)
        parser.skipSpaces()
        if parser.pos != parser.text.count {
            throw parser.error("unexpected '\(parser.text[parser.pos])' after type")
        }
        return type
    }

    /// The canonical type text, as Cassandra prints it in `system_schema.columns.type`
    /// (`frozen<map<text, int>>`, `frozen<tuple<int, text>>` for every tuple, user types by
    /// bare name, quoted when needed).
    public var cqlName: String {
        switch self {
        case .ascii: return "ascii"
        case .bigint: return "bigint"
        case .blob: return "blob"
        case .boolean: return "boolean"
        case .counter: return "counter"
        case .date: return "date"
        case .decimal: return "decimal"
        case .double: return "double"
        case .duration: return "duration"
        case .float: return "float"
        case .inet: return "inet"
        case .int: return "int"
        case .smallint: return "smallint"
        case .text: return "text"
        case .time: return "time"
        case .timestamp: return "timestamp"
        case .timeuuid: return "timeuuid"
        case .tinyint: return "tinyint"
        case .uuid: return "uuid"
        case .varint: return "varint"
        case .list(let e): return "list<\(e.cqlName)>"
        case .set(let e): return "set<\(e.cqlName)>"
        case .map(let k, let v): return "map<\(k.cqlName), \(v.cqlName)>"
        // Tuples are always frozen and Cassandra says so (CQL3Type.Tuple.toString(true)).
        case .tuple(let es): return "frozen<tuple<\(es.map(\.cqlName).joined(separator: ", "))>>"
        case .frozen(.tuple(let es)): return CQLType.tuple(es).cqlName
        case .frozen(let inner): return "frozen<\(inner.cqlName)>"
        case .udt(_, let name, _): return CQLType.maybeQuote(name)
        }
    }

    /// Cassandra's marshal class, e.g. `org.apache.cassandra.db.marshal.Int32Type`,
    /// `...ListType(...Int32Type)`, `...FrozenType(...)`, and
    /// `...UserType(ks,<hex name>,<hex field>:<class>,...)` as Cassandra writes it.
    public var className: String {
        let p = CQLType.marshalPackage
        switch self {
        case .ascii: return p + "AsciiType"
        case .bigint: return p + "LongType"
        case .blob: return p + "BytesType"
        case .boolean: return p + "BooleanType"
        case .counter: return p + "CounterColumnType"
        case .date: return p + "SimpleDateType"
        case .decimal: return p + "DecimalType"
        case .double: return p + "DoubleType"
        case .duration: return p + "DurationType"
        case .float: return p + "FloatType"
        case .inet: return p + "InetAddressType"
        case .int: return p + "Int32Type"
        case .smallint: return p + "ShortType"
        case .text: return p + "UTF8Type"
        case .time: return p + "TimeType"
        case .timestamp: return p + "TimestampType"
        case .timeuuid: return p + "TimeUUIDType"
        case .tinyint: return p + "ByteType"
        case .uuid: return p + "UUIDType"
        case .varint: return p + "IntegerType"
        case .list(let e): return p + "ListType(\(e.className))"
        case .set(let e): return p + "SetType(\(e.className))"
        case .map(let k, let v): return p + "MapType(\(k.className),\(v.className))"
        case .tuple(let es): return p + "TupleType(\(es.map(\.className).joined(separator: ",")))"
        case .frozen(let inner): return p + "FrozenType(\(inner.className))"
        case .udt(let ks, let name, let fields):
            var parts = [ks, hex(name)]
            for f in fields { parts.append(hex(f.name) + ":" + f.type.className) }
            return p + "UserType(\(parts.joined(separator: ",")))"
        }
    }

    private func hex(_ s: String) -> String {
        Array(s.utf8).map { String(format2: $0) }.joined()
    }

    /// Cassandra's ColumnIdentifier.maybeQuote: bare when a lower-case identifier,
    /// otherwise double-quoted with `"` doubled.
    static func maybeQuote(_ name: String) -> String {
        let scalars = Array(name.unicodeScalars)
        if let first = scalars.first, ("a"..."z").contains(first),
           scalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }) {
            return name
        }
        return "\"" + name.replacingAll("\"", with: "\"\"") + "\""
    }

    /// The native (non-collection) type a lower-case CQL type name names: the one table
    /// of names for the parser and the schema tables' type strings.
    public static func builtin(_ lowerName: String) -> CQLType? {
        switch lowerName {
        case "ascii": return .ascii
        case "bigint": return .bigint
        case "blob": return .blob
        case "boolean": return .boolean
        case "counter": return .counter
        case "date": return .date
        case "decimal": return .decimal
        case "double": return .double
        case "duration": return .duration
        case "float": return .float
        case "inet": return .inet
        case "int": return .int
        case "smallint": return .smallint
        case "text", "varchar": return .text
        case "time": return .time
        case "timestamp": return .timestamp
        case "timeuuid": return .timeuuid
        case "tinyint": return .tinyint
        case "uuid": return .uuid
        case "varint": return .varint
        default: return nil
        }
    }
}

extension String {
    /// Foundation-free replace, so Core's type layer does not pull Foundation in.
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        out.reserveCapacity(count)
        for c in self {
            if c == target { out += replacement } else { out.append(c) }
        }
        return out
    }
}

/// Recursive-descent parser over unicode scalars; errors carry the offset.
struct TypeTextParser {
    let text: [Unicode.Scalar]
    let keyspace: String
    var pos = 0

    init(text: [Unicode.Scalar], keyspace: String) {
        self.text = text
        self.keyspace = keyspace
    }

    func error(_ what: String) -> CQLTypeError {
        CQLTypeError(.syntax, "invalid CQL type '\(String(String.UnicodeScalarView(text)))': \(what) at offset \(pos)")
    }

    mutating func skipSpaces() {
        while pos < text.count, text[pos].properties.isWhitespace { pos += 1 }
    }

    /// An identifier, and whether it was double-quoted (quoted names keep their case).
    mutating func identifier() throws -> (String, quoted: Bool) {
        skipSpaces()
        guard pos < text.count else { throw error("expected a type name") }
        if text[pos] == "\"" {
            pos += 1
            var name = String.UnicodeScalarView()
            while true {
                guard pos < text.count else { throw error("unterminated quoted name") }
                let c = text[pos]
                pos += 1
                if c == "\"" {
                    if pos < text.count, text[pos] == "\"" { name.append("\""); pos += 1; continue }
                    break
                }
                name.append(c)
            }
            if name.isEmpty { throw error("empty quoted name") }
            return (String(name), true)
        }
        let start = pos
        while pos < text.count, isIdentifierChar(text[pos]) { pos += 1 }
        if pos == start { throw error("expected a type name, found '\(text[pos])'") }
        return (String(String.UnicodeScalarView(text[start..<pos])), false)
    }

    private func isIdentifierChar(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "_"
    }

    mutating func expect(_ c: Unicode.Scalar) throws {
        skipSpaces()
        guard pos < text.count, text[pos] == c else {
            throw error(pos < text.count ? "expected '\(c)', found '\(text[pos])'" : "expected '\(c)' before end")
        }
        pos += 1
    }

    mutating func peek(_ c: Unicode.Scalar) -> Bool {
        skipSpaces()
        return pos < text.count && text[pos] == c
    }

    mutating func arguments(_ resolve: (String, String) -> CQLType?) throws -> [CQLType] {
        try expect("<")
        var args = [try parseType(resolve)]
        while peek(",") {
            pos += 1
            args.append(try parseType(resolve))
        }
        try expect(">")
        return args
    }

    mutating func parseType(_ resolve: (String, String) -> CQLType?) throws -> CQLType {
        let (raw, quoted) = try identifier()
        let name = quoted ? raw : raw.lowercased()
        if !quoted {
            switch name {
            case "list", "set", "frozen":
                let args = try arguments(resolve)
                guard args.count == 1 else { throw error("\(name) takes 1 type argument, got \(args.count)") }
                if name == "list" { return .list(args[0]) }
                if name == "set" { return .set(args[0]) }
                // frozen<tuple<...>> is just a tuple: tuples are always frozen.
                if case .tuple = args[0] { return args[0] }
                return .frozen(args[0])
            case "map":
                let args = try arguments(resolve)
                guard args.count == 2 else { throw error("map takes 2 type arguments, got \(args.count)") }
                return .map(args[0], args[1])
            case "tuple":
                return .tuple(try arguments(resolve))
            default:
                if let t = CQLType.builtin(name) { return t }
            }
        }
        // A user-defined type, possibly keyspace-qualified.
        var ks = keyspace
        var typeName = name
        if peek(".") {
            pos += 1
            let (raw2, quoted2) = try identifier()
            ks = name
            typeName = quoted2 ? raw2 : raw2.lowercased()
        }
        guard let t = resolve(ks, typeName) else { throw error("unknown type '\(typeName)'") }
        return t
    }
}
