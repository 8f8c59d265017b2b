import Foundation
import HyadesProtocol
import HyadesServer
import NIOCore
import Testing

@Suite struct PasswordAuthenticatorTests {
    static func tempDir() -> String { NSTemporaryDirectory() + "hyades-auth-\(UUID().uuidString)" }

    @Test func defaultSuperuserIsCreatedHashedAndChecked() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (store, created) = try RoleStore.openOrCreate(dataDirectory: dir)
        #expect(created)
        let text = try String(contentsOfFile: RoleStore.path(dataDirectory: dir), encoding: .utf8)
        // Salted bcrypt, never the password itself.
        #expect(text.hasPrefix("cassandra\ttrue\t$2b$10$"))
        #expect(!text.contains("\tcassandra\t"))
        #expect(store.authenticate(user: "cassandra", password: "cassandra"))
        #expect(!store.authenticate(user: "cassandra", password: "Cassandra"))
        #expect(!store.authenticate(user: "nobody", password: "cassandra"))
        // A second open reads the same store back.
        let (again, createdAgain) = try RoleStore.openOrCreate(dataDirectory: dir)
        #expect(!createdAgain)
        #expect(again.authenticate(user: "cassandra", password: "cassandra"))
    }

    @Test func twoHashesOfOnePasswordDiffer() throws {
        let a = try PasswordHasher.hash("secret", cost: 4)
        let b = try PasswordHasher.hash("secret", cost: 4)
        #expect(a != b)
        #expect(PasswordHasher.verify("secret", against: a) && PasswordHasher.verify("secret", against: b))
        #expect(!PasswordHasher.verify("secreT", against: a))
    }

    @Test func changedPasswordIsSeenByAnOpenStore() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (store, _) = try RoleStore.openOrCreate(dataDirectory: dir)
        Thread.sleep(forTimeInterval: 0.01)   // a distinct modification time
        _ = try RoleStore.setPassword(dataDirectory: dir, role: "cassandra", password: "n3w")
        _ = try RoleStore.setPassword(dataDirectory: dir, role: "alice", password: "wonder")
        #expect(!store.authenticate(user: "cassandra", password: "cassandra"))
        #expect(store.authenticate(user: "cassandra", password: "n3w"))
        #expect(store.authenticate(user: "alice", password: "wonder"))
        #expect(store.roles["cassandra"]?.isSuperuser == true)
        #expect(store.roles["alice"]?.isSuperuser == false)
    }

    @Test func corruptRolesFileIsRefusedWithItsLine() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try RoleStore.openOrCreate(dataDirectory: dir)
        let path = RoleStore.path(dataDirectory: dir)
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text = text.replacingOccurrences(of: "cassandra\ttrue", with: "cassandra\tfals")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ServerConfigError.self) { _ = try RoleStore.openOrCreate(dataDirectory: dir) }
        do { _ = try RoleStore.openOrCreate(dataDirectory: dir) } catch {
            #expect("\(error)".contains("roles.txt:1: checksum mismatch"))
        }
    }

    @Test func configNamesTheAuthenticator() throws {
        #expect(try ServerConfig.parse(yaml: "authenticator: PasswordAuthenticator").authenticator == "PasswordAuthenticator")
        #expect(try ServerConfig.parse(yaml: "authenticator: org.apache.cassandra.auth.PasswordAuthenticator").authenticator
                == "PasswordAuthenticator")
        #expect(try ServerConfig.parse(yaml: "authenticator:\n  class_name: AllowAllAuthenticator").authenticator == "AllowAllAuthenticator")
        #expect(try ServerConfig.parse(yaml: "").authenticator == "AllowAllAuthenticator")
        #expect(throws: ServerConfigError.self) { try ServerConfig.parse(yaml: "authenticator: KerberosAuthenticator") }
    }

    @Test func saslPlainOverTheWire() async throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = ServerConfig()
        config.dataFileDirectories = [dir]
        config.commitlogDirectory = dir + "/commitlog"
        config.numTokens = 4
        config.nativeTransportPort = 0
        config.authenticator = "PasswordAuthenticator"
        let service = try NodeService(config: config)
        let address = try await service.server.start()
        let c = try await TestClient(host: address.ipAddress!, port: address.port!)
        let challenge = try await c.send(.startup(["CQL_VERSION": "3.0.0"]))
        #expect(challenge == .authenticate("org.apache.cassandra.auth.PasswordAuthenticator"))
        // No queries before logging in.
        guard case .error(let early) = try await c.send(.query("SELECT * FROM system.local", CQLQueryParameters())) else {
            Issue.record("a query before login was not refused"); return
        }
        #expect(early.code == 0x000A)
        // Wrong password and unknown user get the same answer.
        let wrongPassword = try await c.send(.authResponse(SASLPlainCredentials(username: "cassandra", password: "nope").token))
        let unknownUser = try await c.send(.authResponse(SASLPlainCredentials(username: "eve", password: "cassandra").token))
        let garbage = try await c.send(.authResponse([1, 2, 3]))
        #expect(wrongPassword == .error(.badCredentials))
        #expect(unknownUser == wrongPassword && garbage == wrongPassword)
        guard case .error(let e) = wrongPassword else { return }
        #expect(e.code == 0x0100)
        let ok = try await c.send(.authResponse(SASLPlainCredentials(username: "cassandra", password: "cassandra").token))
        #expect(ok == .authSuccess(nil))
        let local = try await c.rows("SELECT cluster_name FROM system.local")
        #expect(local.rows.first?.first??.text == "Test Cluster")
        await c.close()
        await service.server.stop()
        try service.node.drain()
    }

    @Test func saslPlainTokenParsing() {
        #expect(SASLPlainCredentials(token: Array("\0bob\0pw".utf8)) == SASLPlainCredentials(username: "bob", password: "pw"))
        // An authorization id before the first NUL is ignored.
        #expect(SASLPlainCredentials(token: Array("admin\0bob\0pw".utf8))?.username == "bob")
        #expect(SASLPlainCredentials(token: Array("\0bob\0".utf8))?.password == "")
        #expect(SASLPlainCredentials(token: Array("bobpw".utf8)) == nil)
        #expect(SASLPlainCredentials(token: Array("\0\0pw".utf8)) == nil)
    }
}
