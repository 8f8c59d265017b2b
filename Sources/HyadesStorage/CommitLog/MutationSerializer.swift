import HyadesCore

/// Malformed serialized mutation: where in the bytes and what was wrong.
public struct MutationSerializationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Byte offset within the serialized mutation.
    public var offset: Int
    public var reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "malformed mutation at byte \(offset): \(reason)" }
}

/// `Mutation` <-> bytes: the payload of a commit-log entry (docs/formats/commitlog.md,
/// "Mutation encoding"). Compact (varints, presence flags so defaults cost nothing) and
/// versioned by its first byte. Decoding is total: any input either yields a mutation or
/// throws `MutationSerializationError`, never traps or allocates more than the input size.
public enum MutationSerializer {
    /// The encoding written by `serialize`; `deserialize` accepts only versions it knows.
    public static let currentVersion: UInt8 = 1

    public static func serialize(_ mutation: Mutation) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        serialize(mutation, into: &out)
        return out
    }

    /// Appends the encoding of `mutation` to `out`.
    public static func serialize(_ mutation: Mutation, into out: inout [UInt8]) {
        out.append(currentVersion)
        VarInt.append(UInt64(mutation.updates.count), to: &out)
        for update in mutation.updates { writeUpdate(update, &out) }
    }

    public static func deserialize(_ bytes: [UInt8], verifyTokens: Bool = true) throws -> Mutation {
        try bytes.withUnsafeBytes { try deserialize($0, verifyTokens: verifyTokens) }
    }

    /// Decodes exactly one mutation filling all of `bytes`. With `verifyTokens`, each stored
    /// token must equal the Murmur3 token of its key (a cheap end-to-end check that the key
    /// bytes are the ones that were hashed when the write was routed).
    public static func deserialize(_ bytes: UnsafeRawBufferPointer, verifyTokens: Bool = true) throws -> Mutation {
        var r = MutationReader(bytes)
        let version = try r.u8()
        guard version == currentVersion else {
            throw MutationSerializationError(offset: 0, reason: "unsupported mutation encoding version \(version)")
        }
        // Every update takes at least 26 bytes (table id, token, key length, flags).
        let count = try r.count(minimumElementBytes: 26, "update count")
        var updates: [PartitionUpdate] = []
        updates.reserveCapacity(count)
        for _ in 0..<count { updates.append(try readUpdate(&r, verifyTokens: verifyTokens)) }
        guard r.offset == bytes.count else {
            throw MutationSerializationError(offset: r.offset, reason: "\(bytes.count - r.offset) trailing bytes")
        }
        return Mutation(updates)
    }

    // MARK: Encoding

    // Presence flags of a partition update.
    static let updateHasPartitionDeletion: UInt8 = 0x01
    static let updateHasStaticRow: UInt8 = 0x02
    static let updateHasRangeTombstones: UInt8 = 0x04
    static let updateHasRows: UInt8 = 0x08
    // Presence flags of a row.
    static let rowHasClustering: UInt8 = 0x01
    static let rowHasLiveness: UInt8 = 0x02
    static let rowHasLivenessExpiry: UInt8 = 0x04
    static let rowHasDeletion: UInt8 = 0x08
    static let rowHasColumns: UInt8 = 0x10
    // Flags of a cell.
    static let cellIsTombstone: UInt8 = 0x01
    static let cellHasTTL: UInt8 = 0x02
    static let cellHasLocalDeletionTime: UInt8 = 0x04
    static let cellHasPath: UInt8 = 0x08
    static let cellHasValue: UInt8 = 0x10
    // Flags of a complex column.
    static let complexHasDeletion: UInt8 = 0x01

    @inline(__always)
    static func writeFixed64(_ v: UInt64, _ out: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }

    @inline(__always)
    static func writeBytes(_ b: [UInt8], _ out: inout [UInt8]) {
        VarInt.append(UInt64(b.count), to: &out)
        out.append(contentsOf: b)
    }

    @inline(__always)
    static func writeDeletion(_ d: DeletionTime, _ out: inout [UInt8]) {
        VarInt.appendSigned(d.markedForDeleteAt, to: &out)
        VarInt.appendSigned(Int64(d.localDeletionTime), to: &out)
    }

    static func writeUpdate(_ u: PartitionUpdate, _ out: inout [UInt8]) {
        // table id (16) | token (8) | key length varint | key | flags
        writeFixed64(u.table.high, &out)
        writeFixed64(u.table.low, &out)
        writeFixed64(UInt64(bitPattern: u.key.token.value), &out)
        writeBytes(u.key.key, &out)
        var flags: UInt8 = 0
        if u.partitionDeletion != .live { flags |= updateHasPartitionDeletion }
        if u.staticRow != nil { flags |= updateHasStaticRow }
        if !u.rangeTombstones.isEmpty { flags |= updateHasRangeTombstones }
        if !u.rows.isEmpty { flags |= updateHasRows }
        out.append(flags)
        if flags & updateHasPartitionDeletion != 0 { writeDeletion(u.partitionDeletion, &out) }
        if let s = u.staticRow { writeRow(s, &out) }
        if flags & updateHasRangeTombstones != 0 {
            VarInt.append(UInt64(u.rangeTombstones.count), to: &out)
            for rt in u.rangeTombstones {
                writeBytes(rt.start, &out)
                writeBytes(rt.end, &out)
                writeDeletion(rt.deletion, &out)
            }
        }
        if flags & updateHasRows != 0 {
            VarInt.append(UInt64(u.rows.count), to: &out)
            for row in u.rows { writeRow(row, &out) }
        }
    }

    static func writeRow(_ row: Row, _ out: inout [UInt8]) {
        var flags: UInt8 = 0
        if !row.clustering.isEmpty { flags |= rowHasClustering }
        if row.liveness != .empty {
            flags |= rowHasLiveness
            if row.liveness.ttl != 0 || row.liveness.localExpirationTime != Int32.max { flags |= rowHasLivenessExpiry }
        }
        if row.deletion != .live { flags |= rowHasDeletion }
        if !row.columns.isEmpty { flags |= rowHasColumns }
        out.append(flags)
        if flags & rowHasClustering != 0 { writeBytes(row.clustering, &out) }
        if flags & rowHasLiveness != 0 {
            VarInt.appendSigned(row.liveness.timestamp, to: &out)
            if flags & rowHasLivenessExpiry != 0 {
                VarInt.appendSigned(Int64(row.liveness.ttl), to: &out)
                VarInt.appendSigned(Int64(row.liveness.localExpirationTime), to: &out)
            }
        }
        if flags & rowHasDeletion != 0 { writeDeletion(row.deletion, &out) }
        if flags & rowHasColumns != 0 {
            VarInt.append(UInt64(row.columns.count), to: &out)
            for column in row.columns {
                switch column {
                case .simple(let id, let cell):
                    VarInt.append(UInt64(id) << 1, to: &out)
                    writeCell(cell, &out)
                case .complex(let id, let data):
                    VarInt.append(UInt64(id) << 1 | 1, to: &out)
                    out.append(data.deletion != .live ? complexHasDeletion : 0)
                    if data.deletion != .live { writeDeletion(data.deletion, &out) }
                    VarInt.append(UInt64(data.cells.count), to: &out)
                    for cell in data.cells { writeCell(cell, &out) }
                }
            }
        }
    }

    @inline(__always)
    static func writeCell(_ c: Cell, _ out: inout [UInt8]) {
        var flags: UInt8 = 0
        if c.isTombstone { flags |= cellIsTombstone }
        if c.ttl != 0 { flags |= cellHasTTL }
        if c.localDeletionTime != Cell.noDeletionTime { flags |= cellHasLocalDeletionTime }
        if !c.path.isEmpty { flags |= cellHasPath }
        if !c.value.isEmpty { flags |= cellHasValue }
        out.append(flags)
        VarInt.appendSigned(c.timestamp, to: &out)
        if flags & cellHasTTL != 0 { VarInt.appendSigned(Int64(c.ttl), to: &out) }
        if flags & cellHasLocalDeletionTime != 0 { VarInt.appendSigned(Int64(c.localDeletionTime), to: &out) }
        if flags & cellHasPath != 0 { writeBytes(c.path, &out) }
        if flags & cellHasValue != 0 { writeBytes(c.value, &out) }
    }

    // MARK: Decoding

    static func readDeletion(_ r: inout MutationReader) throws -> DeletionTime {
        let at = try r.signed("deletion timestamp")
        let local = try r.int32("local deletion time")
        return DeletionTime(markedForDeleteAt: at, localDeletionTime: local)
    }

    static func readUpdate(_ r: inout MutationReader, verifyTokens: Bool) throws -> PartitionUpdate {
        let high = try r.fixed64(), low = try r.fixed64()
        let tokenOffset = r.offset
        let token = Token(Int64(bitPattern: try r.fixed64()))
        let key = try r.bytes("partition key")
        if verifyTokens {
            let expected = Murmur3Partitioner.token(key)
            guard expected == token else {
                throw MutationSerializationError(offset: tokenOffset,
                                                 reason: "stored token \(token) is not the key's token \(expected)")
            }
        }
        let flagsOffset = r.offset
        let flags = try r.u8()
        guard flags & ~0x0F == 0 else {
            throw MutationSerializationError(offset: flagsOffset, reason: "unknown partition update flags \(flags)")
        }
        var update = PartitionUpdate(table: TableID(high: high, low: low), key: DecoratedKey(token: token, key: key))
        if flags & updateHasPartitionDeletion != 0 { update.partitionDeletion = try readDeletion(&r) }
        if flags & updateHasStaticRow != 0 { update.staticRow = try readRow(&r) }
        if flags & updateHasRangeTombstones != 0 {
            let n = try r.count(minimumElementBytes: 4, "range tombstone count")
            update.rangeTombstones.reserveCapacity(n)
            for _ in 0..<n {
                let start = try r.bytes("range tombstone start")
                let end = try r.bytes("range tombstone end")
                update.rangeTombstones.append(RangeTombstone(start: start, end: end, deletion: try readDeletion(&r)))
            }
        }
        if flags & updateHasRows != 0 {
            let n = try r.count(minimumElementBytes: 1, "row count")
            update.rows.reserveCapacity(n)
            for _ in 0..<n { update.rows.append(try readRow(&r)) }
        }
        return update
    }

    static func readRow(_ r: inout MutationReader) throws -> Row {
        let flagsOffset = r.offset
        let flags = try r.u8()
        guard flags & ~0x1F == 0 else {
            throw MutationSerializationError(offset: flagsOffset, reason: "unknown row flags \(flags)")
        }
        var row = Row(clustering: flags & rowHasClustering != 0 ? try r.bytes("clustering") : [])
        if flags & rowHasLiveness != 0 {
            let ts = try r.signed("liveness timestamp")
            if flags & rowHasLivenessExpiry != 0 {
                let ttl = try r.int32("liveness ttl")
                let expiry = try r.int32("liveness expiration time")
                row.liveness = LivenessInfo(timestamp: ts, ttl: ttl, localExpirationTime: expiry)
            } else {
                row.liveness = LivenessInfo(timestamp: ts)
            }
        }
        if flags & rowHasDeletion != 0 { row.deletion = try readDeletion(&r) }
        if flags & rowHasColumns != 0 {
            let n = try r.count(minimumElementBytes: 3, "column count")
            row.columns.reserveCapacity(n)
            for _ in 0..<n {
                let idOffset = r.offset
                let tagged = try r.varint("column id")
                guard tagged >> 1 <= UInt64(ColumnID.max) else {
                    throw MutationSerializationError(offset: idOffset, reason: "column id \(tagged >> 1) out of range")
                }
                let id = ColumnID(tagged >> 1)
                if tagged & 1 == 0 {
                    row.columns.append(.simple(id, try readCell(&r)))
                } else {
                    let cflagsOffset = r.offset
                    let cflags = try r.u8()
                    guard cflags & ~complexHasDeletion == 0 else {
                        throw MutationSerializationError(offset: cflagsOffset, reason: "unknown complex column flags \(cflags)")
                    }
                    let deletion = cflags & complexHasDeletion != 0 ? try readDeletion(&r) : .live
                    let m = try r.count(minimumElementBytes: 2, "complex cell count")
                    var cells: [Cell] = []
                    cells.reserveCapacity(m)
                    for _ in 0..<m { cells.append(try readCell(&r)) }
                    row.columns.append(.complex(id, ComplexColumnData(deletion: deletion, cells: cells)))
                }
            }
        }
        return row
    }

    static func readCell(_ r: inout MutationReader) throws -> Cell {
        let flagsOffset = r.offset
        let flags = try r.u8()
        guard flags & ~0x1F == 0 else {
            throw MutationSerializationError(offset: flagsOffset, reason: "unknown cell flags \(flags)")
        }
        let ts = try r.signed("cell timestamp")
        let ttl = flags & cellHasTTL != 0 ? try r.int32("cell ttl") : 0
        let ldt = flags & cellHasLocalDeletionTime != 0 ? try r.int32("cell local deletion time") : Cell.noDeletionTime
        let path = flags & cellHasPath != 0 ? try r.bytes("cell path") : []
        let value = flags & cellHasValue != 0 ? try r.bytes("cell value") : []
        return Cell(timestamp: ts, ttl: ttl, localDeletionTime: ldt, isTombstone: flags & cellIsTombstone != 0,
                    path: path, value: value)
    }
}

/// A bounds-checked cursor: every read either succeeds or throws with the offset.
struct MutationReader {
    let buffer: UnsafeRawBufferPointer
    var offset = 0

    init(_ buffer: UnsafeRawBufferPointer) { self.buffer = buffer }

    var remaining: Int { buffer.count - offset }

    func fail(_ reason: String, at: Int? = nil) -> MutationSerializationError {
        MutationSerializationError(offset: at ?? offset, reason: reason)
    }

    @inline(__always)
    mutating func u8() throws -> UInt8 {
        guard offset < buffer.count else { throw fail("unexpected end of input") }
        defer { offset += 1 }
        return buffer[offset]
    }

    @inline(__always)
    mutating func fixed64() throws -> UInt64 {
        guard remaining >= 8 else { throw fail("unexpected end of input (need 8 bytes)") }
        defer { offset += 8 }
        return UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    @inline(__always)
    mutating func varint(_ what: String) throws -> UInt64 {
        let start = offset
        guard let v = VarInt.read(buffer, &offset) else { throw fail("bad or truncated varint (\(what))", at: start) }
        return v
    }

    @inline(__always)
    mutating func signed(_ what: String) throws -> Int64 { VarInt.unzigzag(try varint(what)) }

    mutating func int32(_ what: String) throws -> Int32 {
        let start = offset
        let v = try signed(what)
        guard let i = Int32(exactly: v) else { throw fail("\(what) \(v) does not fit 32 bits", at: start) }
        return i
    }

    /// A length-prefixed byte string, checked against the remaining input before allocating.
    mutating func bytes(_ what: String) throws -> [UInt8] {
        let start = offset
        let n = try varint(what + " length")
        guard n <= UInt64(remaining) else {
            throw fail("\(what) length \(n) exceeds the \(remaining) remaining bytes", at: start)
        }
        let count = Int(n)
        defer { offset += count }
        return Array(UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + count]))
    }

    /// An element count, bounded by what the remaining input could possibly hold.
    mutating func count(minimumElementBytes: Int, _ what: String) throws -> Int {
        let start = offset
        let n = try varint(what)
        guard n <= UInt64(remaining / minimumElementBytes) else {
            throw fail("\(what) \(n) is impossible with \(remaining) bytes left", at: start)
        }
        return Int(n)
    }
}
