import HyadesCore

// A structural walk of a decoded block for `sstable verify` and imports: every entry and
// every cell is read and bounds-checked exactly as a read would, but nothing is
// materialised (no Row, Cell or array per value). Decoding rows into values made up
// most of a node's CPU when it adopted a streamed SSTable.

extension DecodedBlock {
    /// Checks every remaining entry of the block: partition starts, rows and their cells
    /// in every column. State lives in locals for the walk (class-property accesses pay a
    /// dynamic exclusivity check each, which was a fifth of an import's CPU).
    func verifyEntries() throws(DecodeFailure) {
        var c = entryCursor
        var cols = columns
        columns = []
        var ordinal = rowOrdinal
        var index = entryIndex
        defer {
            entryCursor = c
            columns = cols
            rowOrdinal = ordinal
            entryIndex = index
        }
        let count = header.entryCount, rows = header.rowCount, base = entriesBase
        while index < count {
            guard c.pos < c.bytes.count else { throw DecodeFailure("entries end early") }
            let kind = try c.u8()
            switch kind {
            case SSTableFormat.entryPartitionStart:
                try c.skipLengthPrefixed()
                let flags = try c.u8()
                if flags & SSTableFormat.partitionHasDeletion != 0 { _ = try c.deletion(base: base) }
                if flags & SSTableFormat.partitionHasRangeTombstones != 0 {
                    let n = try c.count()
                    for _ in 0..<n {
                        try c.skipLengthPrefixed()
                        try c.skipLengthPrefixed()
                        _ = try c.deletion(base: base)
                    }
                }
            case SSTableFormat.entryStaticRow, SSTableFormat.entryRow:
                if kind == SSTableFormat.entryRow { try c.skipLengthPrefixed() }
                let flags = try c.u8()
                var hasLiveness = false
                if flags & SSTableFormat.rowHasLiveness != 0 {
                    _ = try c.timestamp(base: base)
                    hasLiveness = true
                    if flags & SSTableFormat.rowLivenessExpiring != 0 { _ = try c.int32(); _ = try c.int32() }
                }
                if flags & SSTableFormat.rowHasDeletion != 0 { _ = try c.deletion(base: base) }
                guard ordinal < rows else { throw DecodeFailure("more rows than the header says") }
                for i in cols.indices {
                    try cols[i].verifyCell(ordinal: ordinal, rowHasLiveness: hasLiveness)
                }
                ordinal += 1
            default:
                throw DecodeFailure("unknown entry kind \(kind)")
            }
            index += 1
        }
    }
}

extension ColumnCursor {
    /// `data(ordinal:rowLiveness:)` without building the value: the same checks.
    @inline(__always)
    mutating func verifyCell(ordinal: Int, rowHasLiveness: Bool) throws(DecodeFailure) {
        guard ordinal >= scannedOrdinal, ordinal < rowCount else { throw DecodeFailure("row ordinal out of order") }
        if ordinal > scannedOrdinal { try skip(to: ordinal) }
        scannedOrdinal = ordinal + 1
        guard present(ordinal) else { return }
        if fixedWidth >= 0 {
            _ = try fixedValue(rowHasLiveness: rowHasLiveness)
            return
        }
        cellIndex += 1
        let flags = try cursor.u8()
        if flags & SSTableFormat.cellIsComplex != 0 {
            if flags & SSTableFormat.complexHasDeletion != 0 { _ = try cursor.deletion(base: base) }
            let n = try cursor.count()
            for _ in 0..<n { try verifySimple(flags: try cursor.u8(), withPath: true, rowHasLiveness: rowHasLiveness) }
        } else {
            try verifySimple(flags: flags, withPath: false, rowHasLiveness: rowHasLiveness)
        }
    }

    @inline(__always)
    mutating func verifySimple(flags: UInt8, withPath: Bool, rowHasLiveness: Bool) throws(DecodeFailure) {
        if flags & SSTableFormat.cellUsesRowTimestamp != 0 {
            guard rowHasLiveness else { throw DecodeFailure("cell uses the timestamp of a row without one") }
        } else {
            _ = try cursor.timestamp(base: base)
        }
        if flags & SSTableFormat.cellHasDeletionInfo != 0 { _ = try cursor.int32(); _ = try cursor.int32() }
        if withPath { try cursor.skipLengthPrefixed() }
        try cursor.skipLengthPrefixed()
    }
}
