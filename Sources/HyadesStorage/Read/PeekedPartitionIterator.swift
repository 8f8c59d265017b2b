import HyadesCore

/// A single-partition source whose header was read ahead (so a point read can look at a
/// partition deletion before deciding whether older SSTables need to be read at all).
final class PeekedPartitionIterator: UnfilteredPartitionIterator {
    private let source: any UnfilteredPartitionIterator
    let header: PartitionHeader?
    private var returned = false

    init(_ source: any UnfilteredPartitionIterator) throws {
        self.source = source
        self.header = try source.nextPartition()
    }

    func nextPartition() throws -> PartitionHeader? {
        if !returned { returned = true; return header }
        return try source.nextPartition()
    }

    func nextRow() throws -> Row? { try source.nextRow() }
}
