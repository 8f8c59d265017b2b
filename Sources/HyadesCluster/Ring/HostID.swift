import HyadesCore

/// A node's identity: Cassandra's host id, a UUID chosen at first start and kept on disk.
/// Placement is keyed by it, never by the address, so a node that comes back on a new
/// address keeps its tokens and its data. Kept as two 64-bit halves so this module needs
/// no Foundation; the server converts from `Foundation.UUID` by its 16 bytes.
public struct HostID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Most and least significant 64 bits, as Java's `UUID.getMostSignificantBits`.
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The 16 bytes in network order (the order `uuid_t` and the CQL `uuid` type use).
    public init(bytes: [UInt8]) {
        precondition(bytes.count == 16, "a host id is 16 bytes")
        var h: UInt64 = 0, l: UInt64 = 0
        for i in 0..<8 { h = h << 8 | UInt64(bytes[i]) }
        for i in 8..<16 { l = l << 8 | UInt64(bytes[i]) }
        self.init(high: h, low: l)
    }

    public var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64($0))) }
            + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64($0))) }
    }

    /// Parses the canonical 8-4-4-4-12 hex form (either case).
    public init?(_ text: some StringProtocol) {
        let hex = text.utf8.filter { $0 != UInt8(ascii: "-") }
        guard text.utf8.count == 36, hex.count == 32 else { return nil }
        for (i, c) in text.utf8.enumerated() where [8, 13, 18, 23].contains(i) {
            guard c == UInt8(ascii: "-") else { return nil }
        }
        var bytes: [UInt8] = []
        var it = hex.makeIterator()
        while let a = it.next(), let b = it.next() {
            guard let hi = Self.nibble(a), let lo = Self.nibble(b) else { return nil }
            bytes.append(hi << 4 | lo)
        }
        self.init(bytes: bytes)
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// A random (version 4) id from an injected generator, so tests are deterministic.
    public static func random(using rng: inout some RandomNumberGenerator) -> HostID {
        let h = (rng.next() as UInt64) & ~0xF000 | 0x4000
        let l = (rng.next() as UInt64) & ~(0xC000_0000_0000_0000 as UInt64) | 0x8000_0000_0000_0000
        return HostID(high: h, low: l)
    }

    public var description: String {
        let digits = bytes.map { b -> String in
            let s = String(b, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined()
        let d = Array(digits)
        return String(d[0..<8]) + "-" + String(d[8..<12]) + "-" + String(d[12..<16]) + "-"
            + String(d[16..<20]) + "-" + String(d[20..<32])
    }

    /// Java's `UUID.compareTo` order (signed halves), so listings sort as Cassandra's.
    public static func < (a: HostID, b: HostID) -> Bool {
        let ah = Int64(bitPattern: a.high), bh = Int64(bitPattern: b.high)
        if ah != bh { return ah < bh }
        return Int64(bitPattern: a.low) < Int64(bitPattern: b.low)
    }
}
