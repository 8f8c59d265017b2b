/// Constants of the SSTable on-disk format (spec: docs/formats/sstable.md).
/// Every value here is part of the format: never change one, add a new version instead.
public enum SSTableFormat {
    /// The version written; readers accept `1...currentVersion` and reject newer files
    /// with a clear error rather than misreading them.
    /// Version 2 added the fixed-width column segment layout (directory `layout` byte 1).
    public static let currentVersion: UInt16 = 2

    /// File kinds and their 4-byte magics (ASCII, stored as written).
    public enum Component: String, CaseIterable, Sendable {
        case data = "Data.db"
        case index = "Index.db"
        case filter = "Filter.db"
        case statistics = "Statistics.db"

        public var magic: [UInt8] {
            switch self {
            case .data: return Array("HYDA".utf8)
            case .index: return Array("HYIX".utf8)
            case .filter: return Array("HYFL".utf8)
            case .statistics: return Array("HYST".utf8)
            }
        }
    }

    /// `hy-<generation>-<Component>`, e.g. `hy-7-Data.db`.
    public static func fileName(generation: Int64, _ component: Component) -> String {
        "hy-\(generation)-\(component.rawValue)"
    }

    /// Parses `hy-<gen>-<Component>`; nil for anything else.
    public static func parseFileName(_ name: String) -> (generation: Int64, component: Component)? {
        guard name.hasPrefix("hy-") else { return nil }
        let rest = name.dropFirst(3)
        guard let dash = rest.firstIndex(of: "-"), let gen = Int64(rest[rest.startIndex..<dash]), gen >= 0,
              let component = Component(rawValue: String(rest[rest.index(after: dash)...])) else { return nil }
        return (gen, component)
    }

    // File header: magic(4) version u16 flags u16 generation i64 crc32c u32 (of bytes 0..<16).
    public static let fileHeaderSize = 20

    // Data block header: blockLength u32, entryCount u32, rowCount u32, segmentCount u16,
    // reserved u16; then segmentCount directory entries; then headerCRC u32.
    public static let blockHeaderFixedSize = 16
    // Directory entry: columnID u16, codec u8, layout u8 (reserved, 0, in version 1),
    // storedLength u32, rawLength u32, crc u32.
    public static let directoryEntrySize = 16
    /// Segment layouts (the directory entry's `layout` byte; on-disk values: never change).
    /// Cells: flags, timing and length per cell, with checkpoints (every version).
    public static let layoutCells: UInt8 = 0
    /// Fixed width (version 2): presence bitmap, `varint width`, then the present cells'
    /// values back to back, `width` bytes each; every cell is a simple live cell at its
    /// row's timestamp (what flag 0x08 alone says in the cells layout).
    public static let layoutFixedWidth: UInt8 = 1
    /// Column id recorded for segment 0 (the entries segment) in the directory.
    public static let entriesSegmentID: UInt16 = 0xFFFF
    /// Hard bounds a reader checks before allocating (corrupt lengths never become huge allocations).
    public static let maxSegmentCount = 65_535
    public static let maxSegmentRawLength = 1 << 30

    // Entry kinds in segment 0 (on-disk values: never change).
    public static let entryPartitionStart: UInt8 = 1
    public static let entryStaticRow: UInt8 = 2
    public static let entryRow: UInt8 = 3

    // Partition-start flags.
    public static let partitionHasDeletion: UInt8 = 0x01
    public static let partitionHasRangeTombstones: UInt8 = 0x02

    // Row flags.
    public static let rowHasLiveness: UInt8 = 0x01
    public static let rowLivenessExpiring: UInt8 = 0x02
    public static let rowHasDeletion: UInt8 = 0x04

    // Cell flags (column segments).
    public static let cellIsComplex: UInt8 = 0x01
    public static let cellIsTombstone: UInt8 = 0x02
    /// ttl and localDeletionTime follow (tombstones, expiring cells, odd deletion times).
    public static let cellHasDeletionInfo: UInt8 = 0x04
    /// Timestamp, ttl and local deletion time equal the row's liveness info: none stored,
    /// so a CQL INSERT's cells cost a flag byte plus the value.
    public static let cellUsesRowTimestamp: UInt8 = 0x08
    /// Complex column: a collection-level deletion follows.
    public static let complexHasDeletion: UInt8 = 0x10

    /// A column segment records the offset of every 16th cell.
    public static let cellCheckpointInterval = 16

    // Index footer: summaryOffset u64, summaryLength u64, partitionCount u64, magic(4), crc u32.
    public static let indexFooterSize = 32
}
