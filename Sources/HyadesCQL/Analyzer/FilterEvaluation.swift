import HyadesCore

/// A filter with its operands resolved for one execution: evaluated against each row's
/// value of the column (its serialized form; for a non-frozen collection the value
/// `ComplexValue.serialize` builds; nil for null).
public struct BoundFilter: Hashable, Sendable {
    public var column: ColumnID
    public var op: RelationOperator
    public var type: CQLType
    public var elementKey: [UInt8]?
    /// One operand, or the IN list.
    public var operands: [[UInt8]]

    /// Whether a row whose column holds `value` passes. Null never matches (as in
    /// Cassandra); a value that cannot be compared (malformed) does not match either.
    public func matches(_ value: [UInt8]?) -> Bool {
        guard let value else { return false }
        let t = type.unfrozen
        func cmp(_ a: [UInt8], _ b: [UInt8], _ ty: CQLType) -> Int? {
            // A duration has no order (it cannot be a key) but equal durations have equal
            // bytes (Cassandra's DurationType compares bytes): =, != and IN compare those.
            if case .duration = ty { return a == b ? 0 : ByteOrder.compare(a, b) }
            let key = ty.isScalar ? ty : CQLType.frozen(ty.unfrozen)
            return try? ByteComparable.compare(a, b, type: key)
        }
        func elements(_ perEntry: Int) -> [[UInt8]]? { try? CQLLiteral.elements(of: value, perEntry: perEntry) }
        if let elementKey {
            guard case .map(let kt, let vt) = t, let kv = elements(2) else { return false }
            var i = 0
            while i + 1 < kv.count {
                if cmp(kv[i], elementKey, kt) == 0 { return operands.first.flatMap { cmp(kv[i + 1], $0, vt) } == 0 }
                i += 2
            }
            return false
        }
        switch op {
        case .equal, .notEqual, .lessThan, .lessThanOrEqual, .greaterThan, .greaterThanOrEqual:
            guard let operand = operands.first, let c = cmp(value, operand, t) else { return false }
            switch op {
            case .equal: return c == 0
            case .notEqual: return c != 0
            case .lessThan: return c < 0
            case .lessThanOrEqual: return c <= 0
            case .greaterThan: return c > 0
            default: return c >= 0
            }
        case .in, .notIn:
            let found = operands.contains { cmp(value, $0, t) == 0 }
            return op == .in ? found : !found
        case .contains, .notContains:
            guard let operand = operands.first else { return false }
            let found: Bool
            switch t {
            case .list(let e), .set(let e):
                found = (elements(1) ?? []).contains { cmp($0, operand, e) == 0 }
            case .map(_, let v):
                let kv = elements(2) ?? []
                found = stride(from: 1, to: kv.count, by: 2).contains { cmp(kv[$0], operand, v) == 0 }
            default: return false
            }
            return op == .contains ? found : !found
        case .containsKey, .notContainsKey:
            guard let operand = operands.first, case .map(let k, _) = t else { return false }
            let kv = elements(2) ?? []
            let found = stride(from: 0, to: kv.count, by: 2).contains { cmp(kv[$0], operand, k) == 0 }
            return op == .containsKey ? found : !found
        default:
            return false
        }
    }
}

extension FilterPlan {
    /// Resolves the operands against the bound values (once per execution).
    public func bind(_ values: [CQLBoundValue]) throws(CQLAnalysisError) -> BoundFilter {
        let time = ExecutionTime.unspecified
        func operand(_ t: ValueTerm) throws(CQLAnalysisError) -> [UInt8] {
            switch try t.resolve(values, time: time) {
            case .value(let b): return b
            case .null: throw .invalid("Invalid null value for column \(name)")
            case .unset: throw .invalid("Invalid unset value for column \(name)")
            }
        }
        var key: [UInt8]?
        if let elementKey { key = try operand(elementKey) }
        var operands: [[UInt8]]
        if op == .in || op == .notIn {
            let list = try operand(value)
            do { operands = try CQLLiteral.elements(of: list, perEntry: 1) } catch { throw .invalid("Invalid IN list for \(name): \(error.message)") }
        } else {
            operands = [try operand(value)]
        }
        return BoundFilter(column: column, op: op, type: type, elementKey: key, operands: operands)
    }
}
