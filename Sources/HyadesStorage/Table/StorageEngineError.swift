/// Why the engine refused an operation.
public enum StorageEngineError: Error, CustomStringConvertible, Sendable {
    /// A disk error (an fsync above all) stopped the engine: its state on disk is unknown,
    /// so nothing more is written. Restart the node after fixing the disk.
    case stopped(reason: String)
    case unknownTable(String)
    case tableAlreadyOpen(String)
    case closed
    case wrongTable(update: String, table: String)

    public var description: String {
        switch self {
        case .stopped(let reason): return "storage engine stopped after a disk failure: \(reason)"
        case .unknownTable(let t): return "no open table \(t)"
        case .tableAlreadyOpen(let t): return "table \(t) is already open"
        case .closed: return "storage engine is shut down"
        case .wrongTable(let u, let t): return "an update for table \(u) was applied to table \(t)"
        }
    }
}
