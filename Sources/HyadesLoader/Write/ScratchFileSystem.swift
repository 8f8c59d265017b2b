import HyadesStorage

/// The real file system without fsync, for SSTables that are only staged here on their
/// way to a node: the node makes durable what it receives (before it adopts anything),
/// and a loader that dies mid-way is simply run again. Syncing the staged copies as well
/// would cost a disk flush per file for nothing.
struct ScratchFileSystem: FileSystem {
    let base = PosixFileSystem()

    func createDirectory(_ path: String) throws { try base.createDirectory(path) }
    func listDirectory(_ path: String) throws -> [String] { try base.listDirectory(path) }
    func fileExists(_ path: String) -> Bool { base.fileExists(path) }
    func fileSize(_ path: String) throws -> Int64 { try base.fileSize(path) }
    func removeFile(_ path: String) throws { try base.removeFile(path) }
    func rename(_ from: String, to: String) throws { try base.rename(from, to: to) }
    func syncDirectory(_ path: String) throws {}
    func createForWriting(_ path: String) throws -> any WritableFile { UnsyncedFile(try base.createForWriting(path)) }
    func openForAppending(_ path: String) throws -> any WritableFile { UnsyncedFile(try base.openForAppending(path)) }
    func openForReading(_ path: String) throws -> any ReadableFile { try base.openForReading(path) }
}

final class UnsyncedFile: WritableFile {
    let file: any WritableFile
    init(_ file: any WritableFile) { self.file = file }
    var path: String { file.path }
    var size: Int64 { file.size }
    func append(_ bytes: UnsafeRawBufferPointer) throws { try file.append(bytes) }
    func sync() throws {}
    func close() throws { try file.close() }
}
