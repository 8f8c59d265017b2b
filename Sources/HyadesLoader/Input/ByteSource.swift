import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an input file could not be read.
public struct LoaderInputError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var message: String
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { "\(path): \(message)" }
}

/// The bytes of one input file, plain or gzip (decided by the magic bytes, not the
/// name), read forward in pieces.
final class ByteSource {
    let path: String
    private let fd: Int32
    private var gzip: UnsafeMutablePointer<z_stream>?
    private var compressed: UnsafeMutableRawPointer?
    private static let compressedBufferBytes = 1 << 20
    private var finished = false
    /// Bytes of the file consumed (compressed bytes for gzip): for progress.
    private(set) var fileBytesRead: Int64 = 0
    let fileBytes: Int64

    init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw LoaderInputError(path: path, message: String(cString: strerror(errno))) }
        var st = stat()
        fstat(fd, &st)
        fileBytes = Int64(st.st_size)
        var magic: (UInt8, UInt8) = (0, 0)
        let n = withUnsafeMutableBytes(of: &magic) { pread(fd, $0.baseAddress, 2, 0) }
        if n == 2 && magic.0 == 0x1f && magic.1 == 0x8b {
            let z = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            z.initialize(to: z_stream())
            // 15 + 32: a zlib or gzip header, detected automatically; concatenated gzip
            // members (as `cat a.gz b.gz` makes) are handled in `read`.
            guard inflateInit2_(z, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                z.deallocate()
                close(fd)
                throw LoaderInputError(path: path, message: "cannot start gzip decompression")
            }
            gzip = z
            compressed = UnsafeMutableRawPointer.allocate(byteCount: Self.compressedBufferBytes, alignment: 16)
        }
    }

    deinit {
        if let z = gzip {
            inflateEnd(z)
            z.deallocate()
        }
        compressed?.deallocate()
        close(fd)
    }

    var isGzip: Bool { gzip != nil }
    /// The open file (for mapping a plain file's bytes).
    var fileDescriptor: Int32 { fd }

    /// Fills up to `count` bytes at `into`; 0 at the end of the file.
    func read(into: UnsafeMutableRawPointer, count: Int) throws -> Int {
        guard let z = gzip else {
            while true {
                let n = Glibc.read(fd, into, count)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw LoaderInputError(path: path, message: String(cString: strerror(errno)))
                }
                fileBytesRead += Int64(n)
                return n
            }
        }
        if finished { return 0 }
        z.pointee.next_out = into.assumingMemoryBound(to: Bytef.self)
        z.pointee.avail_out = UInt32(min(count, Int(UInt32.max)))
        while z.pointee.avail_out > 0 {
            if z.pointee.avail_in == 0 {
                let n = Glibc.read(fd, compressed, Self.compressedBufferBytes)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw LoaderInputError(path: path, message: String(cString: strerror(errno)))
                }
                if n == 0 {
                    if z.pointee.total_in > 0 && z.pointee.avail_out == UInt32(min(count, Int(UInt32.max))) {
                        throw LoaderInputError(path: path, message: "truncated gzip file")
                    }
                    break
                }
                fileBytesRead += Int64(n)
                z.pointee.next_in = compressed!.assumingMemoryBound(to: Bytef.self)
                z.pointee.avail_in = UInt32(n)
            }
            let r = inflate(z, Z_NO_FLUSH)
            if r == Z_STREAM_END {
                // Another gzip member may follow.
                if z.pointee.avail_in == 0 {
                    var probe: UInt8 = 0
                    let n = Glibc.read(fd, &probe, 1)
                    if n <= 0 { finished = true; break }
                    fileBytesRead += 1
                    // Put the byte back by restarting the stream with it.
                    compressed!.storeBytes(of: probe, as: UInt8.self)
                    z.pointee.next_in = compressed!.assumingMemoryBound(to: Bytef.self)
                    z.pointee.avail_in = 1
                }
                inflateReset(z)
                continue
            }
            if r != Z_OK && r != Z_BUF_ERROR {
                let msg = z.pointee.msg.map { String(cString: $0) } ?? "error \(r)"
                throw LoaderInputError(path: path, message: "corrupt gzip data: \(msg)")
            }
            if r == Z_BUF_ERROR && z.pointee.avail_in > 0 { break }
        }
        return count - Int(z.pointee.avail_out)
    }
}
