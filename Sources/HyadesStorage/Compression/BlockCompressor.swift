import CLZ4
import CSnappy

/// Whole-buffer compression with the SSTable codecs (none, lz4 block format, snappy raw
/// format). Stateless; the native protocol reuses it for frame body compression.
public enum BlockCompressor {
    /// Compresses `input`. Returns nil when the codec failed or did not make it smaller,
    /// so the caller stores the bytes uncompressed (codec `.none`).
    public static func compress(_ input: UnsafeRawBufferPointer, _ algorithm: CompressionAlgorithm) -> [UInt8]? {
        guard input.count > 0 else { return nil }
        switch algorithm {
        case .none:
            return nil
        case .lz4:
            guard input.count <= Int(LZ4_MAX_INPUT_SIZE) else { return nil }
            let bound = Int(LZ4_compressBound(Int32(input.count)))
            // Not zero-filled first: LZ4 writes every byte it reports.
            var n: Int32 = 0
            let out = [UInt8](unsafeUninitializedCapacity: bound) { dst, count in
                n = LZ4_compress_default(input.baseAddress!.assumingMemoryBound(to: CChar.self),
                                         UnsafeMutableRawPointer(dst.baseAddress!).assumingMemoryBound(to: CChar.self),
                                         Int32(input.count), Int32(bound))
                count = max(Int(n), 0)
            }
            guard n > 0, Int(n) < input.count else { return nil }
            return out
        case .snappy:
            var bound = snappy_max_compressed_length(input.count)
            var out = [UInt8](repeating: 0, count: bound)
            let status = out.withUnsafeMutableBytes { dst in
                snappy_compress(input.baseAddress!.assumingMemoryBound(to: CChar.self), input.count,
                                dst.baseAddress!.assumingMemoryBound(to: CChar.self), &bound)
            }
            guard status == SNAPPY_OK, bound < input.count else { return nil }
            out.removeLast(out.count - bound)
            return out
        }
    }

    /// Decompresses `input` into exactly `output` (whose size is the known raw length).
    /// Returns false on any mismatch: the caller reports corruption.
    public static func decompress(_ input: UnsafeRawBufferPointer, _ algorithm: CompressionAlgorithm,
                                  into output: UnsafeMutableRawBufferPointer) -> Bool {
        switch algorithm {
        case .none:
            guard input.count == output.count else { return false }
            if input.count > 0 { output.baseAddress!.copyMemory(from: input.baseAddress!, byteCount: input.count) }
            return true
        case .lz4:
            guard input.count > 0, output.count > 0, input.count <= Int(Int32.max), output.count <= Int(Int32.max) else {
                return input.count == 0 && output.count == 0
            }
            let n = LZ4_decompress_safe(input.baseAddress!.assumingMemoryBound(to: CChar.self),
                                        output.baseAddress!.assumingMemoryBound(to: CChar.self),
                                        Int32(input.count), Int32(output.count))
            return Int(n) == output.count
        case .snappy:
            guard input.count > 0, output.count > 0 else { return input.count == 0 && output.count == 0 }
            var length = 0
            guard snappy_uncompressed_length(input.baseAddress!.assumingMemoryBound(to: CChar.self), input.count, &length) == SNAPPY_OK,
                  length == output.count else { return false }
            var outLength = output.count
            let status = snappy_uncompress(input.baseAddress!.assumingMemoryBound(to: CChar.self), input.count,
                                           output.baseAddress!.assumingMemoryBound(to: CChar.self), &outLength)
            return status == SNAPPY_OK && outLength == output.count
        }
    }

    /// Decompresses only the first `count` bytes of an lz4 block into `output` (which has
    /// room for the whole raw length): a point read needs only the start of a segment up
    /// to its row. False for other codecs or on any mismatch.
    public static func decompressPrefix(_ input: UnsafeRawBufferPointer, _ algorithm: CompressionAlgorithm,
                                        count: Int, into output: UnsafeMutableRawBufferPointer) -> Bool {
        guard algorithm == .lz4, count > 0, count <= output.count, input.count > 0, input.count <= Int(Int32.max),
              output.count <= Int(Int32.max) else { return false }
        let n = LZ4_decompress_safe_partial(input.baseAddress!.assumingMemoryBound(to: CChar.self),
                                            output.baseAddress!.assumingMemoryBound(to: CChar.self),
                                            Int32(input.count), Int32(count), Int32(output.count))
        return Int(n) == count
    }

    /// Convenience for arrays (tests, the protocol).
    public static func decompress(_ input: [UInt8], _ algorithm: CompressionAlgorithm, rawLength: Int) -> [UInt8]? {
        guard rawLength >= 0 else { return nil }
        var out = [UInt8](repeating: 0, count: rawLength)
        let ok = input.withUnsafeBytes { src in out.withUnsafeMutableBytes { decompress(src, algorithm, into: $0) } }
        return ok ? out : nil
    }
}
