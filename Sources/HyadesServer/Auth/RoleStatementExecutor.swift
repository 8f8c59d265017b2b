import HyadesCore
import HyadesProtocol
import NIOCore

/// Runs a `RoleStatement` for the logged-in `user` against the `RoleStore`, with
/// Cassandra's rules: superusers manage every role; a role may change its own password
/// but not its superuser status; nobody drops the role they are logged in as.
enum RoleStatementExecutor {
    static func execute(_ statement: RoleStatement, user: String?, roles: RoleStore,
                        allocator: ByteBufferAllocator) -> CQLResponse {
        guard let user else { return .error(CQLErrorMessage(.unauthorized, "You have not logged in")) }
        let isSuperuser = roles.current()[user]?.isSuperuser == true
        func unauthorized(_ m: String) -> CQLResponse { .error(CQLErrorMessage(.unauthorized, m)) }
        func invalid(_ m: String) -> CQLResponse { .error(CQLErrorMessage(.invalid, m)) }
        let denied = "User \(user) does not have sufficient privileges to perform the requested operation"
        do {
            switch statement {
            case .list:
                let shown = roles.current().values.filter { isSuperuser || $0.name == user }.sorted { $0.name < $1.name }
                return .result(.rows(listing(shown, allocator: allocator)))
            case .create(let name, let password, let superuser, let ifNotExists):
                guard isSuperuser else { return unauthorized(denied) }
                var existed = false
                let hash = try PasswordHasher.hash(password ?? "")
                try roles.update { (r: inout [String: Role]) throws(RoleStatementError) in
                    if r[name] != nil { existed = true; return }
                    r[name] = Role(name: name, isSuperuser: superuser ?? false, saltedHash: hash)
                }
                if existed && !ifNotExists { return invalid("\(name) already exists") }
            case .alter(let name, let password, let superuser):
                if superuser != nil && !isSuperuser { return unauthorized("Only superusers are allowed to alter superuser status") }
                if superuser == false && name == user { return unauthorized("You aren't allowed to alter your own superuser status") }
                guard isSuperuser || name == user else { return unauthorized(denied) }
                let hash = try password.map { try PasswordHasher.hash($0) }
                var missing = false
                try roles.update { (r: inout [String: Role]) throws(RoleStatementError) in
                    guard var role = r[name] else { missing = true; return }
                    if let hash { role.saltedHash = hash }
                    if let superuser { role.isSuperuser = superuser }
                    r[name] = role
                }
                if missing { return invalid("\(name) doesn't exist") }
            case .drop(let name, let ifExists):
                guard isSuperuser else { return unauthorized(denied) }
                if name == user { return invalid("Cannot DROP primary role for current login") }
                var missing = false
                try roles.update { (r: inout [String: Role]) throws(RoleStatementError) in
                    if r.removeValue(forKey: name) == nil { missing = true }
                }
                if missing && !ifExists { return invalid("\(name) doesn't exist") }
            }
            return .result(.void)
        } catch {
            return .error(CQLErrorMessage(.serverError, "Role change failed: \(error)"))
        }
    }

    /// LIST ROLES: role, super, login, options (as Cassandra 4 prints them).
    static func listing(_ roles: [Role], allocator: ByteBufferAllocator) -> CQLRows {
        let columns = [
            ColumnSpecification(keyspace: "system_auth", table: "roles", name: "role", type: .text),
            ColumnSpecification(keyspace: "system_auth", table: "roles", name: "super", type: .boolean),
            ColumnSpecification(keyspace: "system_auth", table: "roles", name: "login", type: .boolean),
            ColumnSpecification(keyspace: "system_auth", table: "roles", name: "options", type: .map(.text, .text)),
        ]
        var encoder = CQLRowsEncoder(columnCount: columns.count, allocator: allocator)
        for r in roles {
            encoder.appendUTF8(r.name)
            encoder.appendBool(r.isSuperuser)
            encoder.appendBool(true)
            encoder.append(bytes: [0, 0, 0, 0])   // an empty map
            encoder.endRow()
        }
        return encoder.finish(metadata: CQLResultMetadata(columns: columns))
    }
}
