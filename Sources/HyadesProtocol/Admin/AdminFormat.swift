/// Constants of the management protocol `hyades nodetool` speaks on `storage_port` for what
/// Cassandra's nodetool does over JMX (spec: docs/formats/admin.md). Part of the wire format:
/// never change a value, add a version instead.
public enum AdminFormat {
    /// First four bytes of every frame; the storage_port listener routes a connection that
    /// starts with them to the management handler (`StoragePortProtocol.admin`).
    public static let magic: [UInt8] = Array("HYAD".utf8)
    public static let version: UInt8 = 1

    /// magic 4, version 1, type 1, payload length 4.
    public static let headerBytes = 10
    /// CRC32C of header and payload.
    public static let trailerBytes = 4
    /// Largest payload either side accepts (a TABLE_STATS answer for thousands of tables
    /// fits); a frame that announces more is refused from its header.
    public static let maxPayloadBytes = 16 << 20
    /// Strings (names) and long strings (gossip values, messages).
    public static let maxStringBytes = 65_535

    // Message types (on-wire values: never change).
    public static let typeGossipInfo: UInt8 = 0x01
    public static let typeTableStats: UInt8 = 0x02
    public static let typeFlush: UInt8 = 0x03
    public static let typeCompact: UInt8 = 0x04
    public static let typeDrain: UInt8 = 0x05
    public static let typeGossipInfoResult: UInt8 = 0x81
    public static let typeTableStatsResult: UInt8 = 0x82
    public static let typeDone: UInt8 = 0x83
    public static let typeError: UInt8 = 0xFF

    // Error codes.
    /// Malformed frame or message, unknown type or version.
    public static let errorProtocol: UInt16 = 1
    /// The keyspace or table named does not exist.
    public static let errorUnknownTable: UInt16 = 2
    /// The node failed doing it (I/O error, storage engine stopped).
    public static let errorNode: UInt16 = 3
    /// The node is draining or drained, or too many management requests run at once.
    public static let errorUnavailable: UInt16 = 4
}
