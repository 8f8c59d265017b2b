/// Constants of the schema file (docs/formats/schema.md).
enum SchemaFileFormat {
    static let fileName = "schema.db"
    static let tempFileName = "schema.db.tmp"
    /// "HYSC"
    static let magic: [UInt8] = [0x48, 0x59, 0x53, 0x43]
    static let version: UInt32 = 1
    /// magic + version + payload length + CRC32C of the payload.
    static let headerSize = 16
}
