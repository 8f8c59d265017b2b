import HyadesShell
import Testing

@Suite struct LineEditingTests {
    @Test func insertMoveAndDelete() {
        var b = LineBuffer()
        b.insert("SELCT")
        b.moveLeft(); b.moveLeft()
        b.insert("E")
        #expect(b.text == "SELECT" && b.cursor == 4)
        b.moveHome()
        b.deleteForward()
        #expect(b.text == "ELECT" && b.cursor == 0)
        b.moveEnd()
        b.deleteBackward()
        #expect(b.text == "ELEC" && b.cursor == 4)
        b.moveRight()  // at end: stays
        #expect(b.cursor == 4)
    }

    @Test func killCommands() {
        var b = LineBuffer("SELECT * FROM stars  ")
        b.killWordBackward()
        #expect(b.text == "SELECT * FROM ")
        b.moveHome(); for _ in 0..<7 { b.moveRight() }
        b.killToEnd()
        #expect(b.text == "SELECT ")
        b.insert("x")
        b.moveLeft()
        b.killToStart()
        #expect(b.text == "x" && b.cursor == 0)
    }

    func run(_ keys: [Key], history: [String] = [], complete: ((String) -> CompletionProposal)? = nil) -> (EditState, EditState.Action?) {
        var s = EditState(prompt: "hyades> ", history: HistoryCursor(entries: history))
        var last: EditState.Action?
        for k in keys { last = s.handle(k, complete: complete) }
        return (s, last)
    }

    func typed(_ text: String) -> [Key] { text.map { Key.character($0) } }

    @Test func enterFinishesCtrlCInterruptsCtrlDOnEmptyLineEnds() {
        #expect(run(typed("USE ks;") + [.enter]).1 == .finish(.line("USE ks;")))
        #expect(run(typed("SELECT") + [.control("c")]).1 == .finish(.interrupted))
        #expect(run([.control("d")]).1 == .finish(.endOfInput))
        // ctrl-d on a non-empty line deletes under the cursor instead.
        let (s, a) = run(typed("ab") + [.home, .control("d")])
        #expect(a == .redraw && s.buffer.text == "b")
    }

    @Test func ctrlAAndCtrlEMoveToEnds() {
        let (s, _) = run(typed("ELECT 1;") + [.control("a")] + typed("S") + [.control("e")] + typed("x"))
        #expect(s.buffer.text == "SELECT 1;x")
    }

    @Test func upAndDownWalkHistoryAndRestoreTheDraft() {
        let h = ["SELECT 1;", "SELECT 2;"]
        var s = EditState(prompt: "> ", history: HistoryCursor(entries: h))
        for k in typed("dra") { _ = s.handle(k, complete: nil) }
        _ = s.handle(.up, complete: nil)
        #expect(s.buffer.text == "SELECT 2;")
        _ = s.handle(.up, complete: nil)
        #expect(s.buffer.text == "SELECT 1;")
        #expect(s.handle(.up, complete: nil) == .bell)  // oldest
        _ = s.handle(.down, complete: nil)
        _ = s.handle(.down, complete: nil)
        #expect(s.buffer.text == "dra")
        #expect(s.handle(.down, complete: nil) == .bell)
    }

    @Test func tabInsertsTheOnlyCandidateOrTheCommonPrefixOrListsThem() {
        let one: (String) -> CompletionProposal = { _ in CompletionProposal(replaceCount: 2, candidates: ["stars"]) }
        #expect(run(typed("FROM st") + [.tab], complete: one).0.buffer.text == "FROM stars ")
        let ks: (String) -> CompletionProposal = { _ in CompletionProposal(replaceCount: 1, candidates: ["gaia."]) }
        #expect(run(typed("FROM g") + [.tab], complete: ks).0.buffer.text == "FROM gaia.")
        let two: (String) -> CompletionProposal = { _ in CompletionProposal(replaceCount: 1, candidates: ["dr3", "dr3_epoch"]) }
        #expect(run(typed("FROM d") + [.tab], complete: two).0.buffer.text == "FROM dr3")
        let (s, a) = run(typed("FROM dr3") + [.tab], complete: { _ in CompletionProposal(replaceCount: 3, candidates: ["dr3", "dr3_epoch"]) })
        #expect(a == .show(["dr3", "dr3_epoch"]) && s.buffer.text == "FROM dr3")
        #expect(run(typed("x") + [.tab], complete: { _ in CompletionProposal(replaceCount: 1, candidates: []) }).1 == .bell)
    }

    @Test func renderScrollsLongLinesToKeepTheCursorVisible() {
        var s = EditState(prompt: "p> ", history: HistoryCursor(entries: []))
        for k in typed("abcdef") { _ = s.handle(k, complete: nil) }
        #expect(s.render(columns: 80) == "\rp> abcdef\u{1B}[0K\r\u{1B}[9C")
        // 10 columns: prompt (3) + text must leave the cursor on screen.
        let narrow = s.render(columns: 8)
        #expect(narrow.hasPrefix("\rp> ") && narrow.contains("ef") && !narrow.contains("abc"))
        _ = s.handle(.home, complete: nil)
        #expect(s.render(columns: 8) == "\rp> abcd\u{1B}[0K\r\u{1B}[3C")
    }
}
