import HyadesClient
import HyadesCore

extension Shell {
    /// Page size asked of the node: the PAGING size when pages are shown one at a time on
    /// a terminal, else large pages that are gathered and drawn as one table.
    var fetchPageSize: Int { pagesInteractively ? pageSize : 5000 }

    var pagesInteractively: Bool { interactive && outputIsTerminal && pagingEnabled }

    func runCQL(_ text: String, describe: Bool) throws {
        lastQuery = text
        let first = try connection.execute(text, pageSize: fetchPageSize)
        if first.keyspace != nil || first.schemaChange != nil { names?.invalidate() }
        defer { printWarnings(first.warnings) }
        guard !first.columns.isEmpty else { return }  // USE, DDL, INSERT...: nothing to show
        if describe {
            try printDescribe(first)
        } else {
            try printRows(first)
        }
    }

    /// cqlsh's print_warnings, after the result and on the same output: a blank line,
    /// `Warnings :`, then each warning followed by a blank line.
    func printWarnings(_ warnings: [String]) {
        guard !warnings.isEmpty else { return }
        output.line()
        output.line("Warnings :")
        for w in warnings {
            output.line(w)
            output.line()
        }
    }

    func cells(_ page: ResultSet) -> [[DisplayCell]] {
        let types = page.columns.map(\.type)
        return page.map { row in
            (0..<types.count).map { i in
                ValueDisplay.cell(row.withCell(i) { p in p.map { Array($0) } }, type: types[i])
            }
        }
    }

    /// cqlsh's print_result: a blank line, the table (a page at a time with `---MORE---`
    /// on a terminal), `(N rows)`.
    func printRows(_ first: ResultSet) throws {
        let columns = first.columns.map(\.name)
        output.line()
        var total = 0
        var page = first
        if !pagesInteractively {
            var rows = cells(page)
            while page.hasMorePages {
                page = try connection.execute(currentQuery(page), pageSize: fetchPageSize, after: page)
                rows += cells(page)
            }
            draw(columns: columns, rows: rows, offset: 0, header: true)
            if !expand { output.line() }
            output.line("(\(rows.count) rows)")
            return
        }
        var firstPage = true
        while true {
            if !page.isEmpty || firstPage {
                let rows = cells(page)
                draw(columns: columns, rows: rows, offset: total, header: true)
                if !expand { output.line() }
                total += rows.count
            }
            guard page.hasMorePages else { break }
            output.write("---MORE---")
            let key = editor?.readKey()
            output.write("\r\u{1B}[K")
            if key == nil || key == .character("q") || key == .control("c") { break }
            page = try connection.execute(currentQuery(page), pageSize: fetchPageSize, after: page)
            firstPage = false
        }
        output.line("(\(total) rows)")
    }

    func draw(columns: [String], rows: [[DisplayCell]], offset: Int, header: Bool) {
        if expand {
            output.write(ExpandedRenderer.render(columns: columns, rows: rows, firstRowNumber: offset + 1, color: color))
        } else {
            output.write(TableRenderer.render(columns: columns, rows: rows, color: color, header: header))
        }
    }

    /// The statement being paged (kept by `runCQL`'s caller through `lastQuery`).
    func currentQuery(_ page: ResultSet) -> String { lastQuery }

    /// DESCRIBE results the cqlsh way: CREATE statements as text, name listings in columns
    /// (per keyspace for TABLES / TYPES when no keyspace is in use), CLUSTER as fields.
    func printDescribe(_ first: ResultSet) throws {
        var page = first
        var rows: [[String?]] = []
        let names = page.columns.map(\.name)
        func collect(_ p: ResultSet) { rows += p.map { r in (0..<names.count).map { r.string($0) } } }
        collect(page)
        while page.hasMorePages {
            page = try connection.execute(lastQuery, pageSize: 5000, after: page)
            collect(page)
        }
        if let i = names.firstIndex(of: "create_statement") {
            for r in rows {
                output.line()
                output.line(r[i] ?? "")
            }
            output.line()
            return
        }
        if let nameIndex = names.firstIndex(of: "name"), let ksIndex = names.firstIndex(of: "keyspace_name") {
            let typeIndex = names.firstIndex(of: "type")
            let isKeyspaces = rows.allSatisfy { row in typeIndex.flatMap { row[$0] } == "keyspace" }
            let width = connectionWidth
            if isKeyspaces {
                output.line()
                output.write(CompletionLayout.columns(rows.compactMap { $0[nameIndex] }, width: width))
                output.line()
                return
            }
            var keyspace: String?
            var group: [String] = []
            func flush() {
                guard let ks = keyspace else { return }
                output.line()
                if connection.keyspace == nil {
                    output.line("Keyspace \(ks)")
                    output.line("---------" + String(repeating: "-", count: ks.count))
                }
                output.write(CompletionLayout.columns(group, width: width))
            }
            for r in rows {
                let ks = r[ksIndex] ?? ""
                if ks != keyspace { flush(); keyspace = ks; group = [] }
                group.append(r[nameIndex] ?? "")
            }
            flush()
            output.line()
            return
        }
        // DESCRIBE CLUSTER and anything else: field: value lines.
        output.line()
        for r in rows {
            for (i, n) in names.enumerated() {
                output.line("\(n.prefix(1).uppercased() + n.dropFirst()): \(r[i] ?? "null")")
            }
        }
        output.line()
    }

    var connectionWidth: Int { outputIsTerminal ? Terminal(inputFD: 0, outputFD: 1).columns : 80 }
}
