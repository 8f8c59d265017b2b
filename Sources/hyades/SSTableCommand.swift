import ArgumentParser

struct SSTableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sstable",
        abstract: "Inspect SSTables offline (like sstabledump and sstableverify).",
        subcommands: []
    )
}
