import CISAL

/// CRC32C (Castagnoli), the checksum on every SSTable block and commit-log entry.
/// Computed by ISA-L's `crc32_iscsi`, which uses the SSE4.2 / ARMv8 CRC instructions.
/// ISA-L's function is the raw register update (no final inversion), so the standard
/// pre- and post-inversion are applied here; `checksum("123456789") == 0xE3069283`.
public enum CRC32C {
    @inlinable
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        update(0, bytes)
    }

    @inlinable
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }

    /// Continues a checksum over more bytes: `update(checksum(a), b) == checksum(a + b)`.
    @inlinable
    public static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        let raw = crc32_iscsi(UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: UInt8.self)),
                              Int32(bytes.count), ~crc)
        return ~raw
    }
}
