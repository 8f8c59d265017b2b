/// The role statements a PasswordAuthenticator node answers itself (Cassandra's
/// CassandraRoleManager subset for login roles):
///
///     CREATE ROLE [IF NOT EXISTS] r WITH PASSWORD = 'pw' [AND LOGIN = true] [AND SUPERUSER = b]
///     ALTER ROLE r WITH PASSWORD = 'pw' [AND SUPERUSER = b]
///     DROP ROLE [IF EXISTS] r
///     CREATE USER [IF NOT EXISTS] u WITH PASSWORD 'pw' [SUPERUSER | NOSUPERUSER]
///     ALTER USER u WITH PASSWORD 'pw' [SUPERUSER | NOSUPERUSER]
///     DROP USER [IF EXISTS] u
///     LIST ROLES | LIST USERS
///
/// Every role logs in (`LOGIN = false` is refused); there are no permissions to GRANT.
enum RoleStatement: Equatable {
    case create(name: String, password: String?, superuser: Bool?, ifNotExists: Bool)
    case alter(name: String, password: String?, superuser: Bool?)
    case drop(name: String, ifExists: Bool)
    case list

    /// A cheap look at the first two words, so that ordinary queries are not lexed twice.
    static func mightBe(_ text: String) -> Bool {
        var words: [String] = []
        var current = ""
        for u in text.utf8 {
            if (u >= 0x41 && u <= 0x5A) || (u >= 0x61 && u <= 0x7A) {
                current.append(Character(Unicode.Scalar(u | 0x20)))
                if current.count > 6 { return false }
            } else if u == 0x20 || u == 0x09 || u == 0x0A || u == 0x0D {
                if !current.isEmpty { words.append(current); current = "" }
                if words.count == 2 { break }
            } else {
                break
            }
        }
        if !current.isEmpty && words.count < 2 { words.append(current) }
        guard words.count == 2 else { return false }
        switch words[0] {
        case "create", "alter", "drop": return words[1] == "role" || words[1] == "user"
        case "list": return words[1] == "roles" || words[1] == "users"
        default: return false
        }
    }

    /// nil when `text` is not a role statement (it goes on to the query layer); throws a
    /// message for a role statement it cannot read.
    static func parse(_ text: String) throws(RoleStatementError) -> RoleStatement? {
        var lexer = Lexer(text)
        let tokens = try lexer.all()
        guard let first = tokens.first?.word else { return nil }
        var p = Parser(tokens: tokens)
        switch first {
        case "create", "alter", "drop":
            guard tokens.count > 1, let kind = tokens[1].word, kind == "role" || kind == "user" else { return nil }
            p.i = 2
            return try p.statement(verb: first, isUser: kind == "user")
        case "list":
            guard tokens.count >= 2, let kind = tokens[1].word, kind == "roles" || kind == "users" else { return nil }
            p.i = 2
            try p.end()
            return .list
        default:
            return nil
        }
    }

    enum Token: Equatable {
        /// An unquoted word, lower-cased; `quoted` keeps a double-quoted name's case.
        case word(String)
        case quoted(String)
        case string(String)
        case symbol(Character)

        var word: String? { if case .word(let w) = self { return w }; return nil }
    }

    struct Lexer {
        let chars: [Character]
        var i = 0
        init(_ s: String) { chars = Array(s) }

        mutating func all() throws(RoleStatementError) -> [Token] {
            var out: [Token] = []
            while i < chars.count {
                let c = chars[i]
                if c.isWhitespace { i += 1; continue }
                if c == ";" { i += 1; continue }
                if c == "'" || c == "\"" {
                    i += 1
                    var s = ""
                    while true {
                        guard i < chars.count else { throw RoleStatementError("unterminated \(c == "'" ? "string" : "name")") }
                        if chars[i] == c {
                            if i + 1 < chars.count, chars[i + 1] == c { s.append(c); i += 2; continue }
                            i += 1
                            break
                        }
                        s.append(chars[i]); i += 1
                    }
                    out.append(c == "'" ? .string(s) : .quoted(s))
                    continue
                }
                if c.isLetter || c.isNumber || c == "_" {
                    var w = ""
                    while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" { w.append(chars[i]); i += 1 }
                    out.append(.word(w.lowercased()))
                    continue
                }
                out.append(.symbol(c)); i += 1
            }
            return out
        }
    }

    struct Parser {
        let tokens: [Token]
        var i = 0

        func peekWord() -> String? { i < tokens.count ? tokens[i].word : nil }

        mutating func accept(_ w: String) -> Bool {
            if peekWord() == w { i += 1; return true }
            return false
        }

        mutating func expect(_ w: String) throws(RoleStatementError) {
            guard accept(w) else { throw RoleStatementError("expected \(w.uppercased())") }
        }

        mutating func name() throws(RoleStatementError) -> String {
            guard i < tokens.count else { throw RoleStatementError("expected a role name") }
            defer { i += 1 }
            switch tokens[i] {
            case .word(let w): return w
            case .quoted(let q), .string(let q): return q
            case .symbol: throw RoleStatementError("expected a role name")
            }
        }

        mutating func string() throws(RoleStatementError) -> String {
            guard i < tokens.count, case .string(let s) = tokens[i] else { throw RoleStatementError("expected a quoted string") }
            i += 1
            return s
        }

        mutating func bool() throws(RoleStatementError) -> Bool {
            if accept("true") { return true }
            if accept("false") { return false }
            throw RoleStatementError("expected true or false")
        }

        func end() throws(RoleStatementError) {
            guard i == tokens.count else { throw RoleStatementError("unexpected input after the statement") }
        }

        mutating func statement(verb: String, isUser: Bool) throws(RoleStatementError) -> RoleStatement {
            var ifNotExists = false, ifExists = false
            if verb == "create", accept("if") { try expect("not"); try expect("exists"); ifNotExists = true }
            if verb == "drop", accept("if") { try expect("exists"); ifExists = true }
            let n = try name()
            if verb == "drop" { try end(); return .drop(name: n, ifExists: ifExists) }
            var password: String?, superuser: Bool?
            if isUser {
                if accept("with") { try expect("password"); password = try string() }
                if accept("superuser") { superuser = true } else if accept("nosuperuser") { superuser = false }
            } else if accept("with") {
                repeat {
                    guard let option = peekWord() else { throw RoleStatementError("expected PASSWORD, LOGIN or SUPERUSER") }
                    i += 1
                    guard i < tokens.count, tokens[i] == .symbol("=") else { throw RoleStatementError("expected '=' after \(option.uppercased())") }
                    i += 1
                    switch option {
                    case "password": password = try string()
                    case "superuser": superuser = try bool()
                    case "login":
                        guard try bool() else { throw RoleStatementError("roles that cannot log in (LOGIN = false) are not supported yet") }
                    default: throw RoleStatementError("\(option.uppercased()) is not supported; use PASSWORD, LOGIN or SUPERUSER")
                    }
                } while accept("and")
            }
            try end()
            if verb == "create" {
                guard password != nil else { throw RoleStatementError("a new role needs a PASSWORD (every role logs in with one)") }
                return .create(name: n, password: password, superuser: superuser, ifNotExists: ifNotExists)
            }
            return .alter(name: n, password: password, superuser: superuser)
        }
    }
}

struct RoleStatementError: Error, Equatable {
    var message: String
    init(_ message: String) { self.message = message }
}
