import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `HYADES_LOAD_TRACE=1`: a timestamped line on stderr at each phase boundary of a load
/// (milliseconds since the loader started, and the thread), to see which phases run on
/// one core while the other idles. Off by default: one branch per phase, never per row.
public enum LoadTrace {
    public static let enabled = ProcessInfo.processInfo.environment["HYADES_LOAD_TRACE"] != nil
    static let origin = DispatchTime.now().uptimeNanoseconds

    @inline(__always)
    public static func mark(_ what: @autoclosure () -> String) {
        guard enabled else { return }
        let ms = Double(DispatchTime.now().uptimeNanoseconds &- origin) / 1e6
        // The thread's own CPU time too: a phase whose wall time outgrows its CPU time
        // waited (for a core, the disk or the node).
        var cpu = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu)
        let cpuMs = Double(cpu.tv_sec) * 1e3 + Double(cpu.tv_nsec) / 1e6
        let line = String(format: "trace %8.2f ms  tid %d  cpu %7.2f ms  ", ms, Int(pthread_self() % 100_000), cpuMs) + what() + "\n"
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    }
}
