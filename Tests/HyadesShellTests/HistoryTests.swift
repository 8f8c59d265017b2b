import Foundation
import HyadesShell
import Testing

@Suite struct HistoryTests {
    func tempPath() -> String { NSTemporaryDirectory() + "hyades-history-\(UUID().uuidString)/shell_history" }

    @Test func entriesPersistAcrossSessionsOnePerLine() throws {
        let path = tempPath()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        var h = History(path: path)
        h.add("SELECT *\n  FROM ks.t;")
        h.add("SELECT *\n  FROM ks.t;")  // immediate repeat: skipped
        h.add("   ")
        h.add("USE ks;")
        let again = History(path: path)
        #expect(again.entries == ["SELECT *   FROM ks.t;", "USE ks;"])
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "SELECT *   FROM ks.t;\nUSE ks;\n")
    }

    @Test func oldestEntriesAreDroppedAtTheLimit() {
        let path = tempPath()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        var h = History(path: path, limit: 3)
        for i in 1...5 { h.add("SELECT \(i);") }
        #expect(h.entries == ["SELECT 3;", "SELECT 4;", "SELECT 5;"])
        #expect(History(path: path, limit: 3).entries == ["SELECT 3;", "SELECT 4;", "SELECT 5;"])
    }

    @Test func environmentOverridesTheDefaultFile() {
        #expect(History.defaultPath(environment: ["HOME": "/home/u"]) == "/home/u/.hyades/shell_history")
        #expect(History.defaultPath(environment: ["HOME": "/home/u", "HYADES_SHELL_HISTORY": "/tmp/h"]) == "/tmp/h")
        #expect(History.defaultPath(environment: ["HYADES_SHELL_HISTORY": ""]) == nil)
    }
}
