import CLZ4
import HyadesCore

/// A growable byte buffer the writer keeps for its whole life: each finished block (and
/// each raw segment about to be compressed) is assembled in it, so a block costs no heap
/// allocation and touches no freshly mapped page once the buffer has grown. A class so
/// the codec can write straight into its spare capacity; it is used a few dozen times
/// per block, never per cell (class accesses pay exclusivity checks).
final class BlockOutputBuffer {
    private(set) var base: UnsafeMutableRawPointer
    private(set) var capacity: Int
    var count = 0

    init(capacity: Int = 64 * 1024) {
        self.capacity = capacity
        base = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit { base.deallocate() }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    @inline(__always) func reserve(_ extra: Int) {
        if count + extra > capacity { grow(count + extra) }
    }

    func grow(_ needed: Int) {
        let c = max(needed, capacity * 2)
        let p = UnsafeMutableRawPointer.allocate(byteCount: c, alignment: 16)
        p.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = p
        capacity = c
    }

    @inline(__always) func append(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        reserve(bytes.count)
        (base + count).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        count += bytes.count
    }

    @inline(__always) func append(_ bytes: [UInt8]) { bytes.withUnsafeBytes { append($0) } }

    /// Appends `bytes` and returns where they lie: offsets, since the buffer may move as
    /// it grows (scans copying rows keep ranges, then `view` them once complete).
    @inline(__always) func put(_ bytes: UnsafeRawBufferPointer) -> Range<Int> {
        let start = count
        append(bytes)
        return start..<count
    }

    @inline(__always) func view(_ r: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + r.lowerBound, count: r.count)
    }

    @inline(__always) func putU8(_ v: UInt8) {
        reserve(1)
        base.storeBytes(of: v, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    @inline(__always) func putU16(_ v: UInt16) {
        reserve(2)
        base.storeBytes(of: v.littleEndian, toByteOffset: count, as: UInt16.self)
        count += 2
    }

    @inline(__always) func putU32(_ v: UInt32) {
        reserve(4)
        base.storeBytes(of: v.littleEndian, toByteOffset: count, as: UInt32.self)
        count += 4
    }

    /// Zero bytes (a bitmap's room), returned as their offset.
    @inline(__always) func appendZeros(_ n: Int) -> Int {
        reserve(n)
        let at = count
        if n > 0 { (base + at).initializeMemory(as: UInt8.self, repeating: 0, count: n) }
        count += n
        return at
    }

    @inline(__always) func putVarint(_ value: UInt64) {
        reserve(10)
        var v = value
        while v >= 0x80 {
            base.storeBytes(of: UInt8(truncatingIfNeeded: v) | 0x80, toByteOffset: count, as: UInt8.self)
            v >>= 7
            count += 1
        }
        base.storeBytes(of: UInt8(v), toByteOffset: count, as: UInt8.self)
        count += 1
    }

    @inline(__always) func putSignedVarint(_ v: Int64) { putVarint(VarInt.zigzag(v)) }

    @inline(__always) func setU32(_ v: UInt32, at offset: Int) {
        base.storeBytes(of: v.littleEndian, toByteOffset: offset, as: UInt32.self)
    }

    @inline(__always) func setU16(_ v: UInt16, at offset: Int) {
        base.storeBytes(of: v.littleEndian, toByteOffset: offset, as: UInt16.self)
    }

    @inline(__always) func setU8(_ v: UInt8, at offset: Int) {
        base.storeBytes(of: v, toByteOffset: offset, as: UInt8.self)
    }

    /// Compresses `input` with `algorithm` onto the end of this buffer; returns the
    /// compressed length, or nil (nothing appended) when the codec failed or did not
    /// make it at most `limit` bytes — the caller then stores the raw bytes with codec 0.
    func appendCompressed(_ input: UnsafeRawBufferPointer, _ algorithm: CompressionAlgorithm, limit: Int) -> Int? {
        guard input.count > 0, limit > 0 else { return nil }
        switch algorithm {
        case .none:
            return nil
        case .lz4:
            guard input.count <= Int(LZ4_MAX_INPUT_SIZE) else { return nil }
            // lz4 gives up as soon as the output would pass the limit.
            reserve(limit)
            let n = LZ4_compress_default(input.baseAddress!.assumingMemoryBound(to: CChar.self),
                                         (base + count).assumingMemoryBound(to: CChar.self),
                                         Int32(input.count), Int32(limit))
            guard n > 0 else { return nil }
            count += Int(n)
            return Int(n)
        case .snappy:
            guard let c = BlockCompressor.compress(input, algorithm), c.count <= limit else { return nil }
            append(c)
            return c.count
        }
    }
}
