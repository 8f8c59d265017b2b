#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Plain input files are parsed from memory mappings (`MappedBlocks`). If another process
/// truncates a file while it is loaded, touching a mapped page past the new end raises
/// SIGBUS, which would kill the loader with "Bus error" and a core dump. This handler
/// says what happened instead and exits with status 1. Nothing is lost either way: the
/// node adopts an SSTable only on its COMMIT, so the SSTables of the interrupted flush are
/// discarded, and those committed before stay (running the load again rewrites the same
/// rows: no duplicates).
enum TruncatedInputGuard {
    /// Installs the handler once per process.
    static let install: Void = {
        var action = sigaction()
        #if os(Linux)
        action.__sigaction_handler.sa_handler = truncatedInputSignal
        #else
        action.__sigaction_u.__sa_handler = truncatedInputSignal
        #endif
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGBUS, &action, nil)
    }()
}

/// Async-signal-safe: a fixed message with `write`, then `_exit`.
private func truncatedInputSignal(_ signal: Int32) {
    let message = "hyades load: an input file shrank while it was being read (another process truncated or rewrote it); "
        + "the load stopped. Nodes adopt nothing that was not committed; run the load again.\n"
    message.utf8CString.withUnsafeBufferPointer { b in
        _ = write(2, b.baseAddress, b.count - 1)
    }
    _exit(1)
}
