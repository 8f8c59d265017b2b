import CLZ4
import CSnappy
import NIOCore

/// Frame body compression negotiated in STARTUP (spec section 5). Only bodies are
/// compressed; the STARTUP frame itself never is.
public enum CQLCompression: String, Hashable, Sendable, CaseIterable {
    /// 4-byte big-endian uncompressed length, then one raw LZ4 block.
    case lz4
    /// One raw snappy block (its own varint length prefix included).
    case snappy

    /// Compresses `body` (all readable bytes).
    public func compress(_ body: ByteBuffer, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        switch self {
        case .lz4: return try Self.lz4Compress(body, allocator: allocator)
        case .snappy: return try Self.snappyCompress(body, allocator: allocator)
        }
    }

    /// Decompresses `body`, refusing to produce more than `maxUncompressedBytes`: the
    /// announced size is checked before any output is allocated.
    public func decompress(_ body: ByteBuffer, maxUncompressedBytes: Int, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        switch self {
        case .lz4: return try Self.lz4Decompress(body, max: maxUncompressedBytes, allocator: allocator)
        case .snappy: return try Self.snappyDecompress(body, max: maxUncompressedBytes, allocator: allocator)
        }
    }

    // MARK: lz4

    private static func lz4Compress(_ body: ByteBuffer, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        let n = body.readableBytes
        guard n <= Int(LZ4_MAX_INPUT_SIZE) else { throw ProtocolError.encoding("body of \(n) bytes is too large for lz4") }
        let bound = Int(LZ4_compressBound(Int32(n)))
        var out = allocator.buffer(capacity: 4 + bound)
        out.writeInteger(UInt32(n))
        let written = body.withUnsafeReadableBytes { src in
            out.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { dst in
                let r = LZ4_compress_default(src.baseAddress?.assumingMemoryBound(to: CChar.self),
                                             dst.baseAddress!.assumingMemoryBound(to: CChar.self),
                                             Int32(n), Int32(dst.count))
                return Int(max(r, 0))
            }
        }
        guard written > 0 || n == 0 else { throw ProtocolError.encoding("lz4 compression failed") }
        return out
    }

    private static func lz4Decompress(_ body: ByteBuffer, max: Int, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        var input = body
        guard let length = input.readInteger(as: UInt32.self) else {
            throw ProtocolError.compression("lz4 body shorter than its 4-byte length")
        }
        guard Int(length) <= max, Int(length) <= Int(Int32.max) else {
            throw ProtocolError.compression("lz4 body announces \(length) uncompressed bytes; the limit is \(max)")
        }
        let expected = Int(length)
        var out = allocator.buffer(capacity: expected)
        if expected == 0 { return out }
        let got = input.withUnsafeReadableBytes { src in
            out.writeWithUnsafeMutableBytes(minimumWritableBytes: expected) { dst in
                // _safe never writes past dst's capacity nor reads past src: corrupt input is a negative result.
                let r = LZ4_decompress_safe(src.baseAddress?.assumingMemoryBound(to: CChar.self),
                                            dst.baseAddress!.assumingMemoryBound(to: CChar.self),
                                            Int32(src.count), Int32(expected))
                return Int(Swift.max(r, 0))
            }
        }
        guard got == expected else {
            throw ProtocolError.compression("lz4 block does not decompress to its announced \(expected) bytes")
        }
        return out
    }

    // MARK: snappy

    private static func snappyCompress(_ body: ByteBuffer, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        let n = body.readableBytes
        let bound = snappy_max_compressed_length(n)
        if n == 0 {
            // An empty snappy stream is just its varint length, 0.
            var out = allocator.buffer(capacity: 1)
            out.writeInteger(UInt8(0))
            return out
        }
        var out = allocator.buffer(capacity: bound)
        var failed = false
        body.withUnsafeReadableBytes { src in
            _ = out.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { dst in
                var outLength = dst.count
                let status = snappy_compress(src.baseAddress!.assumingMemoryBound(to: CChar.self), n,
                                             dst.baseAddress!.assumingMemoryBound(to: CChar.self), &outLength)
                guard status == SNAPPY_OK else { failed = true; return 0 }
                return outLength
            }
        }
        guard !failed else { throw ProtocolError.encoding("snappy compression failed") }
        return out
    }

    private static func snappyDecompress(_ body: ByteBuffer, max: Int, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        let n = body.readableBytes
        guard n > 0 else { throw ProtocolError.compression("empty snappy body") }
        // The length snappy announces, read from its varint header without decompressing.
        var length = 0
        let status = body.withUnsafeReadableBytes { src in
            snappy_uncompressed_length(src.baseAddress!.assumingMemoryBound(to: CChar.self), n, &length)
        }
        guard status == SNAPPY_OK else { throw ProtocolError.compression("snappy body has no valid length header") }
        guard length <= max else {
            throw ProtocolError.compression("snappy body announces \(length) uncompressed bytes; the limit is \(max)")
        }
        var out = allocator.buffer(capacity: length)
        if length == 0 { return out }
        var ok = true
        body.withUnsafeReadableBytes { src in
            _ = out.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { dst in
                var outLength = length
                // snappy_uncompress checks the stream against outLength; corrupt input fails.
                let s = snappy_uncompress(src.baseAddress!.assumingMemoryBound(to: CChar.self), n,
                                          dst.baseAddress!.assumingMemoryBound(to: CChar.self), &outLength)
                guard s == SNAPPY_OK, outLength == length else { ok = false; return 0 }
                return outLength
            }
        }
        guard ok else { throw ProtocolError.compression("snappy block is corrupt") }
        return out
    }
}
