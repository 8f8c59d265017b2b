#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The controlling terminal as the line editor uses it: raw mode on and off, blocking
/// reads of key bytes, writes, and the window size. Raw mode is switched on only while a
/// line is being edited, so output of a running statement (and ctrl-c killing a stuck
/// shell) behave as in any program.
public final class Terminal {
    public let inputFD: Int32
    public let outputFD: Int32
    var saved: termios?

    public init(inputFD: Int32 = 0, outputFD: Int32 = 1) {
        self.inputFD = inputFD
        self.outputFD = outputFD
    }

    public static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    /// Characters per line (TIOCGWINSZ), 80 when unknown.
    public var columns: Int {
        var ws = winsize()
        if ioctl(outputFD, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_col > 0 { return Int(ws.ws_col) }
        return 80
    }

    /// Lines on the screen, 24 when unknown.
    public var rows: Int {
        var ws = winsize()
        if ioctl(outputFD, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_row > 0 { return Int(ws.ws_row) }
        return 24
    }

    /// No echo, no line buffering, no signals from ctrl-c/ctrl-z, no ctrl-s flow control,
    /// CR not mapped to NL; output processing stays on so "\n" still starts a new line.
    public func enableRawMode() -> Bool {
        guard saved == nil else { return true }
        var t = termios()
        guard tcgetattr(inputFD, &t) == 0 else { return false }
        saved = t
        t.c_iflag &= ~tcflag_t(BRKINT | ICRNL | INPCK | ISTRIP | IXON)
        t.c_cflag |= tcflag_t(CS8)
        t.c_lflag &= ~tcflag_t(ECHO | ICANON | IEXTEN | ISIG)
        withUnsafeMutableBytes(of: &t.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        return tcsetattr(inputFD, TCSAFLUSH, &t) == 0
    }

    public func restoreMode() {
        guard var t = saved else { return }
        _ = tcsetattr(inputFD, TCSAFLUSH, &t)
        saved = nil
    }

    /// Blocks until bytes arrive; nil at end of input or on a read error.
    public func read(max: Int = 256) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: max)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(inputFD, $0.baseAddress, max) }
            if n > 0 { return Array(buffer[..<n]) }
            if n < 0 && errno == EINTR { continue }
            return nil
        }
    }

    /// True if input arrives within `milliseconds` (to tell a lone ESC from a sequence).
    public func waitForInput(milliseconds: Int32) -> Bool {
        var p = pollfd(fd: inputFD, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, milliseconds) > 0
    }

    public func write(_ s: String) {
        var bytes = Array(s.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(outputFD, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
        bytes.removeAll()
    }
}
