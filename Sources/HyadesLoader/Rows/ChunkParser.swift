import HyadesCore

/// Turns one chunk of CSV records into a `RowBatch`: split fields, convert each to its
/// column's serialized value, compute derived columns, the partition key, its token and
/// the clustering. Bad rows become rejects; every record is either a ref or a reject.
struct ChunkParser {
    let plan: LoadPlan
    /// The current record's fields (the first `fieldCapacity`; `fieldCount` in all): a
    /// raw buffer, not an array (an append and a uniqueness check per field before).
    let fields: UnsafeMutablePointer<CSVField>
    let fieldCapacity: Int
    var fieldCount = 0
    var scratch = ByteArena(capacity: 1024)
    /// Per slot: where its value lies in `scratch`, and its length (-1 = null). Raw
    /// buffers: written for every field, they need no copy-on-write checks.
    let valueOffset: UnsafeMutableBufferPointer<Int>
    let valueLength: UnsafeMutableBufferPointer<Int>
    var clustering: [UInt8] = []
    var unescaped: [UInt8] = []
    /// The plan's per-field and per-slot facts as trivial values in raw buffers, read
    /// per row without retaining and releasing the plan's arrays (each `for s in
    /// plan.regularSlots` or `plan.slots[s]` was a retain and a release per row or field).
    let fieldSlot: UnsafeMutableBufferPointer<Int>
    let slotKind: UnsafeMutableBufferPointer<ValueKind>
    let keySlots: UnsafeMutableBufferPointer<Int>
    let clusteringSlots: UnsafeMutableBufferPointer<Int>
    let regularSlots: UnsafeMutableBufferPointer<Int>
    /// Per derived column: its slot, source field, shift, whether it is an int, and the
    /// slot loaded from the source field when that is a bigint column (-1 otherwise): its
    /// value, already parsed (source_id is usually both), is read back, not parsed again.
    let derived: UnsafeMutableBufferPointer<(slot: Int, field: Int, shift: Int, isInt: Bool, bigintSlot: Int)>
    let clusteringTypes: [CQLType]
    let clusteringDescending: [Bool]
    /// Per clustering column, the width of its signed fixed-width type (tinyint, smallint,
    /// int, bigint, timestamp, time), and whether it is DESC; empty unless every clustering
    /// column has one. Such a clustering is encoded straight into the arena (sign bit
    /// flipped, inverted when DESC: `ByteComparable`'s form) instead of through an array.
    let fixedClustering: UnsafeMutableBufferPointer<(width: Int, descending: Bool)>
    /// The builder's token buckets: each chunk's rows leave grouped by them, so the
    /// builder sorts each bucket straight from the chunks (no pass gathering buckets).
    let buckets: TokenBuckets
    /// Bytes in the chunk being parsed: a field's number may be loaded up to here.
    var chunkEnd = 0

    init(plan: LoadPlan, buckets: TokenBuckets = TokenBuckets(ends: [])) {
        self.plan = plan
        self.buckets = buckets
        valueOffset = .allocate(capacity: max(plan.slots.count, 1))
        valueLength = .allocate(capacity: max(plan.slots.count, 1))
        valueOffset.initialize(repeating: 0)
        valueLength.initialize(repeating: -1)
        fieldCapacity = plan.header.count + 1
        fields = .allocate(capacity: fieldCapacity)
        func raw<T>(_ a: [T]) -> UnsafeMutableBufferPointer<T> {
            let b = UnsafeMutableBufferPointer<T>.allocate(capacity: max(a.count, 1))
            _ = b.initialize(from: a)
            return UnsafeMutableBufferPointer(rebasing: b[0..<a.count])
        }
        fieldSlot = raw(plan.fieldSlot)
        slotKind = raw(plan.slots.map(\.kind))
        keySlots = raw(plan.partitionKeySlots)
        clusteringSlots = raw(plan.clusteringSlots)
        regularSlots = raw(plan.regularSlots)
        derived = raw(plan.derived.map { d in
            let loaded = plan.fieldSlot[d.sourceField]
            return (d.slot, d.sourceField, d.shift, plan.slots[d.slot].column.type == .int,
                    loaded >= 0 && plan.slots[loaded].kind == .bigint ? loaded : -1)
        })
        clusteringTypes = plan.table.clusteringTypes
        clusteringDescending = plan.table.clusteringDescending
        let widths = clusteringTypes.map(Self.signedFixedWidth)
        fixedClustering = widths.contains(nil) ? UnsafeMutableBufferPointer(start: nil, count: 0)
            : raw(zip(widths, clusteringDescending).map { ($0!, $1) })
    }

    /// Frees the per-slot buffers; the parser is not used afterwards.
    func release() {
        valueOffset.deallocate()
        valueLength.deallocate()
        fields.deallocate()
        for b in [fieldSlot, keySlots, clusteringSlots, regularSlots] { b.baseAddress?.deallocate() }
        slotKind.baseAddress?.deinitialize(count: slotKind.count)
        slotKind.baseAddress?.deallocate()
        derived.baseAddress?.deallocate()
        fixedClustering.baseAddress?.deallocate()
    }

    /// The width of a type `ByteComparable` encodes as its bytes with the sign bit flipped.
    static func signedFixedWidth(_ type: CQLType) -> Int? {
        switch type {
        case .tinyint: return 1
        case .smallint: return 2
        case .int: return 4
        case .bigint, .timestamp, .time: return 8
        default: return nil
        }
    }

    mutating func parse(_ base: UnsafePointer<UInt8>, count: Int, batchIndex: UInt16) -> RowBatch {
        let batch = RowBatch(plan: plan, capacity: 64)
        chunkEnd = count
        // Built in locals, not through the batch (a class): no dynamic exclusivity
        // check per access.
        var arena = ByteArena(capacity: count + count / 4 + 64)
        var refs = RefScratch.take(minimum: count / 48 + 16)
        var rowsRead = 0
        var scanner = CSVRecordScanner(base, count: count)
        var error: CSVRecordError?
        var recordStart = 0, recordEnd = 0, line = 0
        while scanner.next(fields: fields, capacity: fieldCapacity, count: &fieldCount, error: &error,
                           recordStart: &recordStart, recordEnd: &recordEnd, line: &line) {
            rowsRead += 1
            let reason: String?
            if let error {
                reason = error == .unterminatedQuote ? "unterminated quoted field" : "text after a closing quote"
            } else if fieldCount != plan.header.count {
                reason = "expected \(plan.header.count) fields, found \(fieldCount)"
            } else {
                reason = buildRow(base, arena: &arena, refs: &refs, batchIndex: batchIndex)
            }
            if let reason {
                batch.rejects.append(RejectedRow(line: line, reason: reason,
                                                 raw: Array(UnsafeBufferPointer(start: base + recordStart, count: recordEnd - recordStart))))
            }
        }
        batch.newlines = scanner.newlines
        batch.rowsRead = rowsRead
        batch.arena = arena
        (batch.refs, batch.bucketStarts) = buckets.group(refs.refs)
        RefScratch.give(refs)
        batch.buckets = buckets
        return batch
    }

    /// Appends the row to the batch, or returns why it cannot be loaded.
    @inline(__always)
    mutating func buildRow(_ base: UnsafePointer<UInt8>, arena: inout ByteArena, refs: inout RefScratch, batchIndex: UInt16) -> String? {
        scratch.truncate(to: 0)
        for s in 0..<slotKind.count { valueLength[s] = -1 }
        for i in 0..<fieldCount {
            let s = fieldSlot[i]
            if s < 0 { continue }
            let f = fields[i]
            let kind = slotKind[s]
            // Unquoted, longer than `null`: a number goes straight in here; anything else
            // (nulls, other kinds, bad text and its reason) through `encodeField`.
            if !f.quoted && f.count > 4 {
                let p = base + f.start, n = f.count, readable = chunkEnd - f.start
                switch kind {
                case .double:
                    if let v = FastNumberParser.parseDouble(p, n, readable: readable) {
                        valueOffset[s] = scratch.count
                        scratch.appendBigEndian(v.bitPattern, width: 8)
                        valueLength[s] = 8
                        continue
                    }
                case .float:
                    if let v = FastNumberParser.parseFloat(p, n, readable: readable) {
                        valueOffset[s] = scratch.count
                        scratch.appendBigEndian(UInt64(v.bitPattern), width: 4)
                        valueLength[s] = 4
                        continue
                    }
                case .bigint:
                    if let v = FastNumberParser.parseInt64(p, n, readable: readable) {
                        valueOffset[s] = scratch.count
                        scratch.appendBigEndian(UInt64(bitPattern: v), width: 8)
                        valueLength[s] = 8
                        continue
                    }
                default:
                    break
                }
            }
            if let e = encodeField(base, f, kind: kind, slot: s) { return e }
        }
        for k in 0..<derived.count {
            let d = derived[k]
            let f = fields[d.field]
            var v: Int64?
            if d.bigintSlot >= 0 && valueLength[d.bigintSlot] == 8 {
                v = Int64(bitPattern: UInt64(bigEndian: (scratch.base + valueOffset[d.bigintSlot]).loadUnaligned(as: UInt64.self)))
            } else if f.hasEscapes {
                let t = CSVRecordScanner.unescape(UnsafeBufferPointer(start: base + f.start, count: f.count))
                v = t.withUnsafeBufferPointer { FastNumberParser.parseInt64($0.baseAddress!, $0.count) }
            } else if f.count > 0 {
                v = FastNumberParser.parseInt64(base + f.start, f.count, readable: chunkEnd - f.start)
            }
            guard let id = v else {
                let text = String(decoding: UnsafeBufferPointer(start: base + f.start, count: min(f.count, 64)), as: UTF8.self)
                let source = plan.derived[k].sourceName, name = plan.slots[d.slot].column.name
                return f.count == 0 ? "\(source) is null: cannot derive \(name)"
                                    : "invalid bigint '\(text)' in \(source): cannot derive \(name)"
            }
            // The formula as DATA.md gives it, arithmetic shift included: the few negative
            // ids of merged catalogues (not real Gaia ids) land in pixel -1, not in rejects.
            let pixel = id >> Int64(d.shift)
            valueOffset[d.slot] = scratch.count
            if d.isInt {
                guard let x = Int32(exactly: pixel) else { return "healpix pixel \(pixel) does not fit int column \(plan.slots[d.slot].column.name)" }
                scratch.appendBigEndian(UInt64(UInt32(bitPattern: x)), width: 4)
                valueLength[d.slot] = 4
            } else {
                scratch.appendBigEndian(UInt64(bitPattern: pixel), width: 8)
                valueLength[d.slot] = 8
            }
        }
        for s in keySlots where valueLength[s] < 0 {
            return "null in partition key column \(plan.slots[s].column.name)"
        }
        for s in clusteringSlots where valueLength[s] < 0 {
            return "null in clustering column \(plan.slots[s].column.name)"
        }
        // Record start.
        let start = arena.count
        guard start <= Int(UInt32.max) else { return "chunk too large" }
        let sb = scratch.base
        // Partition key.
        let keyLengthAt = arena.count
        arena.appendUInt16(0)
        if keySlots.count == 1 {
            let s = keySlots[0]
            guard valueLength[s] <= 0xFFFF else { return "partition key longer than 65535 bytes" }
            arena.append(UnsafeRawBufferPointer(start: sb + valueOffset[s], count: valueLength[s]))
        } else {
            for s in keySlots {
                let n = valueLength[s]
                guard n <= 0xFFFF else { return "partition key component \(plan.slots[s].column.name) longer than 65535 bytes" }
                arena.append(UInt8(n >> 8)); arena.append(UInt8(n & 0xFF))
                arena.append(UnsafeRawBufferPointer(start: sb + valueOffset[s], count: n))
                arena.append(0)
            }
        }
        let keyLength = arena.count - keyLengthAt - 2
        guard keyLength <= 0xFFFF else { arena.truncate(to: start); return "partition key longer than 65535 bytes" }
        arena.setUInt16(UInt16(keyLength), at: keyLengthAt)
        let token = Murmur3Partitioner.token(arena.bytes(at: keyLengthAt + 2, count: keyLength))
        // Clustering.
        var fixed = fixedClustering.count > 0
        for i in 0..<fixedClustering.count where valueLength[clusteringSlots[i]] != fixedClustering[i].width { fixed = false }
        let clusteringAt = arena.count + 2
        if fixed {
            var n = 0
            for i in 0..<fixedClustering.count { n += 1 + fixedClustering[i].width }
            arena.appendUInt16(UInt16(n))
            arena.reserve(n)
            // Each value as one word: its big-endian bytes with the first one's sign bit
            // flipped, all inverted when DESC (not byte by byte, a capacity check each).
            var to = arena.base + arena.count
            for i in 0..<fixedClustering.count {
                let (width, descending) = fixedClustering[i]
                let src = sb + valueOffset[clusteringSlots[i]]
                to.storeBytes(of: ClusteringEncoding.componentSeparator, as: UInt8.self)
                switch width {
                case 8:
                    let v = UInt64(littleEndian: src.loadUnaligned(as: UInt64.self)) ^ 0x80 ^ (descending ? UInt64.max : 0)
                    (to + 1).storeBytes(of: v.littleEndian, as: UInt64.self)
                case 4:
                    let v = UInt32(littleEndian: src.loadUnaligned(as: UInt32.self)) ^ 0x80 ^ (descending ? UInt32.max : 0)
                    (to + 1).storeBytes(of: v.littleEndian, as: UInt32.self)
                default:
                    let mask: UInt8 = descending ? 0xFF : 0
                    (to + 1).storeBytes(of: src.load(as: UInt8.self) ^ 0x80 ^ mask, as: UInt8.self)
                    for k in 1..<width { (to + 1 + k).storeBytes(of: src.load(fromByteOffset: k, as: UInt8.self) ^ mask, as: UInt8.self) }
                }
                to += 1 + width
            }
            arena.advance(by: n)
        } else {
            clustering.removeAll(keepingCapacity: true)
            for i in 0..<clusteringSlots.count {
                let s = clusteringSlots[i]
                clustering.append(ClusteringEncoding.componentSeparator)
                do {
                    try ByteComparable.encode(UnsafeRawBufferPointer(start: sb + valueOffset[s], count: valueLength[s]),
                                              type: clusteringTypes[i], descending: clusteringDescending[i], into: &clustering)
                } catch {
                    arena.truncate(to: start)
                    return "bad clustering value for \(plan.slots[s].column.name): \(error)"
                }
            }
            guard clustering.count <= 0xFFFF else { arena.truncate(to: start); return "clustering longer than 65535 bytes" }
            arena.appendUInt16(UInt16(clustering.count))
            clustering.withUnsafeBytes { arena.append($0) }
        }
        let clusteringCount = arena.count - clusteringAt
        // Regular and static columns, by id.
        for s in regularSlots {
            let n = valueLength[s]
            if n < 0 {
                arena.appendUInt32(UInt32.max)
            } else {
                arena.appendUInt32(UInt32(n))
                arena.append(UnsafeRawBufferPointer(start: sb + valueOffset[s], count: n))
            }
        }
        // The 8 bytes after the first separator, zero padded.
        var prefix: UInt64 = 0
        let c = arena.base + clusteringAt
        if clusteringCount >= 9 {
            prefix = UInt64(bigEndian: (c + 1).loadUnaligned(as: UInt64.self))
        } else {
            for i in 1..<9 { prefix = prefix << 8 | UInt64(i < clusteringCount ? c.load(fromByteOffset: i, as: UInt8.self) : 0) }
        }
        let length = arena.count - start
        refs.append(RowRef(token: token.value, clusteringPrefix: prefix, batch: batchIndex,
                           length: length < Int(RowRef.longRecord) ? UInt16(length) : RowRef.longRecord, offset: UInt32(start)))
        return nil
    }

    /// Converts one field into the scratch arena (or leaves it null).
    @inline(__always)
    mutating func encodeField(_ base: UnsafePointer<UInt8>, _ f: CSVField, kind: ValueKind, slot s: Int) -> String? {
        let p = base + f.start
        let n = f.count
        if !f.quoted {
            // Gaia conventions: an empty field or `null` is null; `NaN` in a column that
            // is not floating point is null too.
            if n == 0 { return nil }
            if n == 4 && p[0] == 110 && p[1] == 117 && p[2] == 108 && p[3] == 108 { return nil }   // null
            if n == 3 && !kind.isFloatingPoint && p[0] == 78 && p[1] == 97 && p[2] == 78 { return nil }   // NaN
        } else if n == 0 && !kind.isText {
            return nil
        }
        valueOffset[s] = scratch.count
        do {
            if f.hasEscapes {
                unescaped = CSVRecordScanner.unescape(UnsafeBufferPointer(start: p, count: n))
                try unescaped.withUnsafeBufferPointer { b throws(ValueError) in
                    try ValueEncoder.encode(kind, b.baseAddress!, b.count, readable: b.count, column: self.plan.slots[s].column.name,
                                            type: self.plan.slots[s].column.type, into: &scratch)
                }
            } else {
                try ValueEncoder.encode(kind, p, n, readable: chunkEnd - f.start, column: plan.slots[s].column.name, type: plan.slots[s].column.type, into: &scratch)
            }
        } catch {
            return error.message
        }
        valueLength[s] = scratch.count - valueOffset[s]
        return nil
    }
}
