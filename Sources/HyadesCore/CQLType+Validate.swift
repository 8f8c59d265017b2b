/// Validation of serialized values (native protocol v4 value encoding). Stricter than
/// Cassandra in two places, on purpose: fixed-width types reject the empty value (Cassandra
/// tolerates it as a legacy "empty" value; drivers never send it), and varints must be
/// minimal two's complement (what every driver sends), so a value has exactly one form and
/// byte-comparable keys stay invertible.
extension CQLType {
    /// Throws `CQLTypeError` (.invalidValue) naming the type and what is wrong.
    public func validate(_ value: [UInt8]) throws {
        try value.withUnsafeBytes { try validate($0) }
    }

    public func validate(_ value: UnsafeRawBufferPointer) throws {
        if let problem = problem(value) {
            throw CQLTypeError(.invalidValue, "invalid \(cqlName) value: \(problem)")
        }
    }

    /// Why `v` is not a valid value of this type, or nil when it is.
    func problem(_ v: UnsafeRawBufferPointer) -> String? {
        func width(_ n: Int) -> String? {
            v.count == n ? nil : "expected \(n) bytes, got \(v.count)"
        }
        switch self {
        case .ascii:
            if let i = v.firstIndex(where: { $0 >= 0x80 }) { return "byte 0x\(String(format2: v[i])) at offset \(i) is not ASCII" }
            return nil
        case .text:
            if let i = CQLSerialized.firstInvalidUTF8(v) { return "invalid UTF-8 at offset \(i)" }
            return nil
        case .blob:
            return nil
        case .boolean, .tinyint: return width(1)
        case .smallint: return width(2)
        case .int, .float, .date: return width(4)
        case .bigint, .counter, .double, .timestamp: return width(8)
        case .time:
            if let p = width(8) { return p }
            let nanos = Int64(bitPattern: CQLSerialized.loadUInt64(v, 0))
            if nanos < 0 || nanos >= 86_400_000_000_000 {
                return "\(nanos) nanoseconds is outside a day (0 ..< 86400000000000)"
            }
            return nil
        case .uuid: return width(16)
        case .timeuuid:
            if let p = width(16) { return p }
            if v[6] >> 4 != 1 { return "version \(v[6] >> 4) is not a time-based (version 1) UUID" }
            return nil
        case .inet:
            return v.count == 4 || v.count == 16 ? nil : "expected 4 (IPv4) or 16 (IPv6) bytes, got \(v.count)"
        case .varint:
            return CQLType.varintProblem(v)
        case .decimal:
            guard v.count >= 5 else { return "expected a 4-byte scale and at least 1 byte of unscaled value, got \(v.count) bytes" }
            if let p = CQLType.varintProblem(UnsafeRawBufferPointer(rebasing: v[4...])) { return "unscaled value: \(p)" }
            return nil
        case .duration:
            guard let d = CQLSerialized.readDuration(v) else {
                return "expected three vints (months, days, nanoseconds) with months and days in int32 range"
            }
            let signs = [Int64(d.months).signum(), Int64(d.days).signum(), d.nanos.signum()]
            if signs.contains(1) && signs.contains(-1) {
                return "months, days and nanoseconds must all have the same sign (got \(d.months), \(d.days), \(d.nanos))"
            }
            return nil
        case .list(let e), .set(let e):
            switch CQLSerialized.collectionElements(v, perEntry: 1) {
            case .failure(let err): return err.message
            case .success(let elements):
                for (i, el) in elements.enumerated() {
                    if let p = e.problem(el) { return "element \(i) (\(e.cqlName)): \(p)" }
                }
                return nil
            }
        case .map(let k, let val):
            switch CQLSerialized.collectionElements(v, perEntry: 2) {
            case .failure(let err): return err.message
            case .success(let elements):
                for i in 0..<(elements.count / 2) {
                    if let p = k.problem(elements[2 * i]) { return "key \(i) (\(k.cqlName)): \(p)" }
                    if let p = val.problem(elements[2 * i + 1]) { return "value \(i) (\(val.cqlName)): \(p)" }
                }
                return nil
            }
        case .tuple, .udt:
            let types = CQLSerialized.componentTypes(self)!
            switch CQLSerialized.tupleElements(v, maxCount: types.count) {
            case .failure(let err): return err.message
            case .success(let comps):
                for (i, c) in comps.enumerated() {
                    if let c, let p = types[i].problem(c) { return "component \(i) (\(types[i].cqlName)): \(p)" }
                }
                return nil
            }
        case .frozen(let inner):
            return inner.problem(v)
        }
    }

    /// Non-empty, minimal two's complement (no redundant leading 0x00 / 0xFF byte).
    static func varintProblem(_ v: UnsafeRawBufferPointer) -> String? {
        guard v.count > 0 else { return "a varint needs at least 1 byte" }
        if v.count >= 2 {
            if (v[0] == 0x00 && v[1] < 0x80) || (v[0] == 0xFF && v[1] >= 0x80) {
                return "not minimal two's complement (redundant leading 0x\(String(format2: v[0])))"
            }
        }
        return nil
    }
}
