import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why generated output could not be written.
public struct GeneratorOutputError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Streams generated rows as CSV (optionally gzip) to a file descriptor through one fixed
/// buffer: memory stays constant whatever the row count.
public final class DR3CSVWriter {
    private let fd: Int32
    private let bufferBytes = 1 << 20
    private let buffer: UnsafeMutablePointer<UInt8>
    private var used = 0
    private var gzip: UnsafeMutablePointer<z_stream>?
    private var compressed: UnsafeMutablePointer<UInt8>?
    /// Bytes handed to the descriptor so far.
    public private(set) var bytesWritten: Int64 = 0

    /// `gzipLevel` 1...9 compresses (gzip format, readable by `gzip -d` and `hyades load`).
    public init(fd: Int32, gzipLevel: Int32? = nil) throws {
        self.fd = fd
        buffer = .allocate(capacity: bufferBytes)
        if let level = gzipLevel {
            let z = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            z.initialize(to: z_stream())
            // windowBits 15 + 16: a gzip header and trailer rather than zlib's.
            guard deflateInit2_(z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                                ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                z.deallocate()
                buffer.deallocate()
                throw GeneratorOutputError("cannot start gzip compression")
            }
            gzip = z
            compressed = .allocate(capacity: bufferBytes)
        }
    }

    deinit {
        if let z = gzip { deflateEnd(z); z.deallocate() }
        compressed?.deallocate()
        buffer.deallocate()
    }

    /// Appends the header line.
    public func writeHeader() throws {
        let header = DR3RowGenerator.headerLine
        if bufferBytes - used < header.count { try flush() }
        header.withUnsafeBufferPointer { (buffer + used).update(from: $0.baseAddress!, count: $0.count) }
        used += header.count
    }

    /// Appends rows `rows` of `generator`.
    public func write(_ generator: DR3RowGenerator, rows: Range<UInt64>) throws {
        var index = rows.lowerBound
        while index < rows.upperBound {
            if bufferBytes - used < DR3RowGenerator.maxRowBytes { try flush() }
            used += generator.writeRow(index, to: buffer + used)
            index += 1
        }
    }

    /// Writes out everything buffered and ends the gzip stream. Call once, at the end.
    public func finish() throws {
        try flush()
        if let z = gzip, let compressed {
            z.pointee.next_in = nil
            z.pointee.avail_in = 0
            var status: Int32 = Z_OK
            repeat {
                z.pointee.next_out = compressed
                z.pointee.avail_out = UInt32(bufferBytes)
                status = deflate(z, Z_FINISH)
                try writeAll(compressed, bufferBytes - Int(z.pointee.avail_out))
            } while status == Z_OK
            guard status == Z_STREAM_END else { throw GeneratorOutputError("gzip compression failed (\(status))") }
        }
    }

    private func flush() throws {
        guard used > 0 else { return }
        if let z = gzip, let compressed {
            z.pointee.next_in = buffer
            z.pointee.avail_in = UInt32(used)
            while z.pointee.avail_in > 0 {
                z.pointee.next_out = compressed
                z.pointee.avail_out = UInt32(bufferBytes)
                guard deflate(z, Z_NO_FLUSH) != Z_STREAM_ERROR else { throw GeneratorOutputError("gzip compression failed") }
                try writeAll(compressed, bufferBytes - Int(z.pointee.avail_out))
            }
        } else {
            try writeAll(buffer, used)
        }
        used = 0
    }

    private func writeAll(_ bytes: UnsafeMutablePointer<UInt8>, _ count: Int) throws {
        var done = 0
        while done < count {
            let n = Glibc.write(fd, bytes + done, count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw GeneratorOutputError("cannot write the output: \(String(cString: strerror(errno)))")
            }
            done += n
        }
        bytesWritten += Int64(count)
    }
}
