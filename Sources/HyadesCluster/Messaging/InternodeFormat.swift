/// Constants of the internode message frame (spec: docs/formats/internode.md). Part of the
/// wire format: never change a value, add a version instead.
public enum InternodeFormat {
    /// First four bytes of every frame. A storage_port connection whose first byte is 0x00
    /// is SSTable streaming (its first frame starts with a u32 length under 16 MiB); one
    /// starting with these bytes is internode messaging. See `StoragePortProtocol`.
    public static let magic: [UInt8] = Array("HYIN".utf8)
    public static let version: UInt8 = 1

    /// magic 4, version 1, flags 1, verb 2, message id 8, payload length 4, header CRC32C 4.
    public static let headerBytes = 24
    /// CRC32C of the payload.
    public static let trailerBytes = 4
    /// Bytes of the header covered by the header checksum (everything before it).
    public static let checkedHeaderBytes = 20

    /// Largest payload a node accepts by default (`internode_max_message_size`). A frame that
    /// announces more is refused from its header, before any of the payload is buffered.
    public static let defaultMaxPayloadBytes = 16 << 20

    /// Flag bits (byte 5). Bits not listed must be zero.
    public static let flagFailure: UInt8 = 0x01
    public static let knownFlags: UInt8 = flagFailure
}

/// What the first bytes of a storage_port connection say it is: one listener routes every
/// protocol without any of them changing its frames.
public enum StoragePortProtocol: Equatable, Sendable {
    /// Internode messaging (these frames).
    case internode
    /// SSTable streaming (docs/formats/streaming.md).
    case streaming
    /// The management requests of `hyades nodetool` (docs/formats/admin.md).
    case admin
    /// None of them: the listener closes the connection.
    case unknown

    /// Bytes needed before `classify` can decide.
    public static let bytesNeeded = 4

    /// First bytes of a management frame. Must equal HyadesProtocol's `AdminFormat.magic`
    /// (this module does not import that one; a test checks they agree).
    public static let adminMagic: [UInt8] = Array("HYAD".utf8)

    /// Decides from the first bytes (at least one; `nil` when more are needed).
    public static func classify(_ prefix: some Collection<UInt8>) -> StoragePortProtocol? {
        guard let first = prefix.first else { return nil }
        if first == 0x00 { return .streaming }
        let head = Array(prefix.prefix(bytesNeeded))
        var undecided = false
        for (magic, kind) in [(InternodeFormat.magic, StoragePortProtocol.internode), (adminMagic, .admin)] {
            guard head == Array(magic.prefix(head.count)) else { continue }
            if head.count == bytesNeeded { return kind }
            undecided = true
        }
        return undecided ? nil : .unknown
    }
}
