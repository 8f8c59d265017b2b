import HyadesCore

/// The 20-byte header every SSTable file starts with: magic, format version, flags,
/// generation and a CRC32C of the first 16 bytes. The generation in the header catches a
/// file copied under the wrong name.
struct SSTableFileHeader {
    var component: SSTableFormat.Component
    var version: UInt16
    var flags: UInt16
    var generation: Int64

    func encoded() -> [UInt8] {
        var out = component.magic
        out.putU16(version)
        out.putU16(flags)
        out.putU64(UInt64(bitPattern: generation))
        out.putU32(CRC32C.checksum(out))
        return out
    }

    /// Reads and checks the header of `file`.
    static func read(_ file: any ReadableFile, component: SSTableFormat.Component, generation: Int64) throws -> SSTableFileHeader {
        guard file.size >= Int64(SSTableFormat.fileHeaderSize) else {
            throw SSTableCorruptionError(path: file.path, offset: 0, what: "file shorter than its header (\(file.size) bytes)")
        }
        return try file.withBytes(at: 0, count: SSTableFormat.fileHeaderSize) { raw in
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<16]))
            var c = ByteCursor(raw, at: 16)
            guard (try? c.u32()) == crc else {
                throw SSTableCorruptionError(path: file.path, offset: 0, what: "file header checksum mismatch")
            }
            guard Array(raw[0..<4]) == component.magic else {
                throw SSTableCorruptionError(path: file.path, offset: 0, what: "bad magic, not an SSTable \(component.rawValue)")
            }
            c = ByteCursor(raw, at: 4)
            let version = (try? c.u16()) ?? 0
            let flags = (try? c.u16()) ?? 0
            let gen = Int64(bitPattern: (try? c.u64()) ?? 0)
            guard version >= 1 else {
                throw SSTableCorruptionError(path: file.path, offset: 4, what: "bad format version \(version)")
            }
            guard version <= SSTableFormat.currentVersion else {
                throw SSTableVersionError(path: file.path, version: version)
            }
            guard gen == generation else {
                throw SSTableCorruptionError(path: file.path, offset: 8, what: "header generation \(gen) does not match file name generation \(generation)")
            }
            return SSTableFileHeader(component: component, version: version, flags: flags, generation: gen)
        }
    }
}
