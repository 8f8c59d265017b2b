import Foundation
import HyadesCore
import HyadesStorage
import Testing
@testable import HyadesLoader

/// Whole loads into a local directory: what ends up in the SSTables, what is rejected.
@Suite struct BulkLoaderTests {
    typealias F = LoaderFixtures

    @Test func gaiaConventionsNullsNaNQuotesCRLF() throws {
        let dir = F.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        F.write("source_id,name,mag,flag,n\r\n"
                + "1,plain,1.5,true,7\r\n"
                + "2,,NaN,false,NaN\r\n"
                + "3,\"Alpha, \"\"Cen\"\"\nB\",null,,\r\n"
                + "4,\"\",-0.0,1,-5\r\n", to: dir + "/t.csv")
        let s = try F.load(F.named, [dir + "/t.csv"], dir: dir)
        #expect(s.rowsRead == 4 && s.rowsLoaded == 4 && s.rowsRejected == 0)
        let rows = try F.rows(in: dir + "/out")
        let byKey = Dictionary(uniqueKeysWithValues: rows.map { ($0.key, $0) })
        let name = F.named.column(named: "name")!.id, mag = F.named.column(named: "mag")!.id
        let flag = F.named.column(named: "flag")!.id, n = F.named.column(named: "n")!.id
        let r1 = try #require(byKey[F.bigEndian(Int64(1))])
        #expect(r1.cells[name] == Array("plain".utf8))
        #expect(F.double(r1.cells[mag]) == 1.5)
        #expect(r1.cells[flag] == [1])
        #expect(r1.cells[n] == F.bigEndian(Int32(7)))
        let r2 = try #require(byKey[F.bigEndian(Int64(2))])
        #expect(r2.cells[name] == nil)                          // empty field: null
        #expect(F.double(r2.cells[mag])?.isNaN == true)         // NaN in a double: NaN
        #expect(r2.cells[n] == nil)                             // NaN in an int: null
        let r3 = try #require(byKey[F.bigEndian(Int64(3))])
        #expect(r3.cells[name] == Array("Alpha, \"Cen\"\nB".utf8))
        #expect(r3.cells[mag] == nil)                           // `null`
        #expect(r3.cells[flag] == nil)
        let r4 = try #require(byKey[F.bigEndian(Int64(4))])
        #expect(r4.cells[name] == [])                           // quoted empty: empty text
        #expect(F.double(r4.cells[mag])?.bitPattern == (-0.0).bitPattern)
    }

    @Test func gzipInputGivesTheSameRows() throws {
        let dir = F.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var text = "source_id,ra,dec,phot_g_mean_mag,pmra,pmdec\n"
        for i in 0..<5000 { text += "\(Int64(i) << 40 | Int64(i)),\(Double(i) * 0.07),\(-Double(i) / 3),\(Float(i) / 7),,1e-3\n" }
        F.write(text, to: dir + "/plain.csv")
        let gz = Process()
        gz.executableURL = URL(fileURLWithPath: "/bin/sh")
        gz.arguments = ["-c", "gzip -c '\(dir)/plain.csv' > '\(dir)/packed.csv.gz'"]
        try gz.run()
        gz.waitUntilExit()
        let mapping = LoadMapping(derive: [DeriveSpec(column: "healpix5", function: .healpix(level: 5), source: "source_id")])
        let a = try F.load(F.dr3, [dir + "/plain.csv"], dir: dir + "/a", mapping: mapping)
        let b = try F.load(F.dr3, [dir + "/packed.csv.gz"], dir: dir + "/b", mapping: mapping)
        #expect(a.rowsLoaded == 5000 && b.rowsLoaded == 5000)
        #expect(try F.rows(in: dir + "/a/out") == F.rows(in: dir + "/b/out"))
    }

    @Test func derivedHealpixFromSourceID() throws {
        let dir = F.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ids: [Int64] = [1576683529448755328, 6560604777055249536, 4295806720, 0]
        F.write("source_id,ra,dec,phot_g_mean_mag,pmra,pmdec\n" + ids.map { "\($0),1,2,3,4,5\n" }.joined(), to: dir + "/g.csv")
        let mapping = LoadMapping(derive: [try DeriveSpec(parsing: "healpix5=healpix(source_id,5)")])
        let s = try F.load(F.dr3, [dir + "/g.csv"], dir: dir, mapping: mapping)
        #expect(s.rowsLoaded == 4)
        let rows = try F.rows(in: dir + "/out")
        var pixels: [Int64: Int32] = [:]
        for r in rows {
            let id = try ClusteringEncoding.decode(r.clustering, types: [.bigint], descending: [false])[0]
            let sid = id.reduce(Int64(0)) { $0 << 8 | Int64($1) }
            pixels[sid] = r.key.reduce(Int32(0)) { $0 << 8 | Int32($1) }
        }
        for id in ids { #expect(pixels[id] == Int32(id >> 49), "source_id \(id)") }
        #expect(pixels[1576683529448755328] == 2800)
    }

    @Test func rejectsFileAndTheInvariant() throws {
        let dir = F.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        F.write("source_id,name,mag,flag,n\n"
                + "1,ok,1,true,1\n"
                + "x,bad id,1,true,1\n"
                + "3,short\n"
                + "4,\"two\nlines\",oops,true,1\n"
                + ",no key,1,true,1\n"
                + "6,big,1,true,99999999999\n"
                + "7,ok,2,false,2\n"
                + "8,\"open,1,true,1\n", to: dir + "/r.csv")
        let s = try F.load(F.named, [dir + "/r.csv"], dir: dir)
        #expect(s.rowsRead == 8)
        #expect(s.rowsLoaded == 2)
        #expect(s.rowsRejected == 6)
        #expect(s.rowsLoaded + s.rowsRejected == s.rowsRead)
        #expect(s.rejectFiles == [dir + "/r.rejects.csv"])
        let rejects = try String(contentsOfFile: dir + "/r.rejects.csv", encoding: .utf8)
        let expected = """
            file,line,reason,record
            "\(dir)/r.csv",3,"invalid bigint 'x' for column source_id","x,bad id,1,true,1"
            "\(dir)/r.csv",4,"expected 5 fields, found 2","3,short"
            "\(dir)/r.csv",5,"invalid double 'oops' for column mag","4,""two
            lines"",oops,true,1"
            "\(dir)/r.csv",7,"null in partition key column source_id",",no key,1,true,1"
            "\(dir)/r.csv",8,"invalid int '99999999999' for column n","6,big,1,true,99999999999"
            "\(dir)/r.csv",10,"unterminated quoted field","8,""open,1,true,1
            "

            """
        #expect(rejects == expected)
        #expect(try F.rows(in: dir + "/out").count == 2)
    }

    @Test func explicitRejectsPathAndDryRunWritesNoSSTable() throws {
        let dir = F.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        F.write("source_id,name,mag,flag,n\n1,a,1,true,1\nq,b,1,true,1\n", to: dir + "/d.csv")
        let s = try F.load(F.named, [dir + "/d.csv"], dir: dir, dryRun: true, rejects: dir + "/all-rejects.csv")
        #expect(s.rowsRead == 2 && s.rowsLoaded == 1 && s.rowsRejected == 1)
        #expect(s.sstables.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
        #expect(FileManager.default.fileExists(atPath: dir + "/all-rejects.csv"))
    }

    @Test func wrongColumnNameIsAnErrorBeforeAnythingIsWritten() throws {
        let dir = F.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        F.write("source_id,name,magnitude,flag,n\n1,a,1,true,1\n", to: dir + "/w.csv")
        #expect {
            _ = try F.load(F.named, [dir + "/w.csv"], dir: dir)
        } throws: { e in
            "\(e)".contains("CSV column 'magnitude'") && "\(e)".contains("does not have")
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
        // --map fixes it; --skip too; a wrong --map target is named.
        #expect(try F.load(F.named, [dir + "/w.csv"], dir: dir + "/m", mapping: LoadMapping(renames: ["magnitude": "mag"])).rowsLoaded == 1)
        #expect(try F.load(F.named, [dir + "/w.csv"], dir: dir + "/s", mapping: LoadMapping(skip: ["magnitude"])).rowsLoaded == 1)
        #expect {
            _ = try F.load(F.named, [dir + "/w.csv"], dir: dir + "/x", mapping: LoadMapping(renames: ["magnitude": "mga"]))
        } throws: { e in "\(e)".contains("--map magnitude=mga") }
    }

    @Test func typesThatCannotComeFromCSVAndMissingKeysAreErrors() throws {
        let dir = F.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        F.write("ra,dec\n1,2\n", to: dir + "/k.csv")
        #expect {
            _ = try F.load(F.dr3, [dir + "/k.csv"], dir: dir)
        } throws: { e in "\(e)".contains("primary key column 'healpix5'") }
        F.write("source_id,dec\n1,2\n", to: dir + "/d.csv")
        #expect {
            _ = try F.load(F.dr3, [dir + "/d.csv"], dir: dir,
                           mapping: LoadMapping(derive: [DeriveSpec(column: "ra", function: .healpix(level: 5), source: "source_id")]))
        } throws: { e in "\(e)".contains("need int or bigint") }
        #expect {
            _ = try F.load(F.dr3, [dir + "/k.csv"], dir: dir,
                           mapping: LoadMapping(derive: [DeriveSpec(column: "ra", function: .healpix(level: 5), source: "dec")]))
        } throws: { e in "\(e)".contains("filled twice") }
        #expect(throws: LoadPlanError.self) { try DeriveSpec(parsing: "h=healpix(source_id,13)") }
    }

    @Test func memoryBudgetWritesSeveralSSTablesAndLosesNothing() throws {
        let dir = F.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var text = "source_id,ra,dec,phot_g_mean_mag,pmra,pmdec\n"
        for i in 0..<40_000 { text += "\(Int64(i) * 1_000_003 << 20 + Int64(i)),\(Double(i)),1.25,2.5,,\n" }
        F.write(text, to: dir + "/m.csv")
        let mapping = LoadMapping(derive: [DeriveSpec(column: "healpix5", function: .healpix(level: 5), source: "source_id")])
        let s = try F.load(F.dr3, [dir + "/m.csv"], dir: dir, mapping: mapping, memory: 1 << 20, threads: 1)
        #expect(s.rowsLoaded == 40_000)
        #expect(s.sstables.count >= 4, "\(s.sstables.count) SSTables")
        let rows = try F.rows(in: dir + "/out")
        #expect(rows.count == 40_000)
        #expect(Set(rows.map { $0.clustering }).count == 40_000)
    }

    @Test func duplicateKeysKeepTheLastRow() throws {
        let dir = F.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        F.write("source_id,name,mag,flag,n\n5,first,1,true,1\n6,x,1,true,1\n5,second,2,false,2\n", to: dir + "/dup.csv")
        let s = try F.load(F.named, [dir + "/dup.csv"], dir: dir, threads: 1)
        #expect(s.rowsRead == 3 && s.rowsLoaded == 3)
        let rows = try F.rows(in: dir + "/out")
        #expect(rows.count == 2)
        let five = rows.first { $0.key == F.bigEndian(Int64(5)) }
        #expect(five?.cells[F.named.column(named: "name")!.id] == Array("second".utf8))
    }

    /// Many duplicates, so some fall across the writer's internal windows of rows.
    @Test func duplicatesEverywhereKeepTheLastOfEach() throws {
        let dir = F.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var text = "source_id,name,mag,flag,n\n"
        for copy in ["a", "b", "c"] {
            for i in 0..<3000 { text += "\(i),\(copy),\(i),true,1\n" }
        }
        F.write(text, to: dir + "/dups.csv")
        let s = try F.load(F.named, [dir + "/dups.csv"], dir: dir, threads: 2)
        #expect(s.rowsRead == 9000 && s.rowsLoaded == 9000)
        let rows = try F.rows(in: dir + "/out")
        #expect(rows.count == 3000)
        let name = F.named.column(named: "name")!.id
        #expect(rows.allSatisfy { $0.cells[name] == Array("c".utf8) })
        #expect(Set(rows.map(\.key)).count == 3000)
    }

    @Test func directoryOfFilesAndBlankHeaderErrors() throws {
        let dir = F.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/in", withIntermediateDirectories: true)
        F.write("source_id,name,mag,flag,n\n1,a,1,true,1\n", to: dir + "/in/a.csv")
        F.write("name,source_id\nb,2\nc,3\n", to: dir + "/in/b.csv")
        F.write("ignored", to: dir + "/in/notes.txt")
        let s = try F.load(F.named, [dir + "/in"], dir: dir)
        #expect(s.files == 2 && s.rowsLoaded == 3)
        F.write("", to: dir + "/empty.csv")
        #expect(throws: LoaderInputError.self) { _ = try F.load(F.named, [dir + "/empty.csv"], dir: dir + "/e") }
    }
}
