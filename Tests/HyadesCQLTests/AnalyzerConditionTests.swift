import Testing
import HyadesCore
@testable import HyadesCQL

@Suite struct AnalyzerConditionTests {
    typealias F = AnalyzerFixtures

    func plan(_ cql: String) throws -> ModificationPlan {
        var a = F.analyzer()
        a.conditionalUpdates = true
        guard case .modification(let m) = try a.analyze(CQLParser.parse(cql)) else { throw CQLAnalysisError.invalid("not a write") }
        return m
    }

    func error(_ cql: String) -> String? {
        do { _ = try plan(cql); return nil } catch let e as CQLAnalysisError { return e.message } catch { return "\(error)" }
    }

    @Test func refusedUnlessEnabled() {
        #expect(F.error("INSERT INTO kv (k) VALUES (1) IF NOT EXISTS")?.message == "Conditional updates (IF ...) are not supported yet")
        #expect(F.error("DELETE FROM kv WHERE k = 1 IF EXISTS")?.message == "Conditional updates (IF ...) are not supported yet")
    }

    @Test func existenceConditions() throws {
        #expect(try plan("INSERT INTO kv (k, v) VALUES (1, 'a') IF NOT EXISTS").condition == .ifNotExists)
        #expect(try plan("DELETE FROM kv WHERE k = 1 IF EXISTS").condition == .ifExists)
        #expect(try plan("UPDATE kv SET v = 'a' WHERE k = 1").condition == nil)
        #expect(error("UPDATE kv USING TIMESTAMP 5 SET v = 'a' WHERE k = 1 IF EXISTS") == "Cannot provide custom timestamp for conditional updates")
        #expect(error("UPDATE kv SET v = 'a' WHERE k IN (1, 2) IF EXISTS") == "IN on the partition key is not supported with conditional updates")
    }

    @Test func columnConditions() throws {
        let m = try plan("UPDATE kv SET v = 'b' WHERE k = 1 IF v = ? AND n > 3 AND m['x'] = 1 AND n IN (4, null) AND l[1] = 5")
        #expect(m.variables.columns.map(\.name) == ["v"])
        guard case .columns(let conds) = m.condition else { Issue.record(); return }
        let b = try conds.map { try $0.bind([.null]) }
        // v = ? bound to null: holds only for null.
        #expect(b[0].matches(nil) && !b[0].matches(F.text("a")))
        #expect(b[1].matches(F.int(4)) && !b[1].matches(F.int(3)) && !b[1].matches(nil))
        #expect(b[2].matches(CQLLiteral.map([(F.text("x"), F.int(1))])) && !b[2].matches(CQLLiteral.map([(F.text("y"), F.int(1))])))
        #expect(b[3].matches(F.int(4)) && b[3].matches(nil) && !b[3].matches(F.int(5)))
        #expect(b[4].matches(CQLLiteral.collection([F.int(0), F.int(5)])) && !b[4].matches(CQLLiteral.collection([F.int(5)])))
        #expect(error("UPDATE kv SET v = 'b' WHERE k = 1 IF k = 1") == "PRIMARY KEY column 'k' cannot have IF conditions")
        let u = try plan("UPDATE people SET home = null WHERE k = 1 IF home.zip = 5")
        guard case .columns(let uc) = u.condition else { Issue.record(); return }
        let bu = try uc[0].bind([])
        #expect(bu.matches(CQLLiteral.tuple([F.text("s"), F.int(5)])) && !bu.matches(CQLLiteral.tuple([F.text("s")])))
    }
}
