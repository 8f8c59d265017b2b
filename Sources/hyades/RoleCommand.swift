import ArgumentParser
import Foundation
import HyadesServer

/// `hyades role set-password NAME`: sets (or creates) a login role for
/// PasswordAuthenticator in the node's `<data>/auth/roles.txt`. The new password is read
/// from the first line of stdin, so it never appears in the process list or shell history.
/// A running node picks the change up at the next login.
struct RoleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "role", abstract: "Manage PasswordAuthenticator login roles.",
        subcommands: [SetPassword.self])

    struct SetPassword: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-password",
            abstract: "Set a role's password (read from stdin), creating the role if it does not exist.")

        @Argument(help: "Role name, e.g. cassandra.")
        var name: String

        @Option(help: "Configuration file; its data_file_directories names the node's data directory.")
        var config: String?

        @Option(name: .customLong("data-dir"), help: "The node's data directory (overrides --config).")
        var dataDir: String?

        @Flag(help: "Make the role a superuser.")
        var superuser = false

        func run() throws {
            var directory = ServerConfig().dataDirectory
            do {
                if let config { directory = try ServerConfig.load(path: config).dataDirectory }
                if let dataDir { directory = dataDir }
            } catch {
                FileHandle.standardError.write(Data("hyades role: \(error)\n".utf8))
                throw ExitCode(2)
            }
            guard let password = readLine(strippingNewline: true), !password.isEmpty else {
                FileHandle.standardError.write(Data("hyades role: give the new password on stdin (one line, not empty)\n".utf8))
                throw ExitCode(2)
            }
            do {
                let store = try RoleStore.setPassword(dataDirectory: directory, role: name, password: password,
                                                      superuser: superuser ? true : nil)
                print("role '\(name)' updated in \(store.path)")
            } catch {
                FileHandle.standardError.write(Data("hyades role: \(error)\n".utf8))
                throw ExitCode(1)
            }
        }
    }
}
