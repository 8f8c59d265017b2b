import HyadesCore

/// Streams every partition of a memtable that no writer can touch any more (switched
/// out for a flush) straight from its tree: no lock, no batch copies. This is the flush's
/// read path; concurrent readers of the same memtable only read, so sharing is safe.
final class FrozenMemtableIterator: UnfilteredPartitionIterator {
    /// The cursor in one struct: one exclusive access per call, not one per field.
    private struct Cursor {
        var leaf: PartitionTree.Node?
        var index = 0
        var current: MemtablePartition?
        var rowIndex = 0

        mutating func nextPartition() -> PartitionHeader? {
            current = nil
            while let l = leaf {
                if index < l.values.count {
                    let p = l.values[index]
                    index += 1
                    current = p
                    rowIndex = 0
                    return PartitionHeader(key: p.key, deletion: p.deletion, rangeTombstones: p.rangeTombstones, staticRow: p.staticRow)
                }
                leaf = l.next
                index = 0
            }
            return nil
        }

        mutating func nextRow() -> Row? {
            guard let p = current, rowIndex < p.rows.count else { return nil }
            defer { rowIndex += 1 }
            return p.rows[rowIndex]
        }
    }

    private var cursor: Cursor

    init(_ tree: PartitionTree) { cursor = Cursor(leaf: tree.firstLeaf) }

    func nextPartition() throws -> PartitionHeader? { cursor.nextPartition() }

    func nextRow() throws -> Row? { cursor.nextRow() }
}
