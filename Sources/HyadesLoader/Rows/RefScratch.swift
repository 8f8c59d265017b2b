import Foundation

/// Where a chunk's refs are gathered before `TokenBuckets.group` copies them, bucket by
/// bucket, into the batch's array. The buffers are kept and reused (one per parsing
/// thread at a time): a fresh array per chunk was ~300 KiB of fresh pages per MiB of
/// input, a page fault per 4 KiB, besides the grouped array's own.
struct RefScratch {
    var base: UnsafeMutablePointer<RowRef>
    var capacity: Int
    var count = 0

    @inline(__always)
    mutating func append(_ r: RowRef) {
        if count == capacity { grow() }
        (base + count).initialize(to: r)
        count += 1
    }

    mutating func grow() {
        let bigger = UnsafeMutablePointer<RowRef>.allocate(capacity: capacity * 2)
        bigger.moveInitialize(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity *= 2
    }

    var refs: UnsafeBufferPointer<RowRef> { UnsafeBufferPointer(start: base, count: count) }

    /// A buffer of at least `minimum` refs, empty.
    static func take(minimum: Int) -> RefScratch {
        pool.take(minimum: max(minimum, 16))
    }

    /// Gives the buffer back for the next chunk (its refs are plain values: no deinit).
    static func give(_ s: RefScratch) {
        pool.give(s)
    }

    static let pool = Pool()

    final class Pool: @unchecked Sendable {
        private let lock = NSLock()
        private var free: [(UnsafeMutablePointer<RowRef>, Int)] = []

        func take(minimum: Int) -> RefScratch {
            lock.lock()
            let found = free.popLast()
            lock.unlock()
            if let (p, c) = found {
                if c >= minimum { return RefScratch(base: p, capacity: c) }
                p.deallocate()
            }
            return RefScratch(base: .allocate(capacity: minimum), capacity: minimum)
        }

        func give(_ s: RefScratch) {
            lock.lock()
            // One per parsing thread is all that is ever in use at once; keep a few.
            if free.count < 8 { free.append((s.base, s.capacity)); lock.unlock(); return }
            lock.unlock()
            s.base.deallocate()
        }
    }
}
