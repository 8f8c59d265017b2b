#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes rejected rows as CSV: `file,line,reason,record` with a header line; `record`
/// is the row's original text (CSV-quoted, so it may hold commas and newlines). Files
/// are created on the first reject only, so a clean load leaves none behind.
final class RejectsWriter {
    /// `--rejects FILE` for every input, or nil: `<input without .gz/.csv>.rejects.csv`.
    let explicitPath: String?
    private var files: [String: UnsafeMutablePointer<FILE>] = [:]
    private(set) var paths: [String] = []

    init(explicitPath: String?) { self.explicitPath = explicitPath }

    deinit { close() }

    static func defaultPath(for input: String) -> String {
        var p = input
        if p.hasSuffix(".gz") { p.removeLast(3) }
        if p.hasSuffix(".csv") { p.removeLast(4) }
        return p + ".rejects.csv"
    }

    func write(file input: String, line: Int, reason: String, raw: [UInt8]) throws {
        let path = explicitPath ?? Self.defaultPath(for: input)
        var f = files[path]
        if f == nil {
            guard let opened = fopen(path, "w") else {
                throw LoaderInputError(path: path, message: "cannot create the rejects file: \(String(cString: strerror(errno)))")
            }
            files[path] = opened
            paths.append(path)
            f = opened
            fputs("file,line,reason,record\n", opened)
        }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count + reason.utf8.count + input.utf8.count + 32)
        Self.quote(Array(input.utf8), into: &out)
        out.append(44)
        out.append(contentsOf: String(line).utf8)
        out.append(44)
        Self.quote(Array(reason.utf8), into: &out)
        out.append(44)
        Self.quote(raw, into: &out)
        out.append(10)
        _ = out.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f!) }
    }

    static func quote(_ bytes: [UInt8], into out: inout [UInt8]) {
        out.append(34)
        for b in bytes {
            if b == 34 { out.append(34) }
            out.append(b)
        }
        out.append(34)
    }

    func close() {
        for (_, f) in files { fclose(f) }
        files.removeAll()
    }
}
