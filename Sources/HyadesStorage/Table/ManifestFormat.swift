/// Constants of the table MANIFEST (spec: docs/formats/manifest.md). Part of the format:
/// never change a value, add a version instead.
enum ManifestFormat {
    static let magic: [UInt8] = Array("HYMF".utf8)
    /// 2 adds the imported streaming sessions; a MANIFEST without any is still written as 1.
    static let currentVersion: UInt16 = 2
    static let fileName = "MANIFEST"
    static let tempFileName = "MANIFEST.tmp"
    /// magic(4) version u16 flags u16 payloadLength u32.
    static let headerSize = 12
    static let trailerSize = 4
    /// Bounds a reader checks before trusting a length.
    static let maxPayloadBytes = 64 << 20
    // Flags of the flushed commit-log position.
    static let hasFlushedPosition: UInt8 = 1
    /// Imported session ids remembered per table (oldest forgotten first): re-runs of an
    /// interrupted load come soon after it; 4096 ids cost 64 KiB.
    static let maxImportedSessions = 4096
}
