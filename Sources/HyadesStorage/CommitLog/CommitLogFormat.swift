import HyadesCore

/// The constants of the commit-log format, specified in docs/formats/commitlog.md.
/// These values are on disk: never change them; a new layout gets a new `version`.
public enum CommitLogFormat {
    /// "HYCL" read as a little-endian u32.
    public static let magic: UInt32 = 0x4C43_5948
    /// Segment format version, in the header and in the file name.
    public static let version: UInt16 = 1

    /// magic u32 | version u16 | flags u16 (0) | segment id i64 | CRC32C of the 16 bytes before.
    public static let segmentHeaderBytes = 20
    /// length u32 | CRC32C of the 4 length bytes.
    public static let entryHeaderBytes = 8
    /// CRC32C of the mutation bytes.
    public static let entryTrailerBytes = 4
    public static let entryOverheadBytes = entryHeaderBytes + entryTrailerBytes

    public static let fileNamePrefix = "CommitLog-"
    public static let fileNameSuffix = ".log"

    /// `CommitLog-<version>-<id>.log`
    public static func segmentFileName(id: Int64, version: UInt16 = version) -> String {
        "\(fileNamePrefix)\(version)-\(id)\(fileNameSuffix)"
    }

    /// (version, id) of a segment file name, nil for any other file.
    public static func parseSegmentFileName(_ name: String) -> (version: Int, id: Int64)? {
        guard name.hasPrefix(fileNamePrefix), name.hasSuffix(fileNameSuffix) else { return nil }
        let middle = name.dropFirst(fileNamePrefix.count).dropLast(fileNameSuffix.count)
        let parts = middle.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let v = Int(parts[0]), let id = Int64(parts[1]), v >= 0, id >= 0 else { return nil }
        return (v, id)
    }

    static func encodeSegmentHeader(id: Int64) -> [UInt8] {
        var h: [UInt8] = []
        h.reserveCapacity(segmentHeaderBytes)
        appendLE(magic, &h)
        appendLE(version, &h)
        appendLE(UInt16(0), &h)
        appendLE(UInt64(bitPattern: id), &h)
        appendLE(CRC32C.checksum(h), &h)
        assert(h.count == segmentHeaderBytes)
        return h
    }

    /// Validates a segment header; returns nil when valid, else the reason.
    static func checkSegmentHeader(_ bytes: UnsafeRawBufferPointer, expectedID: Int64) -> String? {
        guard bytes.count >= segmentHeaderBytes else { return "segment header is short (\(bytes.count) bytes)" }
        let m = loadLE(UInt32.self, bytes, 0)
        guard m == magic else { return "bad segment magic \(m)" }
        let crc = loadLE(UInt32.self, bytes, 16)
        guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<16])) == crc else {
            return "segment header checksum mismatch"
        }
        let v = loadLE(UInt16.self, bytes, 4)
        guard v == version else { return "unsupported segment format version \(v)" }
        let id = Int64(bitPattern: loadLE(UInt64.self, bytes, 8))
        guard id == expectedID else { return "segment header id \(id) does not match the file name's id \(expectedID)" }
        return nil
    }

    @inline(__always)
    static func appendLE<T: FixedWidthInteger>(_ v: T, _ out: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }

    @inline(__always)
    static func loadLE<T: FixedWidthInteger>(_: T.Type, _ bytes: UnsafeRawBufferPointer, _ offset: Int) -> T {
        T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
