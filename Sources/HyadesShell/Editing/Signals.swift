#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Signal handling for an interactive session:
/// - ctrl-c while a statement runs stops waiting for it (the prompt comes back, as in
///   cqlsh); at the prompt the line editor sees ctrl-c as a key (raw mode), not a signal;
/// - SIGTERM / SIGHUP put the terminal back in its normal mode before the shell dies, so a
///   killed shell never leaves the user's terminal without echo.
/// Signals blocked by whoever started us (a mask is inherited across exec) are unblocked
/// first, so these work whatever the parent did.
enum ShellSignals {
    static let interrupted = Atomic<Bool>(false)

    static func install(interactive: Bool) {
        var set = sigset_t()
        sigemptyset(&set)
        for s in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] { sigaddset(&set, s) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        guard interactive else { return }
        signal(SIGINT) { _ in ShellSignals.interrupted.store(true, ordering: .relaxed) }
        signal(SIGTERM) { sig in ShellSignals.restoreAndDie(sig) }
        signal(SIGHUP) { sig in ShellSignals.restoreAndDie(sig) }
    }

    /// Async-signal-safe: tcsetattr, signal and raise only.
    static func restoreAndDie(_ sig: Int32) {
        if var t = savedTerminalMode.withLockIfAvailable({ $0 }) ?? nil {
            _ = tcsetattr(0, TCSANOW, &t)
        }
        signal(sig, SIG_DFL)
        raise(sig)
    }

    /// The terminal's normal mode while raw mode is on (for the handlers above).
    static let savedTerminalMode = Mutex<termios?>(nil)

    /// True (once) if ctrl-c was pressed since the last call.
    static func takeInterrupt() -> Bool {
        interrupted.exchange(false, ordering: .relaxed)
    }
}
