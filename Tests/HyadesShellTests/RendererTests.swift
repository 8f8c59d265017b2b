import HyadesCore
import HyadesShell
import Testing

@Suite struct RendererTests {
    let columns = ["id", "name", "mag"]
    let rows: [[DisplayCell]] = [
        [DisplayCell("1", kind: .number), DisplayCell("vega"), DisplayCell("0.03", kind: .number)],
        [DisplayCell("22", kind: .number), DisplayCell("sirius"), .null],
    ]

    @Test func tableLikeCqlsh() {
        let expected = """
             id | name   | mag
            ----+--------+------
              1 |   vega | 0.03
             22 | sirius | null

            """
        #expect(TableRenderer.render(columns: columns, rows: rows, color: false) == expected)
    }

    @Test func headerOnlyWhenNoRows() {
        #expect(TableRenderer.render(columns: ["k"], rows: [], color: false) == " k\n---\n")
    }

    @Test func expandedRowsLikeCqlsh() {
        let expected = """
            @ Row 1
            ------+--------
             id   | 1
             name | vega
             mag  | 0.03

            @ Row 2
            ------+--------
             id   | 22
             name | sirius
             mag  | null


            """
        #expect(ExpandedRenderer.render(columns: columns, rows: rows, firstRowNumber: 1, color: false) == expected)
    }

    @Test func colourCodesDoNotChangeTheAlignment() {
        let coloured = TableRenderer.render(columns: columns, rows: rows, color: true)
        #expect(coloured.contains("\u{1B}[0;1;35mname\u{1B}[0m"))
        #expect(coloured.contains("  \u{1B}[0;1;33mvega\u{1B}[0m"))
        #expect(coloured.contains("\u{1B}[0;1;31mnull\u{1B}[0m"))
        let stripped = coloured.replacing(/\u{1B}\[[0-9;]*m/, with: "")
        #expect(stripped == TableRenderer.render(columns: columns, rows: rows, color: false))
    }

    @Test func valuesFormattedAsCqlshShowsThem() {
        #expect(ValueDisplay.cell(Array("a\tb\nc".utf8), type: .text) == DisplayCell("a\\tb\\nc", kind: .text))
        #expect(ValueDisplay.cell(nil, type: .int) == .null)
        #expect(ValueDisplay.cell([0, 0, 0, 42], type: .int) == DisplayCell("42", kind: .number))
        #expect(ValueDisplay.cell([0xCA, 0xFE], type: .blob) == DisplayCell("0xcafe", kind: .blob))
        // Doubles: 12 significant digits plus the integer digits; floats 5.
        #expect(ValueDisplay.floating(45.123456789012345, precision: 12) == "45.123456789012")
        // cqlsh widens by the (truncated) exponent for small values too: 5 + (-3) + 1 digits.
        #expect(ValueDisplay.floating(0.000123456789, precision: 5) == "0.000123")
        #expect(ValueDisplay.floating(1.0, precision: 12) == "1")
        #expect(ValueDisplay.floating(1e20, precision: 12) == "1e+20")
        #expect(ValueDisplay.floating(.nan, precision: 5) == "NaN")
        #expect(ValueDisplay.floating(-.infinity, precision: 5) == "-Infinity")
    }
}
