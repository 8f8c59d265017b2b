import HyadesShell
import Testing

@Suite struct CompletionEngineTests {
    let names = StaticSchemaNames([
        "gaia": ["dr3": ["source_id", "ra", "dec", "phot_g_mean_mag"], "dr3_epoch": ["source_id", "epoch"]],
        "demo": ["stars": ["id", "name", "mag"], "Mixed": ["Key", "v"]],
    ])

    func complete(_ text: String, keyspace: String? = "demo") -> [String] {
        CompletionEngine(names: names, currentKeyspace: keyspace).complete(text).candidates
    }

    @Test func statementStartKeywordsInTheUsersCase() {
        #expect(complete("SEL") == ["SELECT"])
        #expect(complete("sel") == ["select"])
        #expect(complete("").contains("CREATE"))
    }

    @Test func tablesAfterFromIntoUpdateAndKeyspacesWithADot() {
        #expect(complete("SELECT * FROM st") == ["stars"])
        #expect(complete("SELECT * FROM ") == ["\"Mixed\"", "stars", "demo.", "gaia."])
        #expect(complete("INSERT INTO g") == ["gaia."])
        #expect(complete("SELECT * FROM gaia.dr") == ["gaia.dr3", "gaia.dr3_epoch"])
        #expect(complete("UPDATE gaia.dr3_e") == ["gaia.dr3_epoch"])
        // Statements earlier in the input do not matter; lines of this one do.
        #expect(complete("USE x; SELECT *\nFROM st") == ["stars"])
    }

    @Test func keyspacesAfterUse() {
        #expect(complete("USE ") == ["demo", "gaia"])
        #expect(complete("use g") == ["gaia"])
        #expect(complete("DESCRIBE KEYSPACE ga") == ["gaia"])
    }

    @Test func columnsWhereTheStatementNamesItsTable() {
        #expect(complete("SELECT * FROM gaia.dr3 WHERE so") == ["source_id"])
        #expect(complete("SELECT ra FROM gaia.dr3 WHERE source_id = 1 AND ") == ["source_id", "ra", "dec", "phot_g_mean_mag"])
        #expect(complete("UPDATE stars SET ma") == ["mag"])
        #expect(complete("INSERT INTO stars (id, na") == ["name"])
        #expect(complete("INSERT INTO \"Mixed\" (") == ["\"Key\"", "v"])
        // Before FROM: the columns of the current keyspace's tables.
        #expect(complete("SELECT na") == ["name"])
        // Values are not columns.
        #expect(complete("INSERT INTO stars (id) VALUES (") == [])
    }

    @Test func followingKeywordsAndTypes() {
        #expect(complete("SELECT * FROM stars ") == ["WHERE", "LIMIT", "ORDER BY", "PER PARTITION LIMIT", "ALLOW FILTERING"])
        #expect(complete("SELECT id ") == ["FROM", "AS"])
        #expect(complete("CREATE TABLE t (k in") == ["inet", "int"])
        #expect(complete("consistency lo") == ["local_quorum", "local_serial", "local_one"])
        #expect(complete("PAGING ") == ["ON", "OFF"])
    }

    @Test func insideAStringNothingIsOffered() {
        #expect(complete("SELECT * FROM t WHERE name = 'st") == [])
    }
}
