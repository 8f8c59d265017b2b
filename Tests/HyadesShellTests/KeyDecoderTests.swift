import HyadesShell
import Testing

@Suite struct KeyDecoderTests {
    func keys(_ bytes: [UInt8]) -> [Key] {
        var d = KeyDecoder()
        return d.feed(bytes)
    }

    @Test func arrowsHomeEndAndDelete() {
        #expect(keys(Array("\u{1B}[A\u{1B}[B\u{1B}[C\u{1B}[D".utf8)) == [.up, .down, .right, .left])
        #expect(keys(Array("\u{1B}OH\u{1B}OF\u{1B}[H\u{1B}[F".utf8)) == [.home, .end, .home, .end])
        #expect(keys(Array("\u{1B}[1~\u{1B}[4~\u{1B}[7~\u{1B}[8~\u{1B}[3~".utf8)) == [.home, .end, .home, .end, .delete])
        // ctrl-right (modifier form) is still "right".
        #expect(keys(Array("\u{1B}[1;5C".utf8)) == [.right])
    }

    @Test func controlKeysEnterTabBackspace() {
        #expect(keys([0x01, 0x05, 0x0B, 0x15, 0x17, 0x03, 0x04]) ==
            [.control("a"), .control("e"), .control("k"), .control("u"), .control("w"), .control("c"), .control("d")])
        #expect(keys([0x0D, 0x0A, 0x09, 0x7F, 0x08]) == [.enter, .enter, .tab, .backspace, .backspace])
    }

    @Test func sequencesSplitAcrossReadsWaitForTheirEnd() {
        var d = KeyDecoder()
        #expect(d.feed([0x1B]) == [])
        #expect(d.hasPending)
        #expect(d.feed([0x5B]) == [])
        #expect(d.feed([0x41, 0x61]) == [.up, .character("a")])
        #expect(!d.hasPending)
    }

    @Test func utf8CharactersAreWholeEvenWhenSplit() {
        var d = KeyDecoder()
        let bytes = Array("é☆".utf8)
        #expect(d.feed(bytes[0..<1]) == [])
        #expect(d.feed(bytes[1..<3]) == [.character("é")])
        #expect(d.feed(bytes[3...]) == [.character("☆")])
    }

    @Test func loneEscapeFlushesAsUnknownAndNeverInsertsText() {
        var d = KeyDecoder()
        #expect(d.feed([0x1B]) == [])
        #expect(d.flush() == [.unknown])
        #expect(keys(Array("\u{1B}[15~".utf8)) == [.unknown])  // F5
        #expect(keys([0xFF]) == [.unknown])
    }
}
