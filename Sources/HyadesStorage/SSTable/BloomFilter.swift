import Foundation
import HyadesCore

/// A bloom filter over partition keys, as Cassandra's: the k probe positions come from
/// Murmur3 x64_128 of the serialized key by double hashing (`h1 + i * h2`). It stores its
/// own parameters, so a reader needs nothing else, and it fails toward "maybe present".
public struct BloomFilter: Sendable, Hashable {
    public let hashCount: Int
    public let bitCount: UInt64
    /// Bits, little-endian within 64-bit words.
    var words: [UInt64]

    /// Sized for `expectedKeys` keys at false-positive chance `fpChance`
    /// (bits = -n ln p / ln² 2, k = bits/n · ln 2).
    public init(expectedKeys: Int, fpChance: Double) {
        let n = Double(max(expectedKeys, 1))
        let p = min(max(fpChance, 1e-9), 0.999)
        let bits = max(64, (-n * log(p) / (0.6931471805599453 * 0.6931471805599453)).rounded(.up))
        let k = max(1, min(20, Int((bits / n * 0.6931471805599453).rounded())))
        self.bitCount = UInt64(bits)
        self.hashCount = k
        self.words = [UInt64](repeating: 0, count: Int((UInt64(bits) + 63) / 64))
    }

    /// Answers "maybe" for every key: what a reader uses when Filter.db is damaged, so the
    /// damage costs lookups, never answers (verify still reports it).
    public static let alwaysMaybe = BloomFilter(hashCount: 1, bitCount: 64, words: [UInt64.max])

    init(hashCount: Int, bitCount: UInt64, words: [UInt64]) {
        self.hashCount = hashCount
        self.bitCount = bitCount
        self.words = words
    }

    @inlinable static func hashes(_ key: [UInt8]) -> (UInt64, UInt64) {
        let h = key.withUnsafeBytes { Murmur3.hash128($0) }
        return (UInt64(bitPattern: h.h1), UInt64(bitPattern: h.h2))
    }

    public mutating func add(_ key: [UInt8]) {
        let (h1, h2) = Self.hashes(key)
        for i in 0..<UInt64(hashCount) {
            let bit = (h1 &+ i &* h2) % bitCount
            words[Int(bit >> 6)] |= 1 << (bit & 63)
        }
    }

    /// False only when the key was certainly never added.
    public func mayContain(_ key: [UInt8]) -> Bool {
        let (h1, h2) = Self.hashes(key)
        for i in 0..<UInt64(hashCount) {
            let bit = (h1 &+ i &* h2) % bitCount
            if words[Int(bit >> 6)] & (1 << (bit & 63)) == 0 { return false }
        }
        return true
    }

    /// `mayContain` with the key's Murmur3 hash128 (as unsigned) already computed.
    @inline(__always) public func mayContain(hash: (UInt64, UInt64)) -> Bool {
        let (h1, h2) = hash
        return words.withUnsafeBufferPointer { w in
            for i in 0..<UInt64(hashCount) {
                let bit = (h1 &+ i &* h2) % bitCount
                if w[Int(bit >> 6)] & (1 << (bit & 63)) == 0 { return false }
            }
            return true
        }
    }

    // Filter.db after the file header: hashCount u32, bitCount u64, words (u64 LE each),
    // crc32c u32 of everything after the file header.
    func serialized(generation: Int64) -> [UInt8] {
        var out = SSTableFileHeader(component: .filter, version: SSTableFormat.currentVersion, flags: 0, generation: generation).encoded()
        let start = out.count
        out.putU32(UInt32(hashCount))
        out.putU64(bitCount)
        out.reserveCapacity(out.count + words.count * 8 + 4)
        for w in words { out.putU64(w) }
        let crc = out.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        out.putU32(crc)
        return out
    }

    static func read(_ file: any ReadableFile, generation: Int64) throws -> BloomFilter {
        _ = try SSTableFileHeader.read(file, component: .filter, generation: generation)
        let h = Int64(SSTableFormat.fileHeaderSize)
        let bodyLength = Int(file.size - h)
        guard bodyLength >= 16 else {
            throw SSTableCorruptionError(path: file.path, offset: h, what: "filter truncated")
        }
        return try file.withBytes(at: h, count: bodyLength) { raw in
            var c = ByteCursor(raw)
            let stored = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: bodyLength - 4, as: UInt32.self))
            guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<(bodyLength - 4)])) == stored else {
                throw SSTableCorruptionError(path: file.path, offset: h, what: "filter checksum mismatch")
            }
            do {
                let k = Int(try c.u32())
                let bits = try c.u64()
                let wordCount = (bodyLength - 16) / 8
                guard k >= 1, k <= 64, bits >= 1, (bits + 63) / 64 == UInt64(wordCount), (bodyLength - 16) % 8 == 0 else {
                    throw DecodeFailure("bad filter parameters k=\(k) bits=\(bits)")
                }
                var words = [UInt64](repeating: 0, count: wordCount)
                for i in 0..<wordCount { words[i] = try c.u64() }
                return BloomFilter(hashCount: k, bitCount: bits, words: words)
            } catch {
                throw SSTableCorruptionError(path: file.path, offset: h, what: describe(error))
            }
        }
    }
}

