import Foundation
import HyadesClient
import HyadesCQL
import HyadesCore

/// Runs COPY TO / COPY FROM through the shell's session.
///
/// TO pages through `SELECT cols FROM ks.t` and writes CSV: text as is, every other
/// value as its CQL literal (`CQLValueFormat`, full precision), nulls as the NULL option.
/// FROM reads CSV records and turns each into an INSERT with literal values (quoted for
/// text-like types), sent concurrently in groups; a bad record is reported with its line
/// number and skipped, the rest are loaded. The node checks every value, so its errors
/// are the ones a typed INSERT would give.
struct CopyRunner {
    let shell: Shell
    let command: CopyCommand

    var connection: ShellConnection { shell.connection }

    var keyspace: String? { command.keyspace ?? connection.keyspace }

    func qualifiedTable() throws -> String {
        guard let ks = keyspace else {
            throw ShellMessageError("No keyspace specified and no current keyspace: use COPY <keyspace>.<table> or USE first.")
        }
        return SchemaDescriber.quoted(ks) + "." + SchemaDescriber.quoted(command.table)
    }

    func run() throws {
        switch command.direction {
        case .to: try exportRows()
        case .from: try importRows()
        }
    }

    // MARK: TO

    func exportRows() throws {
        let table = try qualifiedTable()
        let select = "SELECT " + (command.columns?.map(SchemaDescriber.quoted).joined(separator: ", ") ?? "*") + " FROM " + table
        let started = Date()
        var out: FileHandle?
        if let path = command.file {
            let expanded = (path as NSString).expandingTildeInPath
            guard FileManager.default.createFile(atPath: expanded, contents: nil), let h = FileHandle(forWritingAtPath: expanded) else {
                throw ShellMessageError("Could not open '\(path)' for writing: \(String(cString: strerror(errno)))")
            }
            out = h
        }
        defer { try? out?.close() }
        func emit(_ text: String) throws {
            if let out { try out.write(contentsOf: Data(text.utf8)) } else { shell.output.write(text) }
        }
        let writer = CSVWriter(delimiter: command.delimiter, quote: command.quote, nullText: command.nullText)
        var page = try connection.execute(select, pageSize: command.pageSize)
        if command.header { try emit(writer.record(page.columns.map(\.name))) }
        let types = page.columns.map(\.type)
        var count = 0
        pages: while true {
            var chunk = ""
            for row in page {
                if let max = command.maxRows, count >= max { try emit(chunk); break pages }
                chunk += writer.record((0..<types.count).map { i in
                    row.withCell(i) { p in p.map { Self.csvText($0, type: types[i]) } }
                })
                count += 1
            }
            try emit(chunk)
            guard page.hasMorePages else { break }
            page = try connection.execute(select, pageSize: command.pageSize, after: page)
        }
        let seconds = String(format: "%.3f", Date().timeIntervalSince(started))
        let message = "\(count) rows exported to 1 files in \(seconds) seconds."
        if out != nil { shell.output.line(message) } else { shell.output.error(message) }
    }

    static func csvText(_ value: UnsafeRawBufferPointer, type: CQLType) -> String {
        switch type.unfrozen {
        case .text, .ascii: return String(decoding: value, as: UTF8.self)
        default: return CQLValueFormat.literal(value, type: type)
        }
    }

    // MARK: FROM

    /// Column names, types and the table's own order, from system_schema.
    func tableColumns() throws -> [(name: String, type: CQLType)] {
        guard let ks = keyspace else {
            throw ShellMessageError("No keyspace specified and no current keyspace: use COPY <keyspace>.<table> or USE first.")
        }
        func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
        let r = try connection.execute(
            "SELECT column_name, type, kind, position FROM system_schema.columns WHERE keyspace_name = \(quote(ks)) AND table_name = \(quote(command.table))",
            pageSize: 0)
        var cols: [(String, CQLType, Int, Int)] = []
        for row in r {
            guard let name = row.string(0), let typeText = row.string(1) else { continue }
            let kind = row.string(2) ?? "regular"
            let rank = kind == "partition_key" ? 0 : kind == "clustering" ? 1 : 2
            // A user type's name is not resolvable here; its values are passed through as written.
            let type = (try? CQLType.parse(typeText)) ?? .udt(keyspace: ks, name: typeText, fields: [])
            cols.append((name, type, rank, rank == 2 ? 0 : Int(row.int32(3) ?? 0)))
        }
        guard !cols.isEmpty else { throw ShellMessageError("Table \(ks).\(command.table) does not exist") }
        return cols.sorted { ($0.2, $0.3, $0.0) < ($1.2, $1.3, $1.0) }.map { ($0.0, $0.1) }
    }

    func importRows() throws {
        let table = try qualifiedTable()
        let known = try tableColumns()
        let types = Dictionary(known.map { ($0.name, $0.type) }, uniquingKeysWith: { a, _ in a })
        let started = Date()
        let handle: FileHandle
        let fileName: String
        if let path = command.file {
            let expanded = (path as NSString).expandingTildeInPath
            guard let h = FileHandle(forReadingAtPath: expanded) else {
                throw ShellMessageError("Could not open '\(path)': \(String(cString: strerror(errno)))")
            }
            handle = h
            fileName = path
        } else {
            handle = FileHandle.standardInput
            fileName = "<stdin>"
        }
        defer { if command.file != nil { try? handle.close() } }
        let reader = CSVReader(handle: handle, delimiter: command.delimiter, quote: command.quote, escape: command.escape)

        var columns = command.columns
        if command.header {
            guard let header = try nextRecord(reader, fileName) else {
                shell.output.line("0 rows imported from 1 files in 0.000 seconds (0 skipped).")
                return
            }
            if columns == nil { columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces) } }
        }
        let names = columns ?? known.map(\.name)
        // A wrong column name is an error before anything is written.
        let unknown = names.filter { types[$0] == nil }
        guard unknown.isEmpty else {
            throw ShellMessageError("Invalid column name\(unknown.count > 1 ? "s" : "") \(unknown.joined(separator: ", ")) for table \(keyspace ?? "").\(command.table)")
        }
        let columnTypes = names.map { types[$0]! }
        let prefix = "INSERT INTO \(table) (" + names.map(SchemaDescriber.quoted).joined(separator: ", ") + ") VALUES ("

        var imported = 0
        var skipped = 0
        var skip = command.skipRows
        var batch: [(line: Int, cql: String?, problem: String?)] = []
        func flush() {
            guard !batch.isEmpty else { return }
            let statements = batch.compactMap(\.cql)
            var errors = connection.executeAll(statements).makeIterator()
            // Reported in file order: checks made here and the node's answers interleaved.
            for entry in batch {
                let failure = entry.problem ?? (entry.cql != nil ? errors.next()?.map(ShellErrors.describe) : nil)
                if let failure {
                    skipped += 1
                    shell.report(failure, line: entry.line, source: fileName)
                } else {
                    imported += 1
                }
            }
            batch.removeAll(keepingCapacity: true)
        }
        while let record = try nextRecord(reader, fileName) {
            if skip > 0 { skip -= 1; continue }
            guard record.fields.count == names.count else {
                batch.append((record.line, nil, "Failed to import row: expected \(names.count) fields, found \(record.fields.count)"))
                continue
            }
            var literals: [String] = []
            var problem: String?
            for (i, field) in record.fields.enumerated() {
                switch Self.literal(field, quoted: record.quoted[i], type: columnTypes[i], nullText: command.nullText) {
                case .success(let l): literals.append(l)
                case .failure(let e): problem = "Failed to import row: column \(names[i]): \(e.message)"
                }
                if problem != nil { break }
            }
            if let problem {
                batch.append((record.line, nil, problem))
            } else {
                batch.append((record.line, prefix + literals.joined(separator: ", ") + ")", nil))
            }
            if batch.count >= 64 { flush() }
        }
        flush()
        let seconds = String(format: "%.3f", Date().timeIntervalSince(started))
        shell.output.line("\(imported) rows imported from 1 files in \(seconds) seconds (\(skipped) skipped).")
    }

    func nextRecord(_ reader: CSVReader, _ fileName: String) throws -> CSVRecord? {
        do { return try reader.next() } catch {
            throw ShellMessageError("\(fileName):\(error.line): \(error.message)")
        }
    }

    /// A CSV field as a CQL literal for a column of `type`: null for an unquoted empty
    /// field (or the NULL text); text-like values single-quoted with '' escaping; numbers,
    /// booleans, uuids, blobs and durations checked to be one plain token (so a field can
    /// never smuggle in more CQL); collections, tuples and UDTs passed as written (COPY TO
    /// writes them as CQL literals).
    static func literal(_ field: String, quoted: Bool, type: CQLType, nullText: String) -> Result<String, ShellMessageError> {
        if !quoted && (field.isEmpty || field == nullText) { return .success("null") }
        switch type.unfrozen {
        case .text, .ascii, .inet, .timestamp, .date, .time:
            return .success("'" + field.replacingOccurrences(of: "'", with: "''") + "'")
        case .list, .set, .map, .tuple, .udt:
            return .success(field)
        default:
            let v = field.trimmingCharacters(in: .whitespaces)
            if v.isEmpty { return .success("null") }
            guard valid(v, type.unfrozen) else { return .failure(ShellMessageError("'\(field)' is not a valid \(type.cqlName)")) }
            return .success(v)
        }
    }

    /// A plain token of the type's literal syntax (the node does the exact range checks).
    static func valid(_ v: String, _ type: CQLType) -> Bool {
        func integer(_ s: Substring) -> Bool { !s.isEmpty && s.allSatisfy { $0.isASCII && $0.isNumber } }
        let unsigned = v.first == "-" || v.first == "+" ? v.dropFirst() : Substring(v)
        switch type {
        case .int, .bigint, .smallint, .tinyint, .varint, .counter:
            return integer(unsigned)
        case .float, .double, .decimal:
            if ["NaN", "Infinity", "-Infinity"].contains(v) { return type != .decimal }
            return Double(v) != nil && v.allSatisfy { $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }
        case .boolean:
            return ["true", "false"].contains(v.lowercased())
        case .uuid, .timeuuid:
            return CQLLiteral.uuid(v) != nil
        case .blob:
            return CQLLiteral.hexBlob(v) != nil
        default:
            return v.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+-.:_".contains($0)) }
        }
    }
}
