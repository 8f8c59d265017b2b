import ArgumentParser
import HyadesCore
import HyadesStorage

struct SSTableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sstable",
        abstract: "Inspect SSTables offline (sstabledump, sstableverify) or stream them into a node (nodetool import).",
        subcommands: [SSTableDumpCommand.self, SSTableVerifyCommand.self, SSTableImportCommand.self]
    )
}

/// Splits a path to any component file (`.../hy-7-Data.db`) into directory and generation.
func sstableLocation(_ file: String) throws -> (directory: String, generation: Int64) {
    let name = file.split(separator: "/").last.map(String.init) ?? file
    guard let (generation, _) = SSTableFormat.parseFileName(name) else {
        throw ValidationError("\(file) is not an SSTable file (expected hy-<generation>-<Component>.db)")
    }
    var directory = String(file.dropLast(name.count))
    if directory.hasSuffix("/") && directory.count > 1 { directory.removeLast() }
    if directory.isEmpty { directory = "." }
    return (directory, generation)
}

struct SSTableDumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump", abstract: "Print an SSTable's partitions and rows as JSON (sstabledump).")

    @Argument(help: "Any file of the SSTable, e.g. data/ks/t/hy-3-Data.db")
    var file: String

    @Option(name: .shortAndLong, help: "Only this partition key (hex of the serialized key); repeatable.")
    var key: [String] = []

    func run() throws {
        let (directory, generation) = try sstableLocation(file)
        let reader = try SSTableReader.open(fileSystem: PosixFileSystem(), directory: directory, generation: generation)
        var keys: [DecoratedKey]? = nil
        if !key.isEmpty {
            keys = try key.map { hex in
                guard let bytes = parseHex(hex) else { throw ValidationError("--key \(hex) is not hex") }
                return DecoratedKey(key: bytes)
            }.sorted()
        }
        print(try SSTableDump.json(reader, keys: keys), terminator: "")
    }

    func parseHex(_ s: String) -> [UInt8]? {
        var t = Substring(s)
        if t.hasPrefix("0x") { t = t.dropFirst(2) }
        guard t.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        var i = t.startIndex
        while i < t.endIndex {
            let j = t.index(i, offsetBy: 2)
            guard let b = UInt8(t[i..<j], radix: 16) else { return nil }
            out.append(b)
            i = j
        }
        return out
    }
}

struct SSTableVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Check every checksum of every file of SSTables; non-zero exit on damage.")

    @Argument(help: "An SSTable file, or a directory of SSTables.")
    var path: String

    func run() throws {
        let fs = PosixFileSystem()
        var targets: [(String, Int64)] = []
        if let loc = try? sstableLocation(path), fs.fileExists(path) {
            targets = [loc]
        } else {
            targets = try SSTableReader.generations(in: path, fileSystem: fs).map { (path, $0) }
            if targets.isEmpty { throw ValidationError("no SSTables in \(path)") }
        }
        var damaged = 0
        for (directory, generation) in targets {
            let damage = SSTableReader.verify(fileSystem: fs, directory: directory, generation: generation)
            if damage.isEmpty {
                // The token range the file covers (the storage shards it lies in).
                let stats = (try? SSTableReader.open(fileSystem: fs, directory: directory, generation: generation))?.statistics
                let range = stats.map { ", tokens \($0.minToken)...\($0.maxToken), \($0.partitionCount) partitions" } ?? ""
                print("\(directory)/hy-\(generation): OK\(range)")
            } else {
                damaged += 1
                print("\(directory)/hy-\(generation): DAMAGED")
                for d in damage { print("  \(d.path) at offset \(d.offset): \(d.what)") }
            }
        }
        if damaged > 0 { throw ExitCode(1) }
    }
}
