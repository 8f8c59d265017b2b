import HyadesCore
import NIOCore

/// BATCH (spec section 4.1.7).
public struct CQLBatch: Hashable, Sendable {
    public enum Kind: UInt8, Hashable, Sendable {
        case logged = 0
        case unlogged = 1
        case counter = 2
    }

    /// One statement of the batch: a query string or a prepared id, with its values.
    public struct Statement: Hashable, Sendable {
        public enum Target: Hashable, Sendable {
            case query(String)
            case prepared(id: [UInt8])
        }

        public var target: Target
        public var values: [CQLValue]

        public init(_ target: Target, values: [CQLValue] = []) {
            self.target = target
            self.values = values
        }
    }

    public var kind: Kind
    public var statements: [Statement]
    public var consistency: CQLConsistency
    public var serialConsistency: CQLConsistency?
    public var defaultTimestamp: Int64?

    public init(kind: Kind, statements: [Statement], consistency: CQLConsistency = .one,
                serialConsistency: CQLConsistency? = nil, defaultTimestamp: Int64? = nil) {
        self.kind = kind
        self.statements = statements
        self.consistency = consistency
        self.serialConsistency = serialConsistency
        self.defaultTimestamp = defaultTimestamp
    }

    func write(to out: inout ByteBuffer) throws {
        out.writeInteger(kind.rawValue)
        guard statements.count <= Int(UInt16.max) else { throw ProtocolError.encoding("batch of \(statements.count) statements") }
        out.writeInteger(UInt16(statements.count))
        for s in statements {
            switch s.target {
            case .query(let q):
                out.writeInteger(UInt8(0))
                try out.writeCQLLongString(q)
            case .prepared(let id):
                out.writeInteger(UInt8(1))
                try out.writeCQLShortBytes(id)
            }
            guard s.values.count <= Int(UInt16.max) else { throw ProtocolError.encoding("\(s.values.count) bound values") }
            out.writeInteger(UInt16(s.values.count))
            for v in s.values { try out.writeCQLValue(v) }
        }
        out.writeCQLConsistency(consistency)
        var flags: UInt8 = 0
        if serialConsistency != nil { flags |= CQLQueryFlag.serialConsistency }
        if defaultTimestamp != nil { flags |= CQLQueryFlag.defaultTimestamp }
        out.writeInteger(flags)
        if let serialConsistency { out.writeCQLConsistency(serialConsistency) }
        if let defaultTimestamp { out.writeInteger(defaultTimestamp) }
    }

    static func read(from body: inout ByteBuffer) throws -> CQLBatch {
        let rawKind = try body.readCQLByte("batch type")
        guard let kind = Kind(rawValue: rawKind) else { throw ProtocolError.malformedBody("unknown batch type \(rawKind)") }
        let n = Int(try body.readCQLShort("batch statement count"))
        // Each statement takes at least kind (1) + id/query length (2) + value count (2).
        guard n <= body.readableBytes / 5 else {
            throw ProtocolError.malformedBody("batch of \(n) statements in \(body.readableBytes) bytes")
        }
        // Values are never named: the spec's flag 0x40 for BATCH is unimplementable
        // (the flag follows the statements it would describe; CASSANDRA-10246), and
        // Cassandra rejects it too.
        let statements = try readStatements(from: &body, count: n)
        let consistency = try body.readCQLConsistency()
        let flags = try body.readCQLByte("batch flags")
        if flags & CQLQueryFlag.namesForValues != 0 {
            throw ProtocolError.malformedBody("names for values are not supported in BATCH")
        }
        var batch = CQLBatch(kind: kind, statements: statements, consistency: consistency)
        if flags & CQLQueryFlag.serialConsistency != 0 { batch.serialConsistency = try body.readCQLConsistency("serial consistency") }
        if flags & CQLQueryFlag.defaultTimestamp != 0 { batch.defaultTimestamp = try body.readCQLLong("default timestamp") }
        return batch
    }

    private static func readStatements(from body: inout ByteBuffer, count n: Int) throws -> [Statement] {
        var statements: [Statement] = []
        statements.reserveCapacity(n)
        for _ in 0..<n {
            let k = try body.readCQLByte("batch statement kind")
            let target: Statement.Target
            switch k {
            case 0: target = .query(try body.readCQLLongString("batch query"))
            case 1: target = .prepared(id: try body.readCQLShortBytes("batch prepared id"))
            default: throw ProtocolError.malformedBody("batch statement kind \(k)")
            }
            let m = Int(try body.readCQLShort("batch value count"))
            guard m <= body.readableBytes / 4 else { throw ProtocolError.malformedBody("\(m) values in \(body.readableBytes) bytes") }
            var values: [CQLValue] = []
            values.reserveCapacity(m)
            for _ in 0..<m { values.append(try body.readCQLValue()) }
            statements.append(Statement(target, values: values))
        }
        return statements
    }
}
