import HyadesCluster
import HyadesCore
import HyadesStorage

/// Payloads of the coordinator's internode verbs (docs/formats/internode.md, "Replica
/// verbs"). Mutations travel in the commit log's encoding (`MutationSerializer`, versioned,
/// tokens verified on decode); the frame around every payload carries its CRC32C.
///
///  MUTATION_REQ, READ_REPAIR_REQ, HINT_REQ: a mutation            -> empty answer
///  READ_REQ:  kind (0 data, 1 digest), table id, key, slices      -> data or digest
///  RANGE_REQ: table id, partition range, slices, partition limit  -> partitions + complete flag
public enum ReplicaMessages {
    public enum ReadKind: UInt8, Sendable { case data = 0, digest = 1 }

    /// One partition read (Cassandra's SinglePartitionReadCommand).
    public struct ReadCommand: Hashable, Sendable {
        public var kind: ReadKind
        public var table: TableID
        public var key: DecoratedKey
        public var slices: Slices

        public init(kind: ReadKind, table: TableID, key: DecoratedKey, slices: Slices) {
            self.kind = kind
            self.table = table
            self.key = key
            self.slices = slices
        }
    }

    /// Partitions of a range, at most `limit` (Cassandra's PartitionRangeReadCommand).
    public struct RangeCommand: Hashable, Sendable {
        public var table: TableID
        public var range: PartitionRange
        public var slices: Slices
        public var limit: Int
        /// Answer the digest of the range answer instead of the partitions.
        public var digest = false

        public init(table: TableID, range: PartitionRange, slices: Slices, limit: Int, digest: Bool = false) {
            self.table = table
            self.range = range
            self.slices = slices
            self.limit = limit
            self.digest = digest
        }
    }

    /// A range answer: the partitions (with tombstones) in ring order, and whether the
    /// replica had nothing more in the range (false: it stopped at the limit).
    public struct RangeResponse: Hashable, Sendable {
        public var partitions: [PartitionUpdate]
        public var complete: Bool

        public init(partitions: [PartitionUpdate], complete: Bool) {
            self.partitions = partitions
            self.complete = complete
        }
    }

    public struct DecodeError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    // MARK: encoding

    public static func encode(_ c: ReadCommand) -> [UInt8] {
        var w = InternodeWriter()
        w.u8(c.kind.rawValue)
        w.table(c.table)
        w.bytes(c.key.key)
        w.slices(c.slices)
        return w.bytes
    }

    public static func decodeRead(_ b: [UInt8]) throws(DecodeError) -> ReadCommand {
        try decoding(b) { r throws(InternodePayloadError) in
            guard let kind = ReadKind(rawValue: try r.u8()) else { throw InternodePayloadError(.invalidValue("unknown read kind")) }
            let table = try r.table()
            let key = DecoratedKey(key: try r.bytes())
            return ReadCommand(kind: kind, table: table, key: key, slices: try r.slices())
        }
    }

    public static func encode(_ c: RangeCommand) -> [UInt8] {
        var w = InternodeWriter()
        w.u8(c.digest ? 1 : 0)
        w.table(c.table)
        w.bytes(c.range.lower)
        if let upper = c.range.upper {
            w.u8(1)
            w.bytes(upper)
        } else {
            w.u8(0)
        }
        w.slices(c.slices)
        w.u32(UInt32(clamping: c.limit))
        return w.bytes
    }

    public static func decodeRange(_ b: [UInt8]) throws(DecodeError) -> RangeCommand {
        try decoding(b) { r throws(InternodePayloadError) in
            let kind = try r.u8()
            guard kind <= 1 else { throw InternodePayloadError(.invalidValue("unknown range read kind \(kind)")) }
            let table = try r.table()
            let lower = try r.bytes()
            let upper: [UInt8]? = try r.u8() == 1 ? try r.bytes() : nil
            let slices = try r.slices()
            let limit = Int(try r.u32())
            return RangeCommand(table: table, range: PartitionRange(lower: lower, upper: upper), slices: slices,
                                limit: max(1, limit), digest: kind == 1)
        }
    }

    /// A data answer: the partition with its tombstones, or nothing stored.
    public static func encodeData(_ p: PartitionUpdate?) -> [UInt8] {
        guard let p else { return [0] }
        var out: [UInt8] = [1]
        MutationSerializer.serialize(Mutation([p]), into: &out)
        return out
    }

    public static func decodeData(_ b: [UInt8]) throws(DecodeError) -> PartitionUpdate? {
        guard let first = b.first else { throw DecodeError(description: "empty data answer") }
        if first == 0 { return nil }
        do {
            let m = try MutationSerializer.deserialize(Array(b[1...]))
            guard m.updates.count == 1 else { throw DecodeError(description: "data answer with \(m.updates.count) partitions") }
            return m.updates[0]
        } catch let e as DecodeError {
            throw e
        } catch {
            throw DecodeError(description: "data answer: \(error)")
        }
    }

    public static func encode(_ r: RangeResponse) -> [UInt8] {
        var out: [UInt8] = [r.complete ? 1 : 0]
        MutationSerializer.serialize(Mutation(r.partitions), into: &out)
        return out
    }

    public static func decodeRangeResponse(_ b: [UInt8]) throws(DecodeError) -> RangeResponse {
        guard let first = b.first, first <= 1 else { throw DecodeError(description: "bad range answer") }
        do {
            let m = try MutationSerializer.deserialize(Array(b[1...]))
            return RangeResponse(partitions: m.updates, complete: first == 1)
        } catch {
            throw DecodeError(description: "range answer: \(error)")
        }
    }

    /// The digest of a range answer (a RANGE_REQ with the digest kind).
    public static func digest(_ r: RangeResponse) -> [UInt8] { digest(bytes: encode(r)) }

    /// The digest of a data answer: what a replica sends instead of the data (Cassandra's
    /// digest read). Equal partitions (same cells, timestamps, tombstones) give equal digests.
    public static func digest(_ p: PartitionUpdate?) -> [UInt8] { digest(bytes: encodeData(p)) }

    static func digest(bytes: [UInt8]) -> [UInt8] {
        let h = bytes.withUnsafeBytes { Murmur3.hash128($0, seed: 0x48594453) }
        var out: [UInt8] = []
        out.reserveCapacity(16)
        for v in [UInt64(bitPattern: h.h1), UInt64(bitPattern: h.h2)] {
            for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: v >> (56 - 8 * UInt64(i)))) }
        }
        return out
    }

    /// Runs a decoder over the internode reader, its errors as `DecodeError`.
    static func decoding<T>(_ b: [UInt8], _ body: (inout InternodeReader) throws(InternodePayloadError) -> T)
        throws(DecodeError) -> T {
        var r = InternodeReader(b)
        do {
            let value = try body(&r)
            try r.finish()
            return value
        } catch {
            throw DecodeError(description: error.description)
        }
    }
}

/// The coordinator's field shapes on the internode byte codec (docs/formats/internode.md,
/// "Replica verbs"): `bytes` = u32 length + bytes, table ids as two u64, slices counted.
extension InternodeWriter {
    mutating func bytes(_ b: [UInt8]) {
        u32(UInt32(b.count))
        raw(b)
    }

    mutating func table(_ t: TableID) {
        u64(t.high)
        u64(t.low)
    }

    mutating func slices(_ s: Slices) {
        u32(UInt32(s.slices.count))
        for x in s.slices {
            bytes(x.start)
            bytes(x.end)
        }
    }
}

extension InternodeReader {
    mutating func bytes() throws(InternodePayloadError) -> [UInt8] { try raw(Int(try u32())) }

    mutating func table() throws(InternodePayloadError) -> TableID {
        let high = try u64()
        return TableID(high: high, low: try u64())
    }

    mutating func slices() throws(InternodePayloadError) -> Slices {
        // Every slice takes at least 8 bytes: a count that cannot fit is refused first.
        let n = try count(minimumEntryBytes: 8)
        var out: [ClusteringSlice] = []
        out.reserveCapacity(n)
        for _ in 0..<n {
            let start = try bytes()
            out.append(ClusteringSlice(start: start, end: try bytes()))
        }
        return Slices(out)
    }
}
