/// Constants of the SSTable streaming protocol (spec: docs/formats/streaming.md). Part of
/// the wire format: never change a value, add a version instead.
public enum StreamingFormat {
    /// First bytes of INIT's payload: a CQL driver or a stray client pointed at the
    /// storage port is told so instead of being misread.
    public static let magic: [UInt8] = Array("HYSS".utf8)
    public static let version: UInt16 = 1
    /// length u32 + type u8 before the payload, CRC32C u32 after it.
    public static let frameHeaderBytes = 5
    public static let frameTrailerBytes = 4

    /// Frames a node accepts by default: a CHUNK of `defaultChunkBytes` fits with room to spare.
    public static let defaultMaxFrameBytes = 2 << 20
    /// Data bytes per CHUNK the client sends.
    public static let defaultChunkBytes = 1 << 20
    public static let maxFilesPerSession = 4096
    /// A file size in INIT meaning "not known yet": the file is streamed while it is
    /// written and is as long as the bytes that arrive before its FILE_END.
    public static let unknownSize = UInt64.max
    public static let maxFileNameBytes = 255
    public static let maxStringBytes = 65_535

    // Message types (on-wire values: never change).
    public static let typeInit: UInt8 = 0x01
    public static let typeChunk: UInt8 = 0x02
    public static let typeFileEnd: UInt8 = 0x03
    public static let typeCommit: UInt8 = 0x04
    public static let typeDescribeTable: UInt8 = 0x05
    public static let typeStage: UInt8 = 0x06
    public static let typeAdoptLoad: UInt8 = 0x07
    public static let typeAbortLoad: UInt8 = 0x08
    public static let typeSessionAccepted: UInt8 = 0x81
    public static let typeFileAccepted: UInt8 = 0x82
    public static let typeCommitted: UInt8 = 0x83
    public static let typeAlreadyImported: UInt8 = 0x84
    public static let typeTableSchema: UInt8 = 0x85
    public static let typeStaged: UInt8 = 0x86
    public static let typeLoadAborted: UInt8 = 0x87
    /// Column kinds in TABLE_SCHEMA.
    public static let kindPartitionKey: UInt8 = 0
    public static let kindClustering: UInt8 = 1
    public static let kindRegular: UInt8 = 2
    public static let kindStatic: UInt8 = 3
    /// Columns a TABLE_SCHEMA may list.
    public static let maxColumns = 65_535
    public static let typeError: UInt8 = 0xFF
}
