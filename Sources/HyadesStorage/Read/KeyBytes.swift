import HyadesCore

extension DecoratedKey {
    /// `byteComparable` built with one uninitialised allocation and two copies (the
    /// Core version zero-fills and copies byte by byte): the write path and the writers
    /// build one per partition.
    @inline(__always)
    var comparableBytes: [UInt8] {
        let n = key.count
        return [UInt8](unsafeUninitializedCapacity: 8 + n) { buffer, count in
            let raw = UnsafeMutableRawPointer(buffer.baseAddress!)
            raw.storeBytes(of: token.byteComparable.bigEndian, as: UInt64.self)
            if n > 0 { key.withUnsafeBytes { (raw + 8).copyMemory(from: $0.baseAddress!, byteCount: n) } }
            count = 8 + n
        }
    }
}
