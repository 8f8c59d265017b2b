import Dispatch
import Foundation
import HyadesCore
import HyadesStorage

/// What `hyades load` was asked to do.
public struct LoadOptions: Sendable {
    /// Files (`.csv`, `.csv.gz`, any name: gzip is recognised by its magic bytes) and
    /// directories (their `*.csv` and `*.csv.gz` files, in name order).
    public var inputs: [String]
    public var mapping: LoadMapping
    /// Rows buffered before an SSTable is written (`--memory`), including input buffers.
    public var memoryBudgetBytes: Int
    /// `--rejects FILE`; nil = `<input>.rejects.csv` next to each input.
    public var rejectsPath: String?
    /// Validate only: parse and convert every row, write rejects, write no SSTable.
    public var dryRun: Bool
    public var threads: Int
    /// The write timestamp of every cell (µs); nil = the start of the load.
    public var writeTimestamp: Int64?
    /// Where SSTables are built before the sink takes them.
    public var workDirectory: String
    public var showProgress: Bool
    /// fsync every SSTable file (kept SSTables: `--output-dir`). Staged SSTables that are
    /// streamed to a node are not synced locally: the node syncs what it adopts.
    public var durableSSTables: Bool

    public init(inputs: [String], mapping: LoadMapping = LoadMapping(), memoryBudgetBytes: Int = 1 << 30,
                rejectsPath: String? = nil, dryRun: Bool = false,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount, writeTimestamp: Int64? = nil,
                workDirectory: String, showProgress: Bool = false, durableSSTables: Bool = true) {
        self.inputs = inputs
        self.mapping = mapping
        self.memoryBudgetBytes = memoryBudgetBytes
        self.rejectsPath = rejectsPath
        self.dryRun = dryRun
        self.threads = max(threads, 1)
        self.writeTimestamp = writeTimestamp
        self.workDirectory = workDirectory
        self.showProgress = showProgress
        self.durableSSTables = durableSSTables
    }
}

/// What a load did. `rowsLoaded + rowsRejected == rowsRead`, always.
public struct LoadSummary: Sendable, CustomStringConvertible {
    public var files = 0
    public var rowsRead = 0
    public var rowsLoaded = 0
    public var rowsRejected = 0
    /// Input bytes (as stored: compressed for .gz).
    public var bytesRead: Int64 = 0
    public var sstables: [WrittenSSTable] = []
    public var rejectFiles: [String] = []
    public var elapsedSeconds = 0.0
    public var dryRun = false
    /// Seconds spent parsing, writing SSTables and handing them to the sink.
    public var parseSeconds = 0.0
    public var writeSeconds = 0.0
    public var sinkSeconds = 0.0
    /// Of which the loader waited for (the rest overlapped with parsing).
    public var sinkWaitSeconds = 0.0
    /// SSTables (per replica) a node already had from an earlier run with the same
    /// write timestamp, and so did not adopt again.
    public var alreadyImported = 0

    public var rowsPerSecond: Double { elapsedSeconds > 0 ? Double(rowsRead) / elapsedSeconds : 0 }
    public var sstableBytes: Int64 { sstables.reduce(0) { $0 + $1.bytes } }

    public var description: String {
        var s = "\(dryRun ? "dry run: " : "")\(rowsRead) rows read from \(files) file\(files == 1 ? "" : "s") (\(Format.bytes(bytesRead))), "
            + "\(rowsLoaded) \(dryRun ? "valid" : "loaded"), \(rowsRejected) rejected"
        if !dryRun { s += ", \(sstables.count) SSTable\(sstables.count == 1 ? "" : "s") (\(Format.bytes(sstableBytes)))" }
        s += String(format: " in %.2f s: %.0f rows/s", elapsedSeconds, rowsPerSecond)
        s += String(format: "\ntime: parse %.2f s, sort + write SSTables %.2f s, send to nodes %.2f s (%.2f s of it waited for)",
                    parseSeconds, writeSeconds, sinkSeconds, sinkWaitSeconds)
        if alreadyImported > 0 {
            s += "\n\(alreadyImported) SSTable\(alreadyImported == 1 ? " was" : "s were") already imported by an earlier run of this load (same --timestamp): not adopted again"
        }
        if !rejectFiles.isEmpty { s += "\nrejected rows: \(rejectFiles.joined(separator: ", "))" }
        return s
    }
}

/// The bulk load: CSV files -> rows (parsed on all cores) -> sorted SSTables, written
/// whenever the buffered rows reach the memory budget -> the sink (the owning nodes).
public final class BulkLoader {
    public let table: TableMetadata
    public let options: LoadOptions
    let sink: (any SSTableSink)?
    public let progress: LoadProgress

    /// Input files after expanding directories.
    public let files: [String]
    private var plans: [String: LoadPlan] = [:]

    /// Checks every input's header against the table: a wrong column name or an
    /// unloadable type throws here, before anything is written.
    public init(table: TableMetadata, options: LoadOptions, sink: (any SSTableSink)?) throws {
        self.table = table
        self.options = options
        self.sink = sink
        files = try Self.expand(options.inputs)
        var total: Int64 = 0
        for f in files {
            let source = try ByteSource(path: f)
            total += source.fileBytes
            let header = try Self.readHeader(CSVBlockReader(source: source, blockBytes: 1 << 16), path: f)
            plans[f] = try LoadPlan(table: table, header: header.names, mapping: options.mapping, file: f)
        }
        progress = LoadProgress(totalBytes: total, enabled: options.showProgress)
    }

    static func expand(_ inputs: [String]) throws -> [String] {
        guard !inputs.isEmpty else { throw LoaderInputError(path: "", message: "no input files given") }
        var out: [String] = []
        for i in inputs {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: i, isDirectory: &isDir) else {
                throw LoaderInputError(path: i, message: "no such file or directory")
            }
            if isDir.boolValue {
                let names = try FileManager.default.contentsOfDirectory(atPath: i).sorted()
                let csv = names.filter { ($0.hasSuffix(".csv") || $0.hasSuffix(".csv.gz")) && !$0.hasSuffix(".rejects.csv") }
                guard !csv.isEmpty else { throw LoaderInputError(path: i, message: "directory holds no .csv or .csv.gz file") }
                out += csv.map { i + "/" + $0 }
            } else {
                out.append(i)
            }
        }
        return out
    }

    struct Header {
        var names: [String]
        /// Bytes of the block the header took, and its physical lines.
        var bytes: Int
        var lines: Int
    }

    static func readHeader(_ reader: CSVBlockReader, path: String) throws -> Header {
        guard let block = try reader.nextBlock() else { throw LoaderInputError(path: path, message: "empty file: no header line") }
        var scanner = CSVRecordScanner(block.baseAddress!, count: block.count)
        var fields: [CSVField] = []
        var error: CSVRecordError?
        var s = 0, e = 0, line = 0
        guard scanner.next(into: &fields, error: &error, recordStart: &s, recordEnd: &e, line: &line), error == nil else {
            throw LoaderInputError(path: path, message: "cannot read the header line")
        }
        var names = fields.map { String(decoding: scanner.text($0), as: UTF8.self) }
        // A UTF-8 byte order mark before the first name is not part of it.
        if let first = names.first, first.hasPrefix("\u{FEFF}") { names[0] = String(first.dropFirst()) }
        return Header(names: names.map { $0.trimmingCharacters(in: .whitespaces) }, bytes: scanner.offset, lines: scanner.newlines)
    }

    /// Reads every file, writes SSTables to the sink, returns the counts.
    public func run() throws -> LoadSummary {
        let started = DispatchTime.now()
        TruncatedInputGuard.install
        var summary = LoadSummary()
        summary.dryRun = options.dryRun
        let timestamp = options.writeTimestamp ?? Int64(Date().timeIntervalSince1970 * 1_000_000)
        let builder = SSTableBuilder(table: table, writeTimestamp: timestamp, directory: options.workDirectory,
                                     splitTokens: sink?.splitTokens ?? [], threads: options.threads,
                                     fileSystem: options.durableSSTables ? PosixFileSystem() : ScratchFileSystem())
        if !options.dryRun { try FileManager.default.createDirectory(atPath: options.workDirectory, withIntermediateDirectories: true) }
        if let streaming = sink as? StreamingSink { streaming.inputFingerprint = Self.fingerprint(files) }
        let rejects = RejectsWriter(explicitPath: options.rejectsPath)
        defer { rejects.close() }
        // Input buffers take a share of the budget; rows get the rest, halved for the
        // sort and write that follow (bucket arrays, writer blocks, Array growth).
        let blockBytes = min(16 << 20, max(options.memoryBudgetBytes / 16, 64 << 10))
        let flushAtBytes = max(options.memoryBudgetBytes / 2 - 2 * blockBytes, 0)
        var pending: [RowBatch] = []
        var pendingBytes = 0
        var generation = try nextFreeGeneration()
        var bytesBefore: Int64 = 0
        let sender = BackgroundSender()
        defer { try? sender.waitAndCheck() }
        progress.start()
        defer { progress.stop() }

        func flush(last: Bool = false) throws {
            guard !pending.isEmpty else { return }
            defer { pending.removeAll(); pendingBytes = 0 }
            if options.dryRun { return }
            defer {
                // After the last flush the rows' memory (tens of MiB) is given back off
                // this thread: unmapping it took 4 ms before the last SSTables' commits
                // could be awaited. Earlier flushes free it here, before the next rows
                // are parsed, so the budget holds.
                if last {
                    let done = UnsafeSendable(pending)
                    pending = []
                    DispatchQueue.global().async { _ = done }
                }
            }
            progress.setPhase("writing SSTables")
            LoadTrace.mark("flush")
            // The previous flush's hand-over ran while these rows were parsed; it ends
            // before this flush's SSTables start theirs, so at most two flushes' SSTables
            // wait on local disk.
            let t0 = DispatchTime.now()
            try sender.waitAndCheck()
            summary.sinkWaitSeconds += Self.seconds(t0, DispatchTime.now())
            let t1 = DispatchTime.now()
            let written: [WrittenSSTable]
            if let uploader = sink as? any SSTableUploader {
                // Each SSTable is streamed to its nodes while it is written (nothing on
                // the loader's disk), then committed in the background: the node adopts
                // one bucket's SSTable while the other buckets are still written.
                written = try builder.write(pending, firstGeneration: generation, uploader: uploader) { w, upload in
                    if let upload { sender.commit(upload, sink: uploader) }
                }
            } else if let sink, sink.acceptsEachSSTable {
                // Each SSTable leaves as soon as it is written (its own session): the node
                // receives, checks and syncs it while the other buckets are still written.
                let handOver = UnsafeSendable(sink)
                written = try builder.write(pending, firstGeneration: generation) { w, _ in sender.send(w, to: handOver.value) }
            } else {
                written = try builder.write(pending, firstGeneration: generation)
                if let sink { sender.send(written, to: sink) }
            }
            generation += Int64(written.count) + 1
            summary.writeSeconds += Self.seconds(t1, DispatchTime.now())
            summary.sstables += written
            progress.setPhase("reading")
        }

        for path in files {
            let plan = plans[path]!
            let source = try ByteSource(path: path)
            let reader = CSVBlockReader(source: source, blockBytes: blockBytes)
            summary.files += 1
            var first = true
            var lineBase = 0     // physical lines before the current block
            while true {
                LoadTrace.mark("read block")
                guard let block = try reader.nextBlock() else { break }
                LoadTrace.mark("read block done: \(block.count) bytes")
                var start = 0
                if first {
                    var scanner = CSVRecordScanner(block.baseAddress!, count: block.count)
                    var fields: [CSVField] = [], error: CSVRecordError?, s = 0, e = 0, l = 0
                    _ = scanner.next(into: &fields, error: &error, recordStart: &s, recordEnd: &e, line: &l)
                    start = scanner.offset
                    lineBase = scanner.newlines
                    first = false
                }
                let t0 = DispatchTime.now()
                let p = block.baseAddress! + start
                let n = block.count - start
                // Chunks of about 1 MiB (at least two per thread): all threads finish a
                // block within a small chunk of each other (4 chunks of a 16 MiB block
                // left one core idle for up to 8 ms at each block's end).
                let chunkCount = n < 1 << 16 ? 1 : max(options.threads * 2, min(n >> 20, 256))
                let starts = CSVBlockReader.chunkStarts(p, n, count: chunkCount, quoteFree: reader.lastBlockQuoteFree)
                // A row names its batch in 16 bits: flush first when this block's could
                // number past that (a memory budget of tens of GiB).
                if pending.count + starts.count > RowRef.maxBatches { try flush() }
                let batches = ResultBox<RowBatch>(count: starts.count)
                let firstIndex = UInt16(pending.count)
                let base = UnsafeSendable(p)
                DispatchQueue.concurrentPerform(iterations: starts.count) { i in
                    let from = starts[i]
                    let to = i + 1 < starts.count ? starts[i + 1] : n
                    LoadTrace.mark("parse chunk \(i)")
                    var parser = ChunkParser(plan: plan, buckets: builder.buckets)
                    batches.set(i, .success(parser.parse(base.value + from, count: to - from, batchIndex: firstIndex + UInt16(i))))
                    parser.release()
                    LoadTrace.mark("parse chunk \(i) done")
                }
                summary.parseSeconds += Self.seconds(t0, DispatchTime.now())
                for r in batches.values {
                    guard case .success(let b)? = r else { continue }
                    for rej in b.rejects {
                        try rejects.write(file: path, line: lineBase + rej.line + 1, reason: rej.reason, raw: rej.raw)
                    }
                    lineBase += b.newlines
                    summary.rowsRead += b.rowsRead
                    summary.rowsLoaded += b.refs.count
                    summary.rowsRejected += b.rejects.count
                    b.rejects = []
                    if !options.dryRun && !b.refs.isEmpty {
                        pending.append(b)
                        pendingBytes += b.memoryBytes
                    }
                }
                // Renumber: batch indices are positions in `pending`.
                for (i, b) in pending.enumerated() where b.refs.first.map({ Int($0.batch) != i }) ?? false {
                    for j in b.refs.indices { b.refs[j].batch = UInt16(i) }
                }
                progress.update(bytesDone: bytesBefore + reader.fileBytesRead, rows: summary.rowsRead, rejected: summary.rowsRejected)
                if pendingBytes >= flushAtBytes { try flush() }
            }
            bytesBefore += source.fileBytes
            summary.bytesRead += source.fileBytes
        }
        try flush(last: true)
        LoadTrace.mark("flush done; waiting for the sends")
        progress.setPhase("sending SSTables")
        let t2 = DispatchTime.now()
        try sender.waitAndCheck()
        summary.sinkWaitSeconds += Self.seconds(t2, DispatchTime.now())
        summary.sinkSeconds = sender.busySeconds
        progress.setPhase("finishing")
        LoadTrace.mark("sends done")
        try sink?.finish()
        LoadTrace.mark("finished")
        summary.alreadyImported = (sink as? StreamingSink)?.alreadyImportedSessions ?? 0
        summary.rejectFiles = rejects.paths
        summary.elapsedSeconds = Self.seconds(started, DispatchTime.now())
        precondition(summary.rowsLoaded + summary.rowsRejected == summary.rowsRead, "every row is loaded or rejected")
        return summary
    }

    /// Each input's path, size and modification time.
    static func fingerprint(_ files: [String]) -> String {
        files.map { f in
            let a = try? FileManager.default.attributesOfItem(atPath: f)
            let size = (a?[.size] as? NSNumber)?.int64Value ?? -1
            let modified = (a?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return "\(f):\(size):\(modified)"
        }.joined(separator: ",")
    }

    /// Generations already used in the work directory (a previous run's leftovers) are skipped.
    func nextFreeGeneration() throws -> Int64 {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: options.workDirectory) else { return 1 }
        var maxGen: Int64 = 0
        for n in names { if let (g, _) = SSTableFormat.parseFileName(n) { maxGen = max(maxGen, g) } }
        return maxGen + 1
    }

    static func seconds(_ a: DispatchTime, _ b: DispatchTime) -> Double {
        Double(b.uptimeNanoseconds - a.uptimeNanoseconds) / 1e9
    }
}

/// Hands SSTables to the sink on background threads (a flush's SSTables in parallel).
final class BackgroundSender: @unchecked Sendable {
    private let queue = DispatchQueue(label: "hyades.load.sender")
    private let group = DispatchGroup()
    private let lock = NSLock()
    private var failure: (any Error)?
    private(set) var busySeconds = 0.0

    func send(_ sstables: [WrittenSSTable], to sink: any SSTableSink) {
        let work = UnsafeSendable(sink)
        queue.async(group: group) { [self] in
            let t0 = DispatchTime.now()
            do { try work.value.accept(sstables) } catch { lock.withLock { if failure == nil { failure = error } } }
            let t = BulkLoader.seconds(t0, DispatchTime.now())
            lock.withLock { busySeconds += t }
        }
    }

    /// One SSTable, on a thread of its own: a transfer blocks its thread until the
    /// node answers, and blocked Dispatch workers would starve the Swift concurrency
    /// pool the transfer itself runs on (Dispatch adds workers only slowly: a 0.7 s
    /// stall per flush was measured).
    func send(_ sstable: WrittenSSTable, to sink: any SSTableSink) {
        let work = UnsafeSendable(sink)
        group.enter()
        let thread = Thread { [self] in
            let t0 = DispatchTime.now()
            do { try work.value.accept(sstable) } catch { lock.withLock { if failure == nil { failure = error } } }
            let t = BulkLoader.seconds(t0, DispatchTime.now())
            lock.withLock { busySeconds += t }
            group.leave()
        }
        thread.start()
    }

    /// COMMIT of a streamed SSTable, on a thread of its own (it waits for the node).
    func commit(_ upload: SSTableUpload, sink: any SSTableUploader) {
        let work = UnsafeSendable((upload, sink))
        group.enter()
        let thread = Thread { [self] in
            let t0 = DispatchTime.now()
            LoadTrace.mark("commit \(work.value.0.generation)")
            defer { LoadTrace.mark("commit \(work.value.0.generation) done") }
            do {
                let r = try work.value.0.commit()
                (work.value.1 as? StreamingSink)?.noteCommitted(r, replicas: work.value.0.fanOut.replicas.map(\.hostID),
                                                                rows: work.value.0.rows)
            } catch {
                work.value.0.abort()
                lock.withLock { if failure == nil { failure = error } }
            }
            let t = BulkLoader.seconds(t0, DispatchTime.now())
            lock.withLock { busySeconds += t }
            group.leave()
        }
        thread.start()
    }

    /// Waits for the transfers in flight; rethrows the first failure.
    func waitAndCheck() throws {
        group.wait()
        if let e = lock.withLock({ failure }) { throw e }
    }
}
