import HyadesCore

/// A B+tree of memtable partitions keyed by the byte-comparable decorated key.
///
/// Why a hand-written B+tree: inserts must be cheap (the write benchmark inserts a
/// million random keys), ordered iteration must be cheap (token-range scans), and
/// every comparison must be a memcmp. Leaves are chained so a reader can copy a batch
/// of consecutive partitions under the memtable lock and then release it.
/// Not thread-safe: `Memtable` guards it with its lock.
final class PartitionTree {
    static let maxKeys = 64

    final class Node {
        /// Internal nodes only (a leaf's keys are its partitions' `keyBytes`: one array
        /// less to shift on every insert).
        var keys: [[UInt8]] = []
        /// The first 8 bytes of each key (big-endian, zero-padded): almost every
        /// comparison is decided by the token here, without touching the key arrays.
        var prefixes: [UInt64] = []
        /// Leaves only.
        var values: [MemtablePartition] = []
        /// Internal nodes only: `children.count == keys.count + 1`; `keys[i]` is the
        /// smallest key of `children[i + 1]`.
        var children: [Node] = []
        /// Leaves only: the next leaf in key order.
        var next: Node?
        let isLeaf: Bool

        init(isLeaf: Bool) { self.isLeaf = isLeaf }
    }

    private(set) var root = Node(isLeaf: true)
    private(set) var count = 0

    /// The partition for `key`, inserting `make()` when absent.
    func findOrInsert(_ key: [UInt8], _ make: () -> MemtablePartition) -> MemtablePartition {
        let (value, split) = insert(root, key, Self.prefix(key), make)
        if let (sepKey, right) = split {
            let newRoot = Node(isLeaf: false)
            newRoot.keys = [sepKey]
            newRoot.prefixes = [Self.prefix(sepKey)]
            newRoot.children = [root, right]
            root = newRoot
        }
        return value
    }

    func find(_ key: [UInt8]) -> MemtablePartition? {
        var node = root
        let prefix = Self.prefix(key)
        while !node.isLeaf { node = node.children[Self.upperBound(node, key, prefix)] }
        let i = Self.lowerBound(node, key, prefix)
        if i < node.values.count && ByteOrder.compare(node.values[i].keyBytes, key) == 0 { return node.values[i] }
        return nil
    }

    /// Up to `limit` partitions with key >= `lower` (or > `lower` when `exclusive`), in order.
    func batch(from lower: [UInt8], exclusive: Bool, limit: Int) -> [MemtablePartition] {
        var node = root
        let prefix = Self.prefix(lower)
        while !node.isLeaf { node = node.children[Self.upperBound(node, lower, prefix)] }
        var i = Self.lowerBound(node, lower, prefix)
        if exclusive, i < node.values.count, ByteOrder.compare(node.values[i].keyBytes, lower) == 0 { i += 1 }
        var out: [MemtablePartition] = []
        out.reserveCapacity(min(limit, 64))
        var leaf: Node? = node
        while let l = leaf, out.count < limit {
            while i < l.values.count && out.count < limit {
                out.append(l.values[i])
                i += 1
            }
            leaf = l.next
            i = 0
        }
        return out
    }

    /// The leaf and index of the first partition with key >= `lower` (> when `exclusive`);
    /// the index may be the leaf's count (then the partition is in the next leaf).
    func seek(_ lower: [UInt8], exclusive: Bool) -> (Node, Int) {
        var node = root
        let prefix = Self.prefix(lower)
        while !node.isLeaf { node = node.children[Self.upperBound(node, lower, prefix)] }
        var i = Self.lowerBound(node, lower, prefix)
        if exclusive, i < node.values.count, ByteOrder.compare(node.values[i].keyBytes, lower) == 0 { i += 1 }
        return (node, i)
    }

    private func insert(_ node: Node, _ key: [UInt8], _ prefix: UInt64, _ make: () -> MemtablePartition)
        -> (MemtablePartition, ([UInt8], Node)?) {
        if node.isLeaf {
            let i = Self.lowerBound(node, key, prefix)
            if i < node.values.count && node.prefixes[i] == prefix && ByteOrder.compare(node.values[i].keyBytes, key) == 0 {
                return (node.values[i], nil)
            }
            let value = make()
            node.prefixes.insert(prefix, at: i)
            node.values.insert(value, at: i)
            count += 1
            guard node.values.count > Self.maxKeys else { return (value, nil) }
            let mid = node.values.count / 2
            let right = Node(isLeaf: true)
            right.prefixes = Array(node.prefixes[mid...])
            right.values = Array(node.values[mid...])
            node.prefixes.removeSubrange(mid...)
            node.values.removeSubrange(mid...)
            right.next = node.next
            node.next = right
            return (value, (right.values[0].keyBytes, right))
        }
        let ci = Self.upperBound(node, key, prefix)
        let (value, split) = insert(node.children[ci], key, prefix, make)
        guard let (sepKey, child) = split else { return (value, nil) }
        node.keys.insert(sepKey, at: ci)
        node.prefixes.insert(Self.prefix(sepKey), at: ci)
        node.children.insert(child, at: ci + 1)
        guard node.keys.count > Self.maxKeys else { return (value, nil) }
        let mid = node.keys.count / 2
        let promoted = node.keys[mid]
        let right = Node(isLeaf: false)
        right.keys = Array(node.keys[(mid + 1)...])
        right.prefixes = Array(node.prefixes[(mid + 1)...])
        right.children = Array(node.children[(mid + 1)...])
        node.keys.removeSubrange(mid...)
        node.prefixes.removeSubrange(mid...)
        node.children.removeSubrange((mid + 1)...)
        return (value, (promoted, right))
    }

    @inline(__always)
    static func prefix(_ key: [UInt8]) -> UInt64 {
        key.withUnsafeBytes { b in
            if b.count >= 8 { return UInt64(bigEndian: b.loadUnaligned(as: UInt64.self)) }
            var v: UInt64 = 0
            for i in 0..<8 { v = (v << 8) | UInt64(i < b.count ? b[i] : 0) }
            return v
        }
    }

    /// First index of a leaf whose key is >= `key`. The prefixes are read through one buffer
    /// access (not one exclusivity-checked array access per probe); the key bytes only
    /// on a prefix tie.
    @inline(__always)
    static func lowerBound(_ node: Node, _ key: [UInt8], _ prefix: UInt64) -> Int {
        node.prefixes.withUnsafeBufferPointer { prefixes in
            var lo = 0, hi = prefixes.count
            while lo < hi {
                let mid = (lo + hi) >> 1
                let p = prefixes[mid]
                let less = p != prefix ? p < prefix : ByteOrder.compare(node.values[mid].keyBytes, key) < 0
                if less { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
    }

    /// First index of an internal node whose key is > `key`.
    @inline(__always)
    static func upperBound(_ node: Node, _ key: [UInt8], _ prefix: UInt64) -> Int {
        node.prefixes.withUnsafeBufferPointer { prefixes in
            var lo = 0, hi = prefixes.count
            while lo < hi {
                let mid = (lo + hi) >> 1
                let p = prefixes[mid]
                let lessOrEqual = p != prefix ? p < prefix : ByteOrder.compare(node.keys[mid], key) <= 0
                if lessOrEqual { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
    }
}

extension PartitionTree {
    /// The leftmost leaf (start of key order).
    var firstLeaf: Node {
        var node = root
        while !node.isLeaf { node = node.children[0] }
        return node
    }
}
