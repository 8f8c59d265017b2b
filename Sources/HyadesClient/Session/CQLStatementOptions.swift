import HyadesCore
import HyadesProtocol
import NIOCore

/// Per-request settings; nil fields take the client's defaults.
public struct CQLStatementOptions: Sendable {
    public var consistency: CQLConsistency?
    public var serialConsistency: CQLConsistency?
    /// Rows per page; 0 or negative = no paging (the whole result at once).
    public var pageSize: Int32?
    /// Where to continue: `ResultSet.pagingState` of the previous page.
    public var pagingState: ByteBuffer?
    public var timeout: TimeAmount?
    /// Client-side write timestamp (microseconds).
    public var timestamp: Int64?

    public init(consistency: CQLConsistency? = nil, serialConsistency: CQLConsistency? = nil, pageSize: Int32? = nil,
                pagingState: ByteBuffer? = nil, timeout: TimeAmount? = nil, timestamp: Int64? = nil) {
        self.consistency = consistency
        self.serialConsistency = serialConsistency
        self.pageSize = pageSize
        self.pagingState = pagingState
        self.timeout = timeout
        self.timestamp = timestamp
    }
}
