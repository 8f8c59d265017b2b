/// MurmurHash3 x64_128 exactly as Cassandra's `MurmurHash.hash3_x64_128`, including its
/// quirk: the tail bytes (length % 16) are read as *signed* bytes, so bytes >= 0x80
/// sign-extend before being shifted in. Drivers compute tokens the same way, so a single
/// differing bit breaks token-aware routing.
public enum Murmur3 {
    @inlinable static func rotl64(_ v: UInt64, _ n: UInt64) -> UInt64 { (v << n) | (v >> (64 - n)) }

    @inlinable static func fmix(_ k: UInt64) -> UInt64 {
        var k = k
        k ^= k >> 33
        k &*= 0xff51afd7ed558ccd
        k ^= k >> 33
        k &*= 0xc4ceb9fe1a85ec53
        k ^= k >> 33
        return k
    }

    /// Both 64-bit halves of the hash, as Cassandra returns them (`long[2]`).
    @inlinable
    public static func hash128(_ data: UnsafeRawBufferPointer, seed: UInt64 = 0) -> (h1: Int64, h2: Int64) {
        let length = data.count
        let nblocks = length >> 4
        var h1 = seed, h2 = seed
        let c1: UInt64 = 0x87c37b91114253d5
        let c2: UInt64 = 0x4cf5ad432745937f

        for i in 0..<nblocks {
            // Cassandra's getblock reads little-endian 64-bit words.
            var k1 = UInt64(littleEndian: data.loadUnaligned(fromByteOffset: i * 16, as: UInt64.self))
            var k2 = UInt64(littleEndian: data.loadUnaligned(fromByteOffset: i * 16 + 8, as: UInt64.self))
            k1 &*= c1; k1 = rotl64(k1, 31); k1 &*= c2; h1 ^= k1
            h1 = rotl64(h1, 27); h1 &+= h2; h1 = h1 &* 5 &+ 0x52dce729
            k2 &*= c2; k2 = rotl64(k2, 33); k2 &*= c1; h2 ^= k2
            h2 = rotl64(h2, 31); h2 &+= h1; h2 = h2 &* 5 &+ 0x38495ab5
        }

        let tail = nblocks * 16
        var k1: UInt64 = 0, k2: UInt64 = 0
        @inline(__always) func sbyte(_ i: Int) -> UInt64 {
            // The signed-byte quirk: (long) of a Java byte sign-extends.
            UInt64(bitPattern: Int64(Int8(bitPattern: data[tail + i])))
        }
        let rem = length & 15
        if rem >= 15 { k2 ^= sbyte(14) << 48 }
        if rem >= 14 { k2 ^= sbyte(13) << 40 }
        if rem >= 13 { k2 ^= sbyte(12) << 32 }
        if rem >= 12 { k2 ^= sbyte(11) << 24 }
        if rem >= 11 { k2 ^= sbyte(10) << 16 }
        if rem >= 10 { k2 ^= sbyte(9) << 8 }
        if rem >= 9 {
            k2 ^= sbyte(8)
            k2 &*= c2; k2 = rotl64(k2, 33); k2 &*= c1; h2 ^= k2
        }
        if rem >= 8 { k1 ^= sbyte(7) << 56 }
        if rem >= 7 { k1 ^= sbyte(6) << 48 }
        if rem >= 6 { k1 ^= sbyte(5) << 40 }
        if rem >= 5 { k1 ^= sbyte(4) << 32 }
        if rem >= 4 { k1 ^= sbyte(3) << 24 }
        if rem >= 3 { k1 ^= sbyte(2) << 16 }
        if rem >= 2 { k1 ^= sbyte(1) << 8 }
        if rem >= 1 {
            k1 ^= sbyte(0)
            k1 &*= c1; k1 = rotl64(k1, 31); k1 &*= c2; h1 ^= k1
        }

        h1 ^= UInt64(length); h2 ^= UInt64(length)
        h1 &+= h2; h2 &+= h1
        h1 = fmix(h1); h2 = fmix(h2)
        h1 &+= h2; h2 &+= h1
        return (Int64(bitPattern: h1), Int64(bitPattern: h2))
    }
}

/// Cassandra's `Murmur3Partitioner`: the token is the first half of the hash, with
/// `Long.MIN_VALUE` (the ring minimum) mapped to `Long.MAX_VALUE`.
public enum Murmur3Partitioner {
    public static let className = "org.apache.cassandra.dht.Murmur3Partitioner"

    @inlinable
    public static func token(_ key: UnsafeRawBufferPointer) -> Token {
        let h1 = Murmur3.hash128(key).h1
        return Token(h1 == Int64.min ? Int64.max : h1)
    }

    @inlinable
    public static func token(_ key: [UInt8]) -> Token {
        key.withUnsafeBytes { token($0) }
    }

    /// The serialized partition key of a composite key, as Cassandra's CompositeType builds
    /// it: per component a 2-byte big-endian length, the bytes, then the end-of-component
    /// byte 0x00. This is what is hashed and what drivers hash.
    public static func compositeKey(_ components: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(components.reduce(0) { $0 + $1.count + 3 })
        for c in components {
            precondition(c.count <= 0xFFFF, "a partition key component is limited to 65535 bytes")
            out.append(UInt8(c.count >> 8)); out.append(UInt8(c.count & 0xFF))
            out.append(contentsOf: c)
            out.append(0)
        }
        return out
    }
}
