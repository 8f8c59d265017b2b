import Testing
@testable import HyadesServer

@Suite struct RoleStatementTests {
    @Test func parsesCassandrasRoleAndUserForms() throws {
        #expect(try RoleStatement.parse("CREATE ROLE alice WITH PASSWORD = 'w''x' AND LOGIN = true AND SUPERUSER = false;")
                == .create(name: "alice", password: "w'x", superuser: false, ifNotExists: false))
        #expect(try RoleStatement.parse("create role if not exists \"Bob\" with password = 'p'")
                == .create(name: "Bob", password: "p", superuser: nil, ifNotExists: true))
        #expect(try RoleStatement.parse("CREATE USER carol WITH PASSWORD 'c' SUPERUSER")
                == .create(name: "carol", password: "c", superuser: true, ifNotExists: false))
        #expect(try RoleStatement.parse("ALTER ROLE alice WITH PASSWORD = 'n'") == .alter(name: "alice", password: "n", superuser: nil))
        #expect(try RoleStatement.parse("ALTER ROLE alice WITH SUPERUSER = true") == .alter(name: "alice", password: nil, superuser: true))
        #expect(try RoleStatement.parse("ALTER USER alice WITH PASSWORD 'n' NOSUPERUSER") == .alter(name: "alice", password: "n", superuser: false))
        #expect(try RoleStatement.parse("DROP ROLE IF EXISTS alice") == .drop(name: "alice", ifExists: true))
        #expect(try RoleStatement.parse("DROP USER alice") == .drop(name: "alice", ifExists: false))
        #expect(try RoleStatement.parse("LIST ROLES") == .list)
        #expect(try RoleStatement.parse("  list users;") == .list)
    }

    @Test func otherStatementsPassThrough() throws {
        for q in ["SELECT * FROM roles", "CREATE TABLE role (k int PRIMARY KEY)", "CREATE KEYSPACE users WITH replication = {}",
                  "INSERT INTO t (k) VALUES ('CREATE ROLE x')", "LIST PERMISSIONS", "ALTER TABLE user ADD x int"] {
            let passes = try !RoleStatement.mightBe(q) || RoleStatement.parse(q) == nil
            #expect(passes, "\(q)")
        }
        #expect(RoleStatement.mightBe("CREATE\n  ROLE x WITH PASSWORD = 'p'"))
    }

    @Test func unreadableRoleStatementsSayWhy() {
        func message(_ q: String) -> String {
            do { _ = try RoleStatement.parse(q); return "parsed" } catch { return error.message }
        }
        #expect(message("CREATE ROLE x WITH LOGIN = false") .contains("LOGIN = false"))
        #expect(message("CREATE ROLE x") .contains("needs a PASSWORD"))
        #expect(message("CREATE ROLE x WITH PASSWORD 'p'") .contains("expected '='"))
        #expect(message("CREATE ROLE x WITH OPTIONS = {}") .contains("not supported"))
        #expect(message("DROP ROLE x y") .contains("unexpected input"))
        #expect(message("CREATE ROLE x WITH PASSWORD = 'p") .contains("unterminated"))
    }
}
