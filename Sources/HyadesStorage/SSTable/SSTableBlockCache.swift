import Synchronization

/// Decompressed, checksum-verified block segments, shared by readers (Cassandra's chunk
/// cache). Bytes are checksummed whenever they come from a file; a hit skips the
/// re-read, the CRC and the decompression. FIFO eviction by decoded bytes.
public final class SSTableBlockCache: Sendable {
    struct Key: Hashable {
        var owner: UInt64
        var offset: Int64
    }

    /// A data block's decoded segments, or (under a negative offset key) a checked index
    /// group.
    final class Entry: Sendable {
        let header: BlockHeader
        /// Decoded segments by directory index; nil = not decoded yet (not projected so far).
        let segments: [SegmentBuffer?]
        let group: IndexGroup?
        let bytes: Int

        init(header: BlockHeader, segments: [SegmentBuffer?]) {
            self.header = header
            self.segments = segments
            self.group = nil
            self.bytes = segments.reduce(256) { $0 + ($1?.bytes.count ?? 0) }
        }

        init(group: IndexGroup) {
            self.header = BlockHeader(offset: 0, length: 0, entryCount: 0, rowCount: 0, segments: [])
            self.segments = []
            self.group = group
            self.bytes = 128 + group.bytes.count + group.entryOffsets.count * 12
        }
    }

    /// An index group whose CRC passed: its entries' bytes and where each entry starts, so
    /// a lookup binary-searches it.
    final class IndexGroup: Sendable {
        let bytes: [UInt8]
        let entryOffsets: [Int32]
        /// Each entry key's first 8 bytes (`PartitionIndexReader.prefix64`), contiguous: a
        /// lookup binary-searches these (a few cache lines) before touching the entries.
        let prefixes: [UInt64]
        init(bytes: [UInt8], entryOffsets: [Int32], prefixes: [UInt64]) {
            self.bytes = bytes
            self.entryOffsets = entryOffsets
            self.prefixes = prefixes
        }
    }

    struct State {
        var map: [Key: Entry] = [:]
        var order: [Key] = []
        var head = 0
        var bytes = 0
        /// The admission window (TinyLFU's doorkeeper): one bit per recently missed block,
        /// cleared after `window` misses so it remembers only recent ones.
        var doorkeeper: [UInt64]
        var doorkeeperMarks = 0
    }

    /// Misses remembered by the admission window: about as many as the blocks the cache
    /// holds (16 KiB each). A block missed twice within that many misses is hotter than
    /// what the cache holds on average; on uniform reads over a table N times the cache,
    /// only about 1/(2N) of misses qualify (instead of all), so the cache stops churning.
    let window: Int
    let doorkeeperBits: Int

    public let capacityBytes: Int
    let state: Mutex<State>
    static let owners = Atomic<UInt64>(1)

    /// The process-wide cache readers use unless given another.
    public static let shared = SSTableBlockCache(capacityBytes: 128 << 20)

    public init(capacityBytes: Int) {
        self.capacityBytes = capacityBytes
        window = max(256, capacityBytes / (16 << 10))
        // >= 32 bits per remembered miss: few false "seen before" (< 3%).
        var bits = 4096
        while bits < window * 32 { bits <<= 1 }
        doorkeeperBits = bits
        state = Mutex(State(doorkeeper: [UInt64](repeating: 0, count: bits / 64)))
    }

    /// A fresh owner id per open reader, so entries never outlive their file's identity.
    static func newOwner() -> UInt64 { owners.wrappingAdd(1, ordering: .relaxed).newValue }

    func get(owner: UInt64, offset: Int64) -> Entry? {
        state.withLock { $0.map[Key(owner: owner, offset: offset)] }
    }

    /// Whether a block that just missed should be decoded into the cache. While the cache
    /// has room, always; once full, only a block missed before within the recent window:
    /// on a table much larger than the cache a random read would otherwise pay for
    /// allocating, inserting and evicting a block it will likely never read again (which
    /// made such reads slower with the cache than without), while hot blocks still get in
    /// on their second miss.
    func admit(owner: UInt64, offset: Int64) -> Bool {
        var h = (owner &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(bitPattern: offset)
        h = (h ^ (h >> 31)) &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 29
        let bit = Int(h & UInt64(doorkeeperBits - 1))
        return state.withLock { s in
            if s.bytes + (64 << 10) <= capacityBytes { return true }
            let w = bit >> 6, m = UInt64(1) << UInt64(bit & 63)
            if s.doorkeeper[w] & m != 0 { return true }
            s.doorkeeper[w] |= m
            s.doorkeeperMarks += 1
            if s.doorkeeperMarks >= window {
                for i in s.doorkeeper.indices { s.doorkeeper[i] = 0 }
                s.doorkeeperMarks = 0
            }
            return false
        }
    }

    func put(owner: UInt64, offset: Int64, _ entry: Entry) {
        guard entry.bytes <= capacityBytes else { return }
        let key = Key(owner: owner, offset: offset)
        state.withLock { s in
            if let old = s.map.updateValue(entry, forKey: key) {
                s.bytes -= old.bytes
            } else {
                s.order.append(key)
            }
            s.bytes += entry.bytes
            while s.bytes > capacityBytes, s.head < s.order.count {
                let victim = s.order[s.head]
                s.head += 1
                if let e = s.map.removeValue(forKey: victim) { s.bytes -= e.bytes }
            }
            if s.head > 4096, s.head * 2 > s.order.count {
                s.order.removeFirst(s.head)
                s.head = 0
            }
        }
    }

    /// Drops an owner's entries (its reader closed).
    func remove(owner: UInt64) {
        state.withLock { s in
            for (k, e) in s.map where k.owner == owner {
                s.map.removeValue(forKey: k)
                s.bytes -= e.bytes
            }
        }
    }

    /// Bytes currently cached.
    public var sizeBytes: Int { state.withLock { $0.bytes } }
}
