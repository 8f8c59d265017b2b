#if canImport(Glibc)
import Glibc
#endif

/// The scratch memory of a `RowWalker` (row, cell and cursor arrays, decompression arena,
/// partition key copy), kept per thread between reads so a point read allocates nothing:
/// six mallocs and frees per read cost more than the rest of a cached point read.
/// A walker takes the thread's scratch (leaving none, so a read nested in a callback gets
/// a fresh one) and gives it back when done.
final class WalkScratch {
    /// One stored property: the walker reads and writes it back whole (one exclusivity
    /// check instead of one per buffer).
    var buffers = WalkBuffers()

    deinit { buffers.deallocate() }

    /// A thread keeps at most this much arena between reads.
    static let maxKeptArena = 8 << 20

    #if canImport(Glibc)
    nonisolated(unsafe) static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k) { p in
            if let p { Unmanaged<WalkScratch>.fromOpaque(p).release() }
        }
        return k
    }()

    static func take() -> WalkScratch {
        if let p = pthread_getspecific(key) {
            pthread_setspecific(key, nil)
            return Unmanaged<WalkScratch>.fromOpaque(p).takeRetainedValue()
        }
        return WalkScratch()
    }

    static func giveBack(_ s: WalkScratch) {
        guard s.buffers.arenaCapacity <= maxKeptArena, pthread_getspecific(key) == nil else { return }
        pthread_setspecific(key, Unmanaged.passRetained(s).toOpaque())
    }
    #else
    static func take() -> WalkScratch { WalkScratch() }
    static func giveBack(_ s: WalkScratch) {}
    #endif
}

/// The raw buffers of a `WalkScratch` with their capacities.
struct WalkBuffers {
    var columns: UnsafeMutablePointer<SSTableColumnView>
    var columnCapacity = 8
    var cells: UnsafeMutablePointer<SSTableCellView>
    var cellCapacity = 16
    var cursors: UnsafeMutablePointer<RawColumnCursor>
    var cursorCapacity = 8
    var arena: UnsafeMutableRawPointer
    var arenaCapacity = 0
    var segmentBytes: UnsafeMutablePointer<UnsafeRawBufferPointer>
    var segmentCapacity = 8
    var keyBuffer: UnsafeMutableRawPointer
    var keyCapacity = 64

    init(columns: UnsafeMutablePointer<SSTableColumnView>, cells: UnsafeMutablePointer<SSTableCellView>,
         cursors: UnsafeMutablePointer<RawColumnCursor>, arena: UnsafeMutableRawPointer,
         segmentBytes: UnsafeMutablePointer<UnsafeRawBufferPointer>, keyBuffer: UnsafeMutableRawPointer) {
        self.columns = columns
        self.cells = cells
        self.cursors = cursors
        self.arena = arena
        self.segmentBytes = segmentBytes
        self.keyBuffer = keyBuffer
    }

    init() {
        columns = .allocate(capacity: columnCapacity)
        cells = .allocate(capacity: cellCapacity)
        cursors = .allocate(capacity: cursorCapacity)
        arena = .allocate(byteCount: 1, alignment: 8)
        segmentBytes = .allocate(capacity: segmentCapacity)
        keyBuffer = .allocate(byteCount: keyCapacity, alignment: 8)
    }

    func deallocate() {
        columns.deallocate()
        cells.deallocate()
        cursors.deallocate()
        arena.deallocate()
        segmentBytes.deallocate()
        keyBuffer.deallocate()
    }
}
