import ArgumentParser

@main
struct Hyades: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hyades",
        abstract: "Hyades: a Cassandra-compatible wide-column store for astronomy catalogues.",
        subcommands: [SSTableCommand.self, ServerCommand.self, StopCommand.self, StatusCommand.self, ShellCommand.self, LoadCommand.self,
                      NodetoolCommand.self,
                      GenerateCommand.self, HEALPixCommand.self, StressCommand.self, RoleCommand.self]
    )

    /// `hyades nodetool -h HOST status` as well as `hyades nodetool status -h HOST`.
    static func main() {
        main(NodetoolCommand.connectionOptionsAfterCommand(Array(CommandLine.arguments.dropFirst())))
    }
}
