import Foundation
import Testing
@testable import HyadesLoader

/// The block reader reads the next block in the background while the caller parses the
/// current one, with blocks growing from small to the full size: every byte of the file
/// must come out once, in order, in blocks of whole records.
@Suite struct CSVBlockReaderTests {
    /// The blocks of `text` read from a plain file (mapped) and, the same text, from a
    /// gzip file (read into buffers): both ways must give the same blocks' bytes.
    static func blocks(of text: [UInt8], blockBytes: Int) throws -> [[UInt8]] {
        let path = NSTemporaryDirectory() + "csv-block-reader-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).csv"
        FileManager.default.createFile(atPath: path, contents: Data(text))
        defer { try? FileManager.default.removeItem(atPath: path); try? FileManager.default.removeItem(atPath: path + ".gz") }
        func read(_ p: String) throws -> [[UInt8]] {
            let reader = CSVBlockReader(source: try ByteSource(path: p), blockBytes: blockBytes)
            var out: [[UInt8]] = []
            while let b = try reader.nextBlock() {
                // A block said to be quote-free is cut into chunks without a quote scan.
                if reader.lastBlockQuoteFree { #expect(!b.contains(34)) }
                out.append(Array(b))
            }
            return out
        }
        let mapped = try read(path)
        let gz = Process()
        gz.executableURL = URL(fileURLWithPath: "/bin/sh")
        gz.arguments = ["-c", "gzip -c '\(path)' > '\(path).gz'"]
        try gz.run()
        gz.waitUntilExit()
        let buffered = try read(path + ".gz")
        #expect(Array(buffered.joined()) == text, "the gzip (buffered) path gives every byte once")
        for b in buffered { #expect(b.isEmpty || endsAtRecord(b) || b.last != 10 && b == buffered.last) }
        return mapped
    }

    /// Whether `block` ends outside quotes, just after a newline.
    static func endsAtRecord(_ block: [UInt8]) -> Bool {
        block.last == 10 && block.filter { $0 == 34 }.count % 2 == 0
    }

    @Test func everyByteOnceInBlocksOfWholeRecords() throws {
        // 1.5 MB of records, some with quoted newlines and commas, across many 64 KiB blocks.
        var text = Array("a,b,c\n".utf8)
        var i = 0
        while text.count < 1_500_000 {
            let row = i % 7 == 0 ? "\(i),\"two\nlines, \"\"quoted\"\"\",x\n" : "\(i),\(i * 31),\(String(repeating: "z", count: i % 50))\n"
            text += Array(row.utf8)
            i += 1
        }
        let blocks = try Self.blocks(of: text, blockBytes: 1 << 16)
        #expect(blocks.count > 20)
        #expect(Array(blocks.joined()) == text)
        for b in blocks { #expect(Self.endsAtRecord(b)) }
    }

    @Test func aRecordLongerThanABlockGrowsTheBuffer() throws {
        let long = "1,\"" + String(repeating: "y\n", count: 150_000) + "\",end\n"
        let text = Array(("h1,h2,h3\n" + String(repeating: "0,1,2\n", count: 20_000) + long + "3,4,5\n").utf8)
        let blocks = try Self.blocks(of: text, blockBytes: 1 << 16)
        #expect(Array(blocks.joined()) == text)
        for b in blocks { #expect(Self.endsAtRecord(b)) }
        #expect(blocks.contains { $0.count > 300_000 })
    }

    @Test func aLastRecordWithoutNewlineIsTheLastBlock() throws {
        let text = Array(("x,y\n" + String(repeating: "123,456\n", count: 30_000) + "7,8").utf8)
        let blocks = try Self.blocks(of: text, blockBytes: 1 << 16)
        #expect(Array(blocks.joined()) == text)
        #expect(blocks.last.map { Array($0.suffix(3)) } == Array("7,8".utf8))
    }

    /// A plain file is read through mappings of one block at a time: block sizes ramp up
    /// to the limit and never go over it unless one record is longer.
    @Test func mappedBlocksStayWithinTheBlockSize() throws {
        let text = Array(("a,b\n" + String(repeating: "1234567,89\n", count: 60_000)).utf8)
        let blocks = try Self.blocks(of: text, blockBytes: 1 << 16)
        #expect(Array(blocks.joined()) == text)
        #expect(blocks.allSatisfy { $0.count <= 1 << 16 })
        #expect(blocks.count >= text.count / (1 << 16))
    }

    @Test func anEmptyFileHasNoBlock() throws {
        #expect(try Self.blocks(of: [], blockBytes: 1 << 16).isEmpty)
    }
}
