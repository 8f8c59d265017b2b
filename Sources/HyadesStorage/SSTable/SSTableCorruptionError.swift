/// A read found bytes that do not check out: a checksum mismatch, a truncated file or a
/// structure that cannot be decoded. Names the file and the byte offset of the damaged
/// unit (block, segment, index group, ...) so an operator can act on it.
public struct SSTableCorruptionError: Error, CustomStringConvertible, Sendable, Hashable {
    public var path: String
    public var offset: Int64
    public var what: String

    public init(path: String, offset: Int64, what: String) {
        self.path = path
        self.offset = offset
        self.what = what
    }

    public var description: String { "corrupt SSTable \(path) at offset \(offset): \(what)" }
}

/// One damaged region that `SSTableReader.verify()` found.
public struct SSTableDamage: Hashable, Sendable, CustomStringConvertible {
    public var path: String
    public var offset: Int64
    public var what: String

    public init(path: String, offset: Int64, what: String) {
        self.path = path
        self.offset = offset
        self.what = what
    }

    init(_ e: SSTableCorruptionError) { self.init(path: e.path, offset: e.offset, what: e.what) }

    public var description: String { "\(path) @\(offset): \(what)" }
}

/// A file of an SSTable in a version this build does not know.
public struct SSTableVersionError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var version: UInt16
    public var description: String { "\(path): SSTable format version \(version) is newer than supported \(SSTableFormat.currentVersion)" }
}
