import Foundation
import HyadesCore
@testable import HyadesStorage
import Testing

/// Pebble-style data-driven tests: each file in testdata/sstable holds commands with their
/// input, `----`, and the expected output up to a blank line. `HYADES_REWRITE=1` rewrites
/// the expected outputs (review the diff!).
///
/// Commands:
///   build [compression=none|lz4|snappy] [chunk=N] [interval=N]   input: partitions (below)
///   dump | stats | verify
///   get KEY [slice=A..B[,C..D]] [columns=v,w]
///   scan [from=KEY] [to=KEY] [slice=A..B] [columns=...]
///   corrupt FILE OFFSET     flips bit 0 of the byte at OFFSET of Data|Index|Filter|Statistics
/// Input of build, one partition per `partition` line, its items indented:
///   partition KEY [del=TS@LDT]
///     static COL=VALUE[@TS] ...
///     rt A..B del=TS@LDT
///     row C [live=TS[~TTL/EXP]] [del=TS@LDT] COL=VALUE[@TS][~TTL/EXP] COL=tomb@TS/LDT
/// Keys are text, clusterings int, columns s (static), v, w, x (text).
@Suite("SSTable data-driven")
struct SSTableDataDrivenTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("testdata/sstable")

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix(".txt") }.sorted()
    }

    static let schema = SSTableSchemaHeader(
        keyspace: "ks", table: "t", partitionKeyColumns: [.init(name: "k", type: "text")],
        clusteringColumns: [.init(name: "c", type: "int")],
        columns: [.init(id: 0, name: "s", type: "text", kind: .static), .init(id: 1, name: "v", type: "text"),
                  .init(id: 2, name: "w", type: "text"), .init(id: 3, name: "x", type: "text")])
    static let columnIDs: [String: ColumnID] = ["s": 0, "v": 1, "w": 2, "x": 3]
    static let columnNames: [ColumnID: String] = [0: "s", 1: "v", 2: "w", 3: "x"]

    @Test("testdata", arguments: files)
    func run(file: String) throws {
        let url = Self.directory.appendingPathComponent(file)
        let text = try String(contentsOf: url, encoding: .utf8)
        var runner = Runner()
        var rewritten: [String] = []
        var lines = text.components(separatedBy: "\n")[...]
        while let line = lines.first {
            lines = lines.dropFirst()
            if line.isEmpty || line.hasPrefix("#") {
                rewritten.append(line)
                continue
            }
            var input: [String] = []
            while let l = lines.first, l != "----" {
                input.append(l)
                lines = lines.dropFirst()
            }
            lines = lines.dropFirst()
            var expected: [String] = []
            while let l = lines.first, !l.isEmpty {
                expected.append(l)
                lines = lines.dropFirst()
            }
            let actual: String
            do { actual = try runner.run(line, input) } catch { actual = "error: \(error)" }
            let actualLines = actual.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                .reversed().drop { $0.isEmpty }.reversed()
            rewritten.append(line)
            rewritten.append(contentsOf: input)
            rewritten.append("----")
            rewritten.append(contentsOf: actualLines)
            if ProcessInfo.processInfo.environment["HYADES_REWRITE"] == nil {
                #expect(Array(actualLines) == expected, "\(file): \(line)")
            }
        }
        if ProcessInfo.processInfo.environment["HYADES_REWRITE"] != nil {
            try rewritten.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        }
    }

    struct ParseError: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    struct Runner {
        var fs = SSTableTestFileSystem()
        var reader: SSTableReader?

        static func args(_ words: ArraySlice<Substring>) -> [String: String] {
            var out: [String: String] = [:]
            for w in words {
                let parts = w.split(separator: "=", maxSplits: 1)
                out[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
            }
            return out
        }

        mutating func run(_ line: String, _ input: [String]) throws -> String {
            let words = line.split(separator: " ")
            switch words[0] {
            case "build":
                let a = Self.args(words.dropFirst())
                var options = TableOptions()
                if let c = a["compression"] {
                    options.compression = ["none": .none, "lz4": .lz4, "snappy": .snappy][c] ?? .lz4
                }
                if let c = a["chunk"] { options.chunkLengthBytes = Int(c)! }
                if let c = a["interval"] { options.indexSummaryInterval = Int(c)! }
                let partitions = try Self.parsePartitions(input).sorted { $0.header.key < $1.header.key }
                fs = SSTableTestFileSystem()
                reader = try SSTableTestSupport.write(partitions, fs: fs, options: options, schema: SSTableDataDrivenTests.schema)
                let st = reader!.statistics
                return "ok: \(st.partitionCount) partitions, \(st.rowCount) rows, \(st.blockCount) blocks"
            case "dump":
                return try SSTableDump.json(try open())
            case "stats":
                let st = try open().statistics
                return """
                partitions=\(st.partitionCount) rows=\(st.rowCount) tombstones=\(st.tombstoneCount)
                timestamps=\(st.minTimestamp)..\(st.maxTimestamp) maxLocalDeletionTime=\(st.maxLocalDeletionTime)
                first=\(String(decoding: DecoratedKey(byteComparable: st.firstKey)!.key, as: UTF8.self)) last=\(String(decoding: DecoratedKey(byteComparable: st.lastKey)!.key, as: UTF8.self))
                compression=\(st.compression) chunk=\(st.chunkLengthBytes) blocks=\(st.blockCount)
                """
            case "verify":
                let d = SSTableReader.verify(fileSystem: fs, directory: "/t", generation: 1)
                return d.isEmpty ? "ok" : d.map { "\($0)" }.joined(separator: "\n")
            case "corrupt":
                let c = SSTableFormat.Component(rawValue: String(words[1]) + ".db")!
                fs.flipBit("/t/" + SSTableFormat.fileName(generation: 1, c), at: Int(words[2])!)
                return "ok"
            case "get":
                let a = Self.args(words.dropFirst(2))
                guard let it = try open().partition(DecoratedKey(key: Array(words[1].utf8)), slices: try Self.slices(a["slice"]),
                                                    columns: Self.columns(a["columns"])) else { return "absent" }
                return try Self.print(it)
            case "scan":
                let a = Self.args(words.dropFirst())
                let range = PartitionRange(lower: a["from"].map { DecoratedKey(key: Array($0.utf8)).byteComparable } ?? [],
                                           upper: a["to"].map { DecoratedKey(key: Array($0.utf8)).byteComparable })
                return try Self.print(try open().scan(range, slices: try Self.slices(a["slice"]), columns: Self.columns(a["columns"])))
            default:
                throw ParseError("unknown command \(words[0])")
            }
        }

        /// Reopens from the file system, so corruption injected after build is seen.
        func open() throws -> SSTableReader {
            try SSTableReader.open(fileSystem: fs, directory: "/t", generation: 1)
        }

        static func clustering(_ s: Substring) throws -> [UInt8] {
            guard let i = Int32(s) else { throw ParseError("bad clustering \(s)") }
            let v = UInt32(bitPattern: i)
            return try ClusteringEncoding.encode([[UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]],
                                                 types: [.int], descending: [false])
        }

        static func slices(_ s: String?) throws -> Slices {
            guard let s else { return .all }
            return Slices(try s.split(separator: ",").map { r in
                let b = r.components(separatedBy: "..")
                return ClusteringSlice(start: b[0].isEmpty ? ClusteringEncoding.bottom : try clustering(Substring(b[0])),
                                       end: b[1].isEmpty ? ClusteringEncoding.top : try clustering(Substring(b[1])))
            })
        }

        static func columns(_ s: String?) -> ColumnFilter {
            guard let s else { return .all }
            return ColumnFilter(s.split(separator: ",").compactMap { SSTableDataDrivenTests.columnIDs[String($0)] })
        }

        static func deletion(_ s: Substring) throws -> DeletionTime {
            let p = s.split(separator: "@")
            guard p.count == 2, let ts = Int64(p[0]), let ldt = Int32(p[1]) else { throw ParseError("bad deletion \(s)") }
            return DeletionTime(markedForDeleteAt: ts, localDeletionTime: ldt)
        }

        static func parseRow(_ words: ArraySlice<Substring>, clustering: [UInt8]) throws -> Row {
            var row = Row(clustering: clustering)
            for w in words {
                let kv = w.split(separator: "=", maxSplits: 1)
                guard kv.count == 2 else { throw ParseError("bad item \(w)") }
                let (k, v) = (kv[0], kv[1])
                switch k {
                case "live":
                    let e = v.split(separator: "~")
                    guard let ts = Int64(e[0]) else { throw ParseError("bad liveness \(v)") }
                    if e.count == 2 {
                        let t = e[1].split(separator: "/")
                        row.liveness = LivenessInfo(timestamp: ts, ttl: Int32(t[0])!, localExpirationTime: Int32(t[1])!)
                    } else {
                        row.liveness = LivenessInfo(timestamp: ts)
                    }
                case "del":
                    row.deletion = try deletion(v)
                default:
                    guard let id = SSTableDataDrivenTests.columnIDs[String(k)] else { throw ParseError("unknown column \(k)") }
                    row.columns.append(.simple(id, try cell(v, row.liveness)))
                }
            }
            row.columns.sort { $0.column < $1.column }
            return row
        }

        /// VALUE[@TS][~TTL/EXP] or tomb@TS/LDT.
        static func cell(_ s: Substring, _ liveness: LivenessInfo) throws -> Cell {
            if s.hasPrefix("tomb@") {
                let p = s.dropFirst(5).split(separator: "/")
                return .tombstone(timestamp: Int64(p[0])!, nowInSeconds: Int32(p[1])!)
            }
            var rest = s
            var ttl: Int32 = liveness.ttl, exp = liveness.localExpirationTime
            if let t = rest.firstIndex(of: "~") {
                let e = rest[rest.index(after: t)...].split(separator: "/")
                ttl = Int32(e[0])!
                exp = Int32(e[1])!
                rest = rest[..<t]
            }
            var ts = liveness.timestamp
            if let at = rest.firstIndex(of: "@") {
                ts = Int64(rest[rest.index(after: at)...])!
                rest = rest[..<at]
            }
            guard ts != Int64.min else { throw ParseError("cell \(s) needs a timestamp") }
            if ttl == 0 { exp = Cell.noDeletionTime }
            return Cell(timestamp: ts, ttl: ttl, localDeletionTime: exp, isTombstone: false, value: Array(rest.utf8))
        }

        static func parsePartitions(_ input: [String]) throws -> [TestPartition] {
            var out: [TestPartition] = []
            for line in input {
                let words = line.split(separator: " ")
                guard let first = words.first else { continue }
                switch first {
                case "partition":
                    var h = PartitionHeader(key: DecoratedKey(key: Array(words[1].utf8)))
                    for w in words.dropFirst(2) where w.hasPrefix("del=") { h.deletion = try deletion(w.dropFirst(4)) }
                    out.append(TestPartition(header: h, rows: []))
                case "static":
                    out[out.count - 1].header.staticRow = try parseRow(words.dropFirst(), clustering: [])
                case "rt":
                    let b = words[1].components(separatedBy: "..")
                    let d = try deletion(words[2].dropFirst(4))
                    out[out.count - 1].header.rangeTombstones.append(
                        RangeTombstone(start: try clustering(Substring(b[0])), end: try clustering(Substring(b[1])), deletion: d))
                case "row":
                    out[out.count - 1].rows.append(try parseRow(words.dropFirst(2), clustering: try clustering(words[1])))
                default:
                    throw ParseError("unknown input line \(line)")
                }
            }
            return out
        }

        static func print(_ it: any UnfilteredPartitionIterator) throws -> String {
            var out: [String] = []
            while let h = try it.nextPartition() {
                var line = "partition \(String(decoding: h.key.key, as: UTF8.self))"
                if !h.deletion.isLive { line += " del=\(h.deletion.markedForDeleteAt)@\(h.deletion.localDeletionTime)" }
                out.append(line)
                for rt in h.rangeTombstones {
                    out.append("  rt \(clusteringText(rt.start))..\(clusteringText(rt.end)) del=\(rt.deletion.markedForDeleteAt)@\(rt.deletion.localDeletionTime)")
                }
                if let s = h.staticRow { out.append("  static" + rowText(s)) }
                while let r = try it.nextRow() { out.append("  row \(clusteringText(r.clustering))" + rowText(r)) }
            }
            return out.isEmpty ? "(empty)" : out.joined(separator: "\n")
        }

        static func clusteringText(_ c: [UInt8]) -> String {
            guard let v = try? ClusteringEncoding.decode(c, types: [.int], descending: [false]), v.count == 1, v[0].count == 4 else {
                return c.map { String($0, radix: 16) }.joined()
            }
            return String(Int32(bitPattern: v[0].reduce(0) { $0 << 8 | UInt32($1) }))
        }

        static func rowText(_ r: Row) -> String {
            var s = ""
            if !r.liveness.isEmpty {
                s += " live=\(r.liveness.timestamp)"
                if r.liveness.isExpiring { s += "~\(r.liveness.ttl)/\(r.liveness.localExpirationTime)" }
            }
            if !r.deletion.isLive { s += " del=\(r.deletion.markedForDeleteAt)@\(r.deletion.localDeletionTime)" }
            for d in r.columns {
                guard case .simple(let id, let c) = d else { continue }
                let name = SSTableDataDrivenTests.columnNames[id] ?? "\(id)"
                if c.isTombstone {
                    s += " \(name)=tomb@\(c.timestamp)/\(c.localDeletionTime)"
                } else {
                    s += " \(name)=\(String(decoding: c.value, as: UTF8.self))@\(c.timestamp)"
                    if c.isExpiring { s += "~\(c.ttl)/\(c.localDeletionTime)" }
                }
            }
            return s
        }
    }
}
