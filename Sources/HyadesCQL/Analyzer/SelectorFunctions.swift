import HyadesCore

/// Evaluation of the aggregate selectors over serialized values, with Cassandra's
/// semantics: nulls are skipped, count counts non-null values, sum and avg of no rows are
/// 0 (integer overflow wraps, avg of integers truncates, as Java does), min / max of no
/// rows are null.
public struct Aggregator: Sendable {
    public let function: AggregateFunction
    public let type: CQLType
    var count: Int64 = 0
    var intSum: Int64 = 0
    var doubleSum: Double = 0
    var best: [UInt8]?

    enum Kind { case integer(width: Int), float, double, other }
    let kind: Kind

    public init(_ function: AggregateFunction, type: CQLType) throws(CQLAnalysisError) {
        self.function = function
        self.type = type
        switch type.unfrozen {
        case .tinyint: kind = .integer(width: 1)
        case .smallint: kind = .integer(width: 2)
        case .int: kind = .integer(width: 4)
        case .bigint, .counter: kind = .integer(width: 8)
        case .float: kind = .float
        case .double: kind = .double
        default: kind = .other
        }
        if function == .sum || function == .avg, case .other = kind {
            throw .invalid("\(function.rawValue) of \(type.cqlName) is not supported yet")
        }
    }

    /// Adds one row's value (nil: null, skipped).
    public mutating func add(_ value: [UInt8]?) {
        guard let value, !value.isEmpty || type.unfrozen == .text || type.unfrozen == .ascii || type.unfrozen == .blob else { return }
        count += 1
        switch function {
        case .count:
            return
        case .min, .max:
            guard let current = best else { best = value; return }
            guard let c = try? ByteComparable.compare(value, current, type: type.isScalar ? type : .frozen(type.unfrozen)) else { return }
            if (function == .min && c < 0) || (function == .max && c > 0) { best = value }
        case .sum, .avg:
            switch kind {
            case .integer(let width):
                guard value.count == width else { return }
                var x = Int64(Int8(bitPattern: value[0]))
                for b in value.dropFirst() { x = x << 8 | Int64(b) }
                intSum = intSum &+ x
            case .float:
                guard value.count == 4 else { return }
                doubleSum += Double(Float(bitPattern: value.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }))
            case .double:
                guard value.count == 8 else { return }
                doubleSum += Double(bitPattern: value.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            case .other:
                return
            }
        }
    }

    /// The aggregate's serialized value (nil: null).
    public func result() -> [UInt8]? {
        switch function {
        case .count: return CQLLiteralBytes.int64(count)
        case .min, .max: return best
        case .sum, .avg:
            switch kind {
            case .integer(let width):
                let v = function == .avg ? (count == 0 ? 0 : intSum / count) : intSum
                return Array(CQLLiteralBytes.int64(v).suffix(width))
            case .float:
                let v = function == .avg ? (count == 0 ? 0 : doubleSum / Double(count)) : doubleSum
                let bits = Float(v).bitPattern
                return [UInt8(bits >> 24), UInt8(bits >> 16 & 0xFF), UInt8(bits >> 8 & 0xFF), UInt8(bits & 0xFF)]
            case .double:
                let v = function == .avg ? (count == 0 ? 0 : doubleSum / Double(count)) : doubleSum
                return CQLLiteralBytes.int64(Int64(bitPattern: v.bitPattern))
            case .other:
                return nil
            }
        }
    }
}
