import HyadesCore

/// The IF clause of a conditional (lightweight-transaction) write. Produced only when
/// `Analyzer.conditionalUpdates` is on: the service must then read the row, evaluate the
/// condition and apply the mutation only if it holds (answering `[applied]`).
public enum ModificationCondition: Hashable, Sendable {
    case ifExists
    case ifNotExists
    /// Every condition must hold.
    case columns([ColumnCondition])
}

/// `IF c = v`, `IF m['k'] != v`, `IF u.f > v`, `IF c IN (...)`; `v` may be null.
public struct ColumnCondition: Hashable, Sendable {
    public var column: ColumnMetadata
    public var op: RelationOperator
    /// `m[k]` (map key) or `l[i]` (int index).
    public var elementKey: ValueTerm?
    /// `u.f` of a UDT column.
    public var fieldIndex: Int?
    /// The type of what is compared (the column's, the element's or the field's).
    public var comparedType: CQLType
    /// The operand; for IN a `.list` of operands or a list-typed marker.
    public var value: ValueTerm

    public func bind(_ values: [CQLBoundValue]) throws(CQLAnalysisError) -> BoundCondition {
        let time = ExecutionTime.unspecified
        var key: [UInt8]?
        if let elementKey {
            guard case .value(let k) = try elementKey.resolve(values, time: time) else {
                throw .invalid("Invalid null value for \(column.name) element")
            }
            key = k
        }
        var operands: [[UInt8]?] = []
        if op == .in {
            if case .list(let terms) = value {
                for t in terms {
                    switch try t.resolve(values, time: time) {
                    case .value(let b): operands.append(b)
                    case .null: operands.append(nil)
                    case .unset: throw .invalid("Invalid unset value for column \(column.name)")
                    }
                }
            } else {
                guard case .value(let list) = try value.resolve(values, time: time) else {
                    throw .invalid("Invalid null value for IN condition on \(column.name)")
                }
                do { operands = try CQLLiteral.elements(of: list, perEntry: 1) } catch { throw .invalid(error.message) }
            }
        } else {
            switch try value.resolve(values, time: time) {
            case .value(let b): operands = [b]
            case .null: operands = [nil]
            case .unset: throw .invalid("Invalid unset value for column \(column.name)")
            }
        }
        return BoundCondition(column: column, op: op, elementKey: key, fieldIndex: fieldIndex, comparedType: comparedType, operands: operands)
    }
}

public struct BoundCondition: Hashable, Sendable {
    public var column: ColumnMetadata
    public var op: RelationOperator
    public var elementKey: [UInt8]?
    public var fieldIndex: Int?
    public var comparedType: CQLType
    public var operands: [[UInt8]?]

    /// Whether the condition holds for the column's current serialized value (nil: null;
    /// for a non-frozen collection / UDT the value `ComplexValue.serialize` builds).
    /// As Cassandra: `= null` holds for null, `!= x` holds for null when x is not null,
    /// ordering comparisons never hold for null.
    public func matches(_ columnValue: [UInt8]?) -> Bool {
        let current = compared(columnValue)
        func equal(_ a: [UInt8]?, _ b: [UInt8]?) -> Bool {
            switch (a, b) {
            case (nil, nil): return true
            case (nil, _), (_, nil): return false
            case (let x?, let y?): return compare(x, y) == 0
            }
        }
        switch op {
        case .equal: return equal(current, operands.first ?? nil)
        case .notEqual: return !equal(current, operands.first ?? nil)
        case .in: return operands.contains { equal(current, $0) }
        case .lessThan, .lessThanOrEqual, .greaterThan, .greaterThanOrEqual:
            guard let current, let operand = operands.first ?? nil, let c = compare(current, operand) else { return false }
            switch op {
            case .lessThan: return c < 0
            case .lessThanOrEqual: return c <= 0
            case .greaterThan: return c > 0
            default: return c >= 0
            }
        default: return false
        }
    }

    func compare(_ a: [UInt8], _ b: [UInt8]) -> Int? {
        let t = comparedType.isScalar ? comparedType : .frozen(comparedType.unfrozen)
        return try? ByteComparable.compare(a, b, type: t)
    }

    func compared(_ value: [UInt8]?) -> [UInt8]? {
        guard let value else { return nil }
        if let fieldIndex {
            guard let parts = try? CQLLiteral.tupleComponents(of: value, maxCount: Int.max), fieldIndex < parts.count else { return nil }
            return parts[fieldIndex]
        }
        guard let elementKey else { return value }
        switch column.type.unfrozen {
        case .map(let kt, _):
            guard let kv = try? CQLLiteral.elements(of: value, perEntry: 2) else { return nil }
            var i = 0
            while i + 1 < kv.count {
                if (try? ByteComparable.compare(kv[i], elementKey, type: kt.isScalar ? kt : .frozen(kt.unfrozen))) == 0 { return kv[i + 1] }
                i += 2
            }
            return nil
        case .list:
            guard elementKey.count == 4, let list = try? CQLLiteral.elements(of: value, perEntry: 1) else { return nil }
            let index = Int(Int32(bitPattern: elementKey.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }))
            return index >= 0 && index < list.count ? list[index] : nil
        default:
            return nil
        }
    }
}

extension AnalysisContext {
    /// The IF clause, or an error when conditional updates are not enabled.
    mutating func condition(_ c: Condition, table t: TableMetadata, partitionKey: [KeyValues], clustering: ClusteringRestriction,
                            timestamp: Term?) throws(CQLAnalysisError) -> ModificationCondition? {
        if c == .none { return nil }
        guard analyzer.conditionalUpdates else { throw .invalid(Self.conditionalNotSupported) }
        if timestamp != nil { throw .invalid("Cannot provide custom timestamp for conditional updates") }
        for kv in partitionKey {
            if case .eq = kv { continue }
            throw .invalid("IN on the partition key is not supported with conditional updates")
        }
        if clustering.multiIn != nil || clustering.hasSlice || clustering.prefix.contains(where: { if case .eq = $0 { return false }; return true }) {
            throw .invalid("IN on the clustering key columns is not supported with conditional updates")
        }
        switch c {
        case .none: return nil
        case .ifExists: return .ifExists
        case .ifNotExists: return .ifNotExists
        case .columns(let relations):
            var out: [ColumnCondition] = []
            for r in relations {
                let name: String
                var key: Term?
                var field: String?
                switch r.target {
                case .column(let n): name = n
                case .element(let n, let k): name = n; key = k
                case .field(let n, let f): name = n; field = f
                default: throw .invalid("Invalid condition target")
                }
                let col = try column(name, in: t)
                if col.kind.isPrimaryKey { throw .invalid("PRIMARY KEY column '\(name)' cannot have IF conditions") }
                var type = col.type
                var keyTerm: ValueTerm?
                var fieldIndex: Int?
                if let key {
                    switch col.type.unfrozen {
                    case .map(let kt, let vt):
                        keyTerm = try value(key, for: spec(t, "key(\(name))", kt)); type = vt
                    case .list(let et):
                        keyTerm = try value(key, for: spec(t, "idx(\(name))", .int)); type = et
                    default: throw .invalid("Invalid element access on non-collection column \(name)")
                    }
                }
                if let field {
                    guard case .udt(_, _, let fields) = col.type.unfrozen, let i = fields.firstIndex(where: { $0.name == field }) else {
                        throw .invalid("Invalid field access \(name).\(field)")
                    }
                    fieldIndex = i; type = fields[i].type
                }
                let receiver = spec(t, name, type)
                let v: ValueTerm
                switch (r.op, r.value) {
                case (.in, .list(let terms)):
                    var vs: [ValueTerm] = []
                    for x in terms { vs.append(try value(x, for: receiver)) }
                    v = .list(vs)
                case (.in, .term(let x)):
                    v = try value(x, for: spec(t, "in(\(name))", .list(type)))
                case (.equal, .term(let x)), (.notEqual, .term(let x)), (.lessThan, .term(let x)), (.lessThanOrEqual, .term(let x)),
                     (.greaterThan, .term(let x)), (.greaterThanOrEqual, .term(let x)):
                    v = try value(x, for: receiver)
                default:
                    throw .invalid("Unsupported \"\(r.op.rawValue)\" condition on \(name)")
                }
                out.append(ColumnCondition(column: col, op: r.op, elementKey: keyTerm, fieldIndex: fieldIndex, comparedType: type, value: v))
            }
            return .columns(out)
        }
    }
}
