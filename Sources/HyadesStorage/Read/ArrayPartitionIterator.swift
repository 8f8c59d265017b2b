import HyadesCore

/// One partition held in memory as a source for a merge (the hybrid scan's partitions
/// present both in the memtables and the SSTable).
final class ArrayPartitionIterator: UnfilteredPartitionIterator {
    private var header: PartitionHeader?
    private let rows: [Row]
    private var index = 0

    init(_ header: PartitionHeader, rows: [Row]) {
        self.header = header
        self.rows = rows
    }

    func nextPartition() throws -> PartitionHeader? {
        defer { header = nil }
        return header
    }

    func nextRow() throws -> Row? {
        guard index < rows.count else { return nil }
        defer { index += 1 }
        return rows[index]
    }
}
