/// A growable run of bytes in one allocation: rows are built here back to back, with no
/// per-row or per-value allocation. Not copyable (a class owns the memory).
public final class ByteArenaStorage {
    var base: UnsafeMutableRawPointer
    var capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        base = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 16)
    }

    deinit { base.deallocate() }
}

public struct ByteArena {
    @usableFromInline var storage: ByteArenaStorage
    public private(set) var count = 0

    public init(capacity: Int) { storage = ByteArenaStorage(capacity: capacity) }

    public var capacity: Int { storage.capacity }
    public var base: UnsafeMutableRawPointer { storage.base }

    @inline(__always)
    mutating func reserve(_ extra: Int) {
        if count + extra > storage.capacity { grow(count + extra) }
    }

    mutating func grow(_ needed: Int) {
        var c = storage.capacity * 2
        while c < needed { c *= 2 }
        let b = UnsafeMutableRawPointer.allocate(byteCount: c, alignment: 16)
        b.copyMemory(from: storage.base, byteCount: count)
        storage.base.deallocate()
        storage.base = b
        storage.capacity = c
    }

    @inline(__always)
    public mutating func append(_ byte: UInt8) {
        reserve(1)
        storage.base.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    @inline(__always)
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        guard n > 0 else { return }
        reserve(n)
        let to = storage.base + count, from = bytes.baseAddress!
        // Values of 4 and 8 bytes (ints, floats, doubles) are most appends: a load and a
        // store each, not a call to memmove.
        switch n {
        case 8: to.storeBytes(of: from.loadUnaligned(as: UInt64.self), as: UInt64.self)
        case 4: to.storeBytes(of: from.loadUnaligned(as: UInt32.self), as: UInt32.self)
        default: to.copyMemory(from: from, byteCount: n)
        }
        count += n
    }

    @inline(__always)
    public mutating func appendBigEndian(_ v: UInt64, width: Int) {
        reserve(width)
        let p = storage.base + count
        // Doubles, bigints, floats and ints: one byte-swapped store, not 8 or 4 byte stores.
        switch width {
        case 8: p.storeBytes(of: v.bigEndian, as: UInt64.self); count += 8; return
        case 4: p.storeBytes(of: UInt32(truncatingIfNeeded: v).bigEndian, as: UInt32.self); count += 4; return
        default: break
        }
        var i = 0
        while i < width {
            p.storeBytes(of: UInt8(truncatingIfNeeded: v >> UInt64(8 * (width - 1 - i))), toByteOffset: i, as: UInt8.self)
            i += 1
        }
        count += width
    }

    @inline(__always)
    public mutating func appendUInt32(_ v: UInt32) {
        reserve(4)
        (storage.base + count).storeBytes(of: v, as: UInt32.self)
        count += 4
    }

    @inline(__always)
    public mutating func appendUInt16(_ v: UInt16) {
        reserve(2)
        (storage.base + count).storeBytes(of: v, as: UInt16.self)
        count += 2
    }

    /// Writes a UInt32 at an earlier offset (a length filled in after the value).
    @inline(__always)
    public mutating func setUInt32(_ v: UInt32, at offset: Int) {
        (storage.base + offset).storeBytes(of: v, as: UInt32.self)
    }

    @inline(__always)
    public mutating func setUInt16(_ v: UInt16, at offset: Int) {
        (storage.base + offset).storeBytes(of: v, as: UInt16.self)
    }

    public mutating func truncate(to n: Int) { count = n }

    /// Counts `n` bytes written in place (after `reserve(n)`) as appended.
    @inline(__always)
    mutating func advance(by n: Int) { count += n }

    @inline(__always)
    public func loadUInt32(at offset: Int) -> UInt32 { storage.base.loadUnaligned(fromByteOffset: offset, as: UInt32.self) }

    @inline(__always)
    public func loadUInt16(at offset: Int) -> UInt16 { storage.base.loadUnaligned(fromByteOffset: offset, as: UInt16.self) }

    public func bytes(at offset: Int, count n: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage.base + offset, count: n)
    }
}
