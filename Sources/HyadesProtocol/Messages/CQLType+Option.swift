import HyadesCore
import NIOCore

// CQLType as an [option] (spec section 4.2.5.2): the id from Core's `nativeOptionID`,
// then, for composite types, their element types. `frozen` is invisible on the wire, so
// a decoded type never contains `.frozen`.

/// Nesting deeper than this in a received type is rejected (a hostile [option] could
/// otherwise recurse until the stack overflows).
let maxTypeNestingDepth = 32

extension ByteBuffer {
    mutating func writeCQLTypeOption(_ type: CQLType) throws {
        writeInteger(type.nativeOptionID)
        switch type.unfrozen {
        case .list(let e), .set(let e):
            try writeCQLTypeOption(e)
        case .map(let k, let v):
            try writeCQLTypeOption(k)
            try writeCQLTypeOption(v)
        case .udt(let keyspace, let name, let fields):
            try writeCQLString(keyspace)
            try writeCQLString(name)
            guard fields.count <= Int(UInt16.max) else { throw ProtocolError.encoding("UDT with \(fields.count) fields") }
            writeInteger(UInt16(fields.count))
            for f in fields {
                try writeCQLString(f.name)
                try writeCQLTypeOption(f.type)
            }
        case .tuple(let elements):
            guard elements.count <= Int(UInt16.max) else { throw ProtocolError.encoding("tuple of \(elements.count) elements") }
            writeInteger(UInt16(elements.count))
            for e in elements { try writeCQLTypeOption(e) }
        default:
            break
        }
    }

    mutating func readCQLTypeOption(depth: Int = 0) throws -> CQLType {
        guard depth < maxTypeNestingDepth else { throw ProtocolError.malformedBody("type nested deeper than \(maxTypeNestingDepth)") }
        let id = try readCQLShort("[option] type id")
        switch id {
        case 0x0000:
            let className = try readCQLString("custom type class")
            throw ProtocolError.malformedBody("custom type \(className) is not supported")
        case 0x0020: return .list(try readCQLTypeOption(depth: depth + 1))
        case 0x0022: return .set(try readCQLTypeOption(depth: depth + 1))
        case 0x0021:
            let k = try readCQLTypeOption(depth: depth + 1)
            return .map(k, try readCQLTypeOption(depth: depth + 1))
        case 0x0030:
            let keyspace = try readCQLString("UDT keyspace")
            let name = try readCQLString("UDT name")
            let n = Int(try readCQLShort("UDT field count"))
            guard n <= readableBytes / 4 else { throw ProtocolError.malformedBody("UDT of \(n) fields in \(readableBytes) bytes") }
            var fields: [CQLField] = []
            fields.reserveCapacity(n)
            for _ in 0..<n {
                let fieldName = try readCQLString("UDT field name")
                fields.append(CQLField(fieldName, try readCQLTypeOption(depth: depth + 1)))
            }
            return .udt(keyspace: keyspace, name: name, fields: fields)
        case 0x0031:
            let n = Int(try readCQLShort("tuple arity"))
            guard n <= readableBytes / 2 else { throw ProtocolError.malformedBody("tuple of \(n) elements in \(readableBytes) bytes") }
            var elements: [CQLType] = []
            elements.reserveCapacity(n)
            for _ in 0..<n { elements.append(try readCQLTypeOption(depth: depth + 1)) }
            return .tuple(elements)
        default:
            guard let scalar = scalarTypesByOptionID[id] else {
                throw ProtocolError.malformedBody("unknown type option id 0x\(String(id, radix: 16))")
            }
            return scalar
        }
    }
}

/// Scalars by wire id, built from Core's table so the two can never disagree.
private let scalarTypesByOptionID: [UInt16: CQLType] = {
    var m: [UInt16: CQLType] = [:]
    for t in CQLType.scalars { m[t.nativeOptionID] = t }
    return m
}()
