import HyadesCore

/// Decoding ran off the end of its buffer or met an impossible value; callers turn it
/// into an `SSTableCorruptionError` naming the file and offset.
@usableFromInline struct DecodeFailure: Error {
    @usableFromInline let what: String
    @usableFromInline init(_ what: String) { self.what = what }
}

/// A bounds-checked reader over bytes (a decoded segment or an mmapped region).
@usableFromInline struct ByteCursor {
    @usableFromInline let bytes: UnsafeRawBufferPointer
    @usableFromInline var pos: Int

    @inlinable init(_ bytes: UnsafeRawBufferPointer, at pos: Int = 0) {
        self.bytes = bytes
        self.pos = pos
    }

    @inlinable var remaining: Int { bytes.count - pos }
    @inlinable var atEnd: Bool { pos >= bytes.count }

    @inlinable @inline(__always) mutating func u8() throws(DecodeFailure) -> UInt8 {
        guard pos < bytes.count else { throw DecodeFailure("truncated") }
        let v = bytes[pos]
        pos += 1
        return v
    }

    @inlinable @inline(__always) mutating func u16() throws(DecodeFailure) -> UInt16 {
        guard pos + 2 <= bytes.count else { throw DecodeFailure("truncated") }
        let v = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: pos, as: UInt16.self))
        pos += 2
        return v
    }

    @inlinable @inline(__always) mutating func u32() throws(DecodeFailure) -> UInt32 {
        guard pos + 4 <= bytes.count else { throw DecodeFailure("truncated") }
        let v = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: pos, as: UInt32.self))
        pos += 4
        return v
    }

    @inlinable @inline(__always) mutating func u64() throws(DecodeFailure) -> UInt64 {
        guard pos + 8 <= bytes.count else { throw DecodeFailure("truncated") }
        let v = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: pos, as: UInt64.self))
        pos += 8
        return v
    }

    @inlinable @inline(__always) mutating func varint() throws(DecodeFailure) -> UInt64 {
        // Fast path: most varints here (lengths, flags-sized counts) are one byte.
        if pos < bytes.count {
            let b = bytes[pos]
            if b < 0x80 {
                pos += 1
                return UInt64(b)
            }
        }
        guard let v = VarInt.read(bytes, &pos) else { throw DecodeFailure("bad varint") }
        return v
    }

    /// Skips a varint without decoding it (at most 10 bytes).
    @inlinable @inline(__always) mutating func skipVarint() throws(DecodeFailure) {
        let end = min(bytes.count, pos + 10)
        var p = pos
        while p < end {
            if bytes[p] < 0x80 {
                pos = p + 1
                return
            }
            p += 1
        }
        throw DecodeFailure("bad varint")
    }

    @inlinable @inline(__always) mutating func signedVarint() throws(DecodeFailure) -> Int64 {
        VarInt.unzigzag(try varint())
    }

    /// A varint that must be a length or count no larger than what is left (or `limit`).
    @inlinable @inline(__always) mutating func length(limit: Int = Int.max) throws(DecodeFailure) -> Int {
        let v = try varint()
        guard v <= UInt64(min(remaining, limit)) else { throw DecodeFailure("length \(v) out of bounds") }
        return Int(v)
    }

    /// A count of things each at least one byte long.
    @inlinable @inline(__always) mutating func count() throws(DecodeFailure) -> Int {
        try length()
    }

    @inlinable @inline(__always) mutating func int32() throws(DecodeFailure) -> Int32 {
        let v = try varint()
        guard v <= UInt64(UInt32.max) else { throw DecodeFailure("int32 out of range") }
        return Int32(bitPattern: UInt32(v))
    }

    @inlinable @inline(__always) mutating func bytes(_ n: Int) throws(DecodeFailure) -> [UInt8] {
        guard n >= 0, n <= remaining else { throw DecodeFailure("truncated") }
        let out = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[pos..<(pos + n)]))
        pos += n
        return out
    }

    @inlinable @inline(__always) mutating func lengthPrefixed() throws(DecodeFailure) -> [UInt8] {
        let n = try length()
        return try bytes(n)
    }

    @inlinable @inline(__always) mutating func skip(_ n: Int) throws(DecodeFailure) {
        guard n >= 0, n <= remaining else { throw DecodeFailure("truncated") }
        pos += n
    }

    /// A fixed-width column segment's header (docs/formats/sstable.md): skips the presence
    /// bitmap of `rowCount` bits and returns the value width, checked against the largest
    /// segment. The cursor is then at the first value.
    mutating func fixedWidthSegmentHeader(rowCount: Int) throws(DecodeFailure) -> Int {
        try skip((rowCount + 7) / 8)
        let w = try varint()
        guard w <= UInt64(SSTableFormat.maxSegmentRawLength) else { throw DecodeFailure("bad value width \(w)") }
        return Int(w)
    }

    @inlinable @inline(__always) mutating func skipLengthPrefixed() throws(DecodeFailure) {
        let n = try length()
        pos += n
    }

    /// Timestamps are stored as the wrapping difference from a base, as a zigzag varint:
    /// small for nearby timestamps, exact for any pair.
    @inlinable @inline(__always) mutating func timestamp(base: Int64) throws(DecodeFailure) -> Int64 {
        base &+ VarInt.unzigzag(try varint())
    }

    @inlinable @inline(__always) mutating func deletion(base: Int64) throws(DecodeFailure) -> DeletionTime {
        let at = try timestamp(base: base)
        let ldt = try int32()
        return DeletionTime(markedForDeleteAt: at, localDeletionTime: ldt)
    }

    /// A row entry's header after its kind and clustering: flags, then the row's liveness
    /// (timestamp, and TTL + expiration when expiring) and its deletion, each when flagged.
    @inlinable @inline(__always)
    mutating func rowHeader(base: Int64) throws(DecodeFailure) -> (liveness: LivenessInfo, deletion: DeletionTime) {
        let flags = try u8()
        var liveness = LivenessInfo.empty
        if flags & SSTableFormat.rowHasLiveness != 0 {
            let ts = try timestamp(base: base)
            if flags & SSTableFormat.rowLivenessExpiring != 0 {
                let ttl = try int32()
                let exp = try int32()
                liveness = LivenessInfo(timestamp: ts, ttl: ttl, localExpirationTime: exp)
            } else {
                liveness = LivenessInfo(timestamp: ts)
            }
        }
        let deletion = flags & SSTableFormat.rowHasDeletion != 0 ? try self.deletion(base: base) : .live
        return (liveness, deletion)
    }

    /// A simple cell's timing after its flags: its own timestamp or the row's, then TTL and
    /// local deletion time when flagged (else the row's expiry when it uses the row's).
    @inlinable @inline(__always)
    mutating func cellTiming(flags: UInt8, base: Int64, rowLiveness: LivenessInfo)
        throws(DecodeFailure) -> (timestamp: Int64, ttl: Int32, localDeletionTime: Int32) {
        var ts: Int64, ttl: Int32 = 0, ldt = Cell.noDeletionTime
        if flags & SSTableFormat.cellUsesRowTimestamp != 0 {
            guard !rowLiveness.isEmpty else { throw DecodeFailure("cell uses the timestamp of a row without one") }
            ts = rowLiveness.timestamp
            ttl = rowLiveness.ttl
            ldt = rowLiveness.localExpirationTime
        } else {
            ts = try timestamp(base: base)
        }
        if flags & SSTableFormat.cellHasDeletionInfo != 0 {
            ttl = try int32()
            ldt = try int32()
        }
        return (ts, ttl, ldt)
    }

    @inlinable @inline(__always) mutating func string() throws(DecodeFailure) -> String {
        String(decoding: try lengthPrefixed(), as: UTF8.self)
    }
}

/// Little-endian and varint encoders onto a byte array.
extension Array where Element == UInt8 {
    @inlinable @inline(__always) mutating func putU16(_ v: UInt16) { Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) } }
    @inlinable @inline(__always) mutating func putU32(_ v: UInt32) { Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) } }
    @inlinable @inline(__always) mutating func putU64(_ v: UInt64) { Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) } }
    @inlinable @inline(__always) mutating func putVarint(_ v: UInt64) { VarInt.append(v, to: &self) }
    @inlinable @inline(__always) mutating func putSignedVarint(_ v: Int64) { VarInt.appendSigned(v, to: &self) }
    @inlinable @inline(__always) mutating func putInt32(_ v: Int32) { VarInt.append(UInt64(UInt32(bitPattern: v)), to: &self) }
    @inlinable @inline(__always) mutating func putLengthPrefixed(_ b: [UInt8]) {
        VarInt.append(UInt64(b.count), to: &self)
        append(contentsOf: b)
    }
    @inlinable @inline(__always) mutating func putTimestamp(_ ts: Int64, base: Int64) {
        VarInt.append(VarInt.zigzag(ts &- base), to: &self)
    }
    @inlinable @inline(__always) mutating func putDeletion(_ d: DeletionTime, base: Int64) {
        putTimestamp(d.markedForDeleteAt, base: base)
        putInt32(d.localDeletionTime)
    }
    @inlinable @inline(__always) mutating func putString(_ s: String) { putLengthPrefixed(Array(s.utf8)) }
    @inlinable @inline(__always) mutating func setU32(_ v: UInt32, at offset: Int) {
        var le = v.littleEndian
        Swift.withUnsafeBytes(of: &le) { for i in 0..<4 { self[offset + i] = $0[i] } }
    }
}

func describe(_ error: any Error) -> String {
    if let d = error as? DecodeFailure { return d.what }
    return "\(error)"
}
