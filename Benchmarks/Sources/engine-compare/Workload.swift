import HyadesCore
import HyadesStorage

/// db_bench's key and value shapes: 16-byte keys made from a number (8-byte big-endian
/// number then zero padding, like db_bench's `GenerateKeyFromInt`), and 100-byte values
/// that compress to about half (db_bench's default compression_ratio 0.5).
struct Workload {
    let num: Int
    let valueSize = 100
    private let valuePool: [UInt8]

    init(num: Int) {
        self.num = num
        var rng = SplitMix64(seed: 301)
        var pool = [UInt8](repeating: 0, count: 1 << 20)
        // Half random bytes, half a repeat of them: lz4 finds the repeat.
        var i = 0
        while i < pool.count {
            let chunk = min(50, pool.count - i)
            for j in 0..<chunk { pool[i + j] = UInt8(truncatingIfNeeded: rng.next()) }
            i += chunk
            let rep = min(50, pool.count - i)
            for j in 0..<rep { pool[i + j] = pool[i - chunk + (j % chunk)] }
            i += rep
        }
        self.valuePool = pool
    }

    @inline(__always) func key(_ n: Int) -> [UInt8] {
        var k = [UInt8](repeating: 0, count: 16)
        let v = UInt64(n)
        for i in 0..<8 { k[i] = UInt8(truncatingIfNeeded: v >> (56 - 8 * UInt64(i))) }
        return k
    }

    @inline(__always) func value(_ n: Int) -> [UInt8] {
        let start = (n &* 97) % (valuePool.count - valueSize)
        return Array(valuePool[start..<(start + valueSize)])
    }
}

/// A tiny deterministic generator (the benchmark must replay identically).
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
