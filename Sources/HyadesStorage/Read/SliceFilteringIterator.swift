import HyadesCore

/// Keeps only the rows of `slices` from a source that yields whole partitions. Used for
/// SSTable scans: the scanner's own slice skipping is bypassed until it is trusted
/// (see the engine report); point reads use the reader's slicing directly.
final class SliceFilteringIterator: UnfilteredPartitionIterator {
    private let source: any UnfilteredPartitionIterator
    private let slices: Slices

    init(_ source: any UnfilteredPartitionIterator, slices: Slices) {
        self.source = source
        self.slices = slices
    }

    func nextPartition() throws -> PartitionHeader? { try source.nextPartition() }

    func nextRow() throws -> Row? {
        while let r = try source.nextRow() {
            if slices.contains(r.clustering) { return r }
        }
        return nil
    }
}
