#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Foundation
import HyadesLoader

/// `hyades generate`: synthetic catalogues for scale tests and benchmarks.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Generate synthetic catalogue rows as CSV (for scale tests and benchmarks).",
        subcommands: [GenerateDR3Command.self])
}

struct GenerateDR3Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dr3",
        abstract: "Stream deterministic Gaia-DR3-like rows as CSV with a header line.",
        discussion: """
            20 columns of gaia_source (source_id with a valid level-12 HEALPix pixel in its top \
            bits, ra, dec, parallax, proper motion, photometry, radial_velocity, ...), empty \
            fields for nulls where Gaia has them. The same --seed gives the same bytes; memory \
            stays constant whatever --rows is.
            Example (10M rows into a table partitioned by sky patch):
              hyades generate dr3 --print-schema | hyades shell
              hyades generate dr3 --rows 10000000 --out dr3-10M.csv.gz --gzip
              hyades load -t gaia.dr3_generated --derive 'healpix5=healpix(source_id,5)' dr3-10M.csv.gz
            """)

    @Option(help: "Number of rows.")
    var rows: UInt64 = 1_000_000

    @Option(help: "Seed: the same seed gives the same rows.")
    var seed: UInt64 = 2016

    @Option(help: "First row number (to produce one file of many: --start 10000000 --rows 10000000).")
    var start: UInt64 = 0

    @Option(help: "Output file, or - for stdout.")
    var out: String = "-"

    @Flag(help: "Compress the output with gzip.")
    var gzip = false

    @Flag(name: .customLong("no-header"), help: "Leave out the header line.")
    var noHeader = false

    @Option(name: .customLong("print-schema"), help: "Print CREATE KEYSPACE / CREATE TABLE for this table (keyspace.table) and exit.")
    var printSchema: String?

    func validate() throws {
        guard start <= UInt64(1) << 35, rows <= (UInt64(1) << 35) - start else {
            throw ValidationError("--start + --rows must stay below 2^35 (the row number is the low 35 bits of source_id)")
        }
        if let printSchema, printSchema.split(separator: ".").count != 2 {
            throw ValidationError("--print-schema takes keyspace.table, e.g. gaia.dr3_generated")
        }
    }

    func run() throws {
        if let table = printSchema {
            let keyspace = table.split(separator: ".")[0]
            print("CREATE KEYSPACE IF NOT EXISTS \(keyspace) WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};")
            print(DR3Columns.createTable(table))
            return
        }
        let toStdout = out == "-"
        // Regular files are written beside and renamed into place; a device or a fifo
        // (/dev/null, a named pipe) is written directly, never replaced.
        var st = stat()
        let special = !toStdout && stat(out, &st) == 0 && (st.st_mode & S_IFMT) != S_IFREG
        let direct = toStdout || special
        let temporary = direct ? out : out + ".tmp.\(getpid())"
        let fd = toStdout ? STDOUT_FILENO : open(temporary, special ? O_WRONLY : O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw ValidationError("cannot create \(out): \(String(cString: strerror(errno)))")
        }
        let began = Date()
        do {
            let writer = try DR3CSVWriter(fd: fd, gzipLevel: gzip ? 1 : nil)
            if !noHeader { try writer.writeHeader() }
            try writer.write(DR3RowGenerator(seed: seed), rows: start..<(start + rows))
            try writer.finish()
            if special {
                close(fd)
            } else if !toStdout {
                guard fsync(fd) == 0, close(fd) == 0 else { throw GeneratorOutputError("cannot write \(out): \(String(cString: strerror(errno)))") }
                // Complete or absent: an interrupted run never leaves a plausible short file.
                guard rename(temporary, out) == 0 else { throw GeneratorOutputError("cannot rename to \(out): \(String(cString: strerror(errno)))") }
            }
            let seconds = Date().timeIntervalSince(began)
            let rate = seconds > 0 ? Int(Double(rows) / seconds) : 0
            let where_ = toStdout ? "stdout" : out
            FileHandle.standardError.write(Data("hyades generate: \(rows) rows, \(writer.bytesWritten) bytes to \(where_) in \(String(format: "%.2f", seconds))s (\(rate) rows/s)\n".utf8))
        } catch {
            if !direct { close(fd); unlink(temporary) } else if special { close(fd) }
            FileHandle.standardError.write(Data("hyades generate: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
