import HyadesCore

/// A value bound to a marker by EXECUTE / QUERY (protocol v4: length -1 null, -2 unset).
public enum CQLBoundValue: Hashable, Sendable {
    case value([UInt8])
    case null
    case unset
}

/// The bind variables of a prepared statement.
public struct VariableSpecifications: Hashable, Sendable {
    /// One per marker, in marker order.
    public var columns: [ColumnSpecification]
    /// For each partition key column (in key order), the index of the marker that binds
    /// it, when every component is bound by a single `= ?` marker (token-aware routing);
    /// empty otherwise.
    public var partitionKeyIndexes: [Int]

    public init(columns: [ColumnSpecification] = [], partitionKeyIndexes: [Int] = []) {
        self.columns = columns
        self.partitionKeyIndexes = partitionKeyIndexes
    }

    /// Cassandra's check that EXECUTE sent one value per marker.
    public func checkBound(_ values: [CQLBoundValue]) throws(CQLAnalysisError) {
        guard values.count == columns.count else {
            throw .invalid("There were \(columns.count) markers(?) in CQL but \(values.count) bound variables")
        }
    }

    /// Marker names (`:name` markers use their name, `?` the receiver's), for binding by name.
    public var names: [String] { columns.map(\.name) }
}

/// Time inputs of one execution: the write timestamp (µs) and the server's clock (s).
public struct ExecutionTime: Hashable, Sendable {
    public var timestamp: Int64
    public var nowInSeconds: Int32
    /// The statement's own time (µs) when USING TIMESTAMP replaced `timestamp`: `now()`,
    /// `currentTimestamp()`, ... give the time of the execution, never the write timestamp
    /// a client chose.
    public var clock: Int64?

    public init(timestamp: Int64, nowInSeconds: Int32) {
        self.timestamp = timestamp
        self.nowInSeconds = nowInSeconds
    }

    /// For reads, which have no write timestamp: a function that needs the time
    /// (`now()`, `currentTimestamp()`, ...) reads the clock when it runs, so a plan without
    /// one costs no clock read.
    public static let unspecified = ExecutionTime(timestamp: .min, nowInSeconds: 0)

    /// This, or the clock's time if unspecified.
    var resolved: ExecutionTime {
        guard timestamp == .min else { return self }
        let micros = Analyzer.microsecondsNow()
        return ExecutionTime(timestamp: micros, nowInSeconds: Int32(truncatingIfNeeded: micros / 1_000_000))
    }
}

/// A value expression after analysis: its receiver type is known, constants are already
/// serialized, markers point into the bound values.
public indirect enum ValueTerm: Hashable, Sendable {
    case constant([UInt8])
    case null
    /// Marker `index`; the value must be a valid `type`.
    case marker(Int, CQLType)
    /// A list or set literal; for a set the elements are sorted and deduplicated on
    /// evaluation (a set's serialized form is ordered).
    case list([ValueTerm])
    case set([ValueTerm], elementType: CQLType)
    case map([ValueTerm], [ValueTerm], keyType: CQLType)
    /// Tuple or UDT literal: components in order, nil-able.
    case tuple([ValueTerm])
    /// A function evaluated at execution time (`now()`, `uuid()`, `currentTimestamp()`, ...).
    case function(TermFunction)
    /// A native function of arguments (`toTimestamp(?)`, `token(?)`, `? + 1`, `intAsBlob(?)`)
    /// whose arguments are not all constants (those are folded during analysis).
    case call(ScalarFunction, [ValueTerm])

    /// A constant or a marker (no nested structure): what a key component usually is.
    public var markerIndex: Int? {
        if case .marker(let i, _) = self { return i }
        return nil
    }
}

/// Functions without arguments that produce a value at execution time.
public enum TermFunction: String, Hashable, Sendable {
    case now, uuid, currentTimestamp, currentDate, currentTime, currentTimeUUID
}

/// The result of evaluating a `ValueTerm`.
public enum ResolvedValue: Hashable, Sendable {
    case value([UInt8])
    case null
    case unset

    public var bytes: [UInt8]? {
        if case .value(let b) = self { return b }
        return nil
    }
}

extension ValueTerm {
    /// Evaluates against bound values. Markers' bytes are validated against their type.
    public func resolve(_ values: [CQLBoundValue], time: ExecutionTime) throws(CQLAnalysisError) -> ResolvedValue {
        switch self {
        case .constant(let b): return .value(b)
        case .null: return .null
        case .marker(let i, let type):
            guard i < values.count else {
                throw .invalid("No value bound for marker \(i) (\(values.count) values given)")
            }
            switch values[i] {
            case .null: return .null
            case .unset: return .unset
            case .value(let b):
                do { try type.validate(b) } catch {
                    throw .invalid("Invalid value for bind variable \(i) of type \(type.cqlName): \(error)")
                }
                return .value(b)
            }
        case .list(let elements):
            return .value(CQLLiteral.collection(try Self.resolveElements(elements, values, time)))
        case .set(let elements, let elementType):
            let e = try Self.resolveElements(elements, values, time)
            return .value(CQLLiteral.collection(try Self.sortedUnique(e, type: elementType).map { $0.1 }))
        case .map(let keys, let vals, let keyType):
            let k = try Self.resolveElements(keys, values, time)
            let v = try Self.resolveElements(vals, values, time)
            var byKey: [[UInt8]: Int] = [:]
            for (i, key) in k.enumerated() { byKey[key] = i }  // a repeated key: the last value wins
            let sorted = try Self.sortedUnique(k, type: keyType)
            return .value(CQLLiteral.map(sorted.map { ($0.1, v[byKey[$0.1]!]) }))
        case .tuple(let components):
            var out: [[UInt8]?] = []
            for c in components {
                switch try c.resolve(values, time: time) {
                case .value(let b): out.append(b)
                case .null, .unset: out.append(nil)
                }
            }
            return .value(CQLLiteral.tuple(out))
        case .function(let f):
            return .value(f.evaluate(time.resolved))
        case .call(let f, let args):
            var a: [[UInt8]?] = []
            a.reserveCapacity(args.count)
            for x in args {
                switch try x.resolve(values, time: time) {
                case .value(let b): a.append(b)
                case .null: a.append(nil)
                case .unset: throw .invalid("Invalid unset value for argument in call to function \(f.name)")
                }
            }
            return try f.execute(a).map { .value($0) } ?? .null
        }
    }

    static func resolveElements(_ terms: [ValueTerm], _ values: [CQLBoundValue], _ time: ExecutionTime) throws(CQLAnalysisError) -> [[UInt8]] {
        var out: [[UInt8]] = []
        out.reserveCapacity(terms.count)
        for t in terms {
            switch try t.resolve(values, time: time) {
            case .value(let b): out.append(b)
            case .null: throw .invalid("null is not supported inside collections")
            case .unset: throw .invalid("unset value is not supported inside collections")
            }
        }
        return out
    }

    /// Elements in their type's order (byte-comparable form), duplicates removed.
    static func sortedUnique(_ elements: [[UInt8]], type: CQLType) throws(CQLAnalysisError) -> [([UInt8], [UInt8])] {
        var keyed: [([UInt8], [UInt8])] = []
        for e in elements {
            do { keyed.append((try ByteComparable.encode(e, type: type), e)) } catch {
                throw .invalid("Invalid collection element of type \(type.cqlName): \(error)")
            }
        }
        keyed.sort { ByteOrder.compare($0.0, $1.0) < 0 }
        var out: [([UInt8], [UInt8])] = []
        for k in keyed where out.last.map({ $0.0 != k.0 }) ?? true { out.append(k) }
        return out
    }
}

extension TermFunction {
    func evaluate(_ time: ExecutionTime) -> [UInt8] {
        let micros = time.clock ?? time.timestamp
        switch self {
        case .now, .currentTimeUUID: return TimeUUID.make(micros: micros)
        case .uuid:
            var g = SystemRandomNumberGenerator()
            var b = (0..<16).map { _ in UInt8.random(in: 0...255, using: &g) }
            b[6] = b[6] & 0x0F | 0x40
            b[8] = b[8] & 0x3F | 0x80
            return b
        case .currentTimestamp:
            return CQLLiteralBytes.int64(micros / 1000)
        case .currentDate:
            let days = Int64(time.nowInSeconds) / 86_400 + (1 << 31)
            return Array(CQLLiteralBytes.int64(days).suffix(4))
        case .currentTime:
            let ofDay = micros % 86_400_000_000
            return CQLLiteralBytes.int64((ofDay < 0 ? ofDay + 86_400_000_000 : ofDay) * 1000)
        }
    }
}

enum CQLLiteralBytes {
    static func int64(_ v: Int64) -> [UInt8] {
        let u = UInt64(bitPattern: v)
        return (0..<8).map { UInt8(truncatingIfNeeded: u >> UInt64(56 - 8 * $0)) }
    }

    static func int32(_ v: Int32) -> [UInt8] { Array(int64(Int64(v)).suffix(4)) }

    static func readInt64(_ b: [UInt8]) -> Int64? {
        guard b.count == 8 else { return nil }
        return Int64(bitPattern: b.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    }

    static func readInt32(_ b: [UInt8]) -> Int32? {
        guard b.count == 4 else { return nil }
        return Int32(bitPattern: b.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
    }
}

/// Version-1 (time-based) UUIDs from a microsecond timestamp, with a random clock
/// sequence and node (Cassandra's `now()`).
public enum TimeUUID {
    public static func make(micros: Int64) -> [UInt8] {
        // 100ns intervals since 1582-10-15.
        let t = UInt64(bitPattern: micros &* 10 &+ 0x01B2_1DD2_1381_4000)
        let timeLow = UInt32(truncatingIfNeeded: t)
        let timeMid = UInt16(truncatingIfNeeded: t >> 32)
        let timeHi = UInt16(truncatingIfNeeded: t >> 48) & 0x0FFF | 0x1000
        var g = SystemRandomNumberGenerator()
        var out: [UInt8] = []
        out += [UInt8(timeLow >> 24), UInt8(timeLow >> 16 & 0xFF), UInt8(timeLow >> 8 & 0xFF), UInt8(timeLow & 0xFF)]
        out += [UInt8(timeMid >> 8), UInt8(timeMid & 0xFF), UInt8(timeHi >> 8), UInt8(timeHi & 0xFF)]
        out.append(UInt8.random(in: 0...0x3F, using: &g) | 0x80)
        for _ in 0..<7 { out.append(UInt8.random(in: 0...255, using: &g)) }
        return out
    }
}
