import HyadesCore
import HyadesStorage

/// A stream of live partitions and rows: the storage engine's filtered iterator, or the
/// rows of a virtual table held in memory.
protocol RowSource: AnyObject {
    func nextPartition() throws -> (key: DecoratedKey, staticRow: Row?)?
    func nextRow() throws -> Row?
}

extension FilteredPartitionIterator: RowSource {}

/// One partition of a virtual table.
struct MemoryPartition {
    var key: DecoratedKey
    var staticRow: Row?
    /// In clustering (byte) order.
    var rows: [Row]
}

/// Reads virtual-table partitions (sorted in ring order) with the same key / range /
/// slice selection as the engine.
final class MemoryRowSource: RowSource {
    private var partitions: [MemoryPartition]
    private var index = -1
    private var rowIndex = 0
    private let slices: Slices

    init(_ partitions: [MemoryPartition], slices: Slices) {
        self.partitions = partitions
        self.slices = slices
    }

    static func select(_ all: [MemoryPartition], key: DecoratedKey, slices: Slices) -> MemoryRowSource {
        MemoryRowSource(all.filter { $0.key == key }, slices: slices)
    }

    static func select(_ all: [MemoryPartition], range: PartitionRange, slices: Slices) -> MemoryRowSource {
        MemoryRowSource(all.filter { range.contains($0.key.byteComparable) }, slices: slices)
    }

    func nextPartition() throws -> (key: DecoratedKey, staticRow: Row?)? {
        index += 1
        rowIndex = 0
        guard index < partitions.count else { return nil }
        return (partitions[index].key, partitions[index].staticRow)
    }

    func nextRow() throws -> Row? {
        guard index >= 0, index < partitions.count else { return nil }
        let rows = partitions[index].rows
        while rowIndex < rows.count {
            let r = rows[rowIndex]
            rowIndex += 1
            if slices.contains(r.clustering) { return r }
        }
        return nil
    }
}
