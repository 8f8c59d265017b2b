import Foundation
import HyadesCore
import HyadesCQL
import Synchronization

/// One traced request, as `system_traces.sessions` and `system_traces.events` show it.
public struct TraceSession: Sendable, Hashable {
    /// A time-based UUID (16 bytes), the id the response frame carries.
    public var sessionID: [UInt8]
    /// IPv4 or IPv6 bytes.
    public var client: [UInt8]
    public var coordinator: [UInt8]
    public var command: String
    public var request: String
    public var parameters: [String: String]
    public var startedAtMillis: Int64
    public var durationMicros: Int32
    public var events: [TraceEvent]
    /// Columns of the session's row deleted by a client (read back as null).
    public var deletedColumns: Set<String> = []

    public init(sessionID: [UInt8], client: [UInt8], coordinator: [UInt8], command: String, request: String,
                parameters: [String: String], startedAtMillis: Int64, durationMicros: Int32, events: [TraceEvent]) {
        self.sessionID = sessionID
        self.client = client
        self.coordinator = coordinator
        self.command = command
        self.request = request
        self.parameters = parameters
        self.startedAtMillis = startedAtMillis
        self.durationMicros = durationMicros
        self.events = events
    }
}

public struct TraceEvent: Sendable, Hashable {
    /// A time-based UUID: its time is when the event happened.
    public var eventID: [UInt8]
    public var activity: String
    public var sourceElapsedMicros: Int32
    public var thread: String

    public init(eventID: [UInt8], activity: String, sourceElapsedMicros: Int32, thread: String) {
        self.eventID = eventID
        self.activity = activity
        self.sourceElapsedMicros = sourceElapsedMicros
        self.thread = thread
    }
}

/// The node's recent query traces (requests sent with the tracing flag), newest last,
/// at most `capacity` of them: Cassandra keeps them in system_traces for a day; a node
/// that only remembers the last few is enough for cqlsh's `TRACING ON` and the drivers'
/// `get_query_trace()`, which read them right after the request.
public final class TraceStore: Sendable {
    public let capacity: Int
    private let sessions = Mutex<[TraceSession]>([])

    public init(capacity: Int = 1024) { self.capacity = max(1, capacity) }

    public func record(_ s: TraceSession) {
        sessions.withLock {
            $0.append(s)
            if $0.count > capacity { $0.removeFirst($0.count - capacity) }
        }
    }

    public var all: [TraceSession] { sessions.withLock { $0 } }

    /// DELETE of a session's row (system_traces.sessions).
    public func removeSession(_ id: [UInt8]) {
        sessions.withLock { $0.removeAll { $0.sessionID == id } }
    }

    /// DELETE of columns of a session's row: they read as null from then on.
    public func clearColumns(_ columns: Set<String>, ofSession id: [UInt8]) {
        sessions.withLock { all in
            for i in all.indices where all[i].sessionID == id { all[i].deletedColumns.formUnion(columns) }
        }
    }

    /// DELETE of a session's events (system_traces.events) whose event id `matches`.
    public func removeEvents(ofSession id: [UInt8], where matches: ([UInt8]) -> Bool) {
        sessions.withLock { all in
            for i in all.indices where all[i].sessionID == id { all[i].events.removeAll { matches($0.eventID) } }
        }
    }

    /// TRUNCATE system_traces.sessions (every session) or events (every session's events).
    public func truncate(table: String) {
        sessions.withLock { all in
            if table == "sessions" { all.removeAll() } else {
                for i in all.indices { all[i].events.removeAll() }
            }
        }
    }

    /// A new session id (time-based, like Cassandra's).
    public static func newSessionID(micros: Int64) -> [UInt8] { TimeUUID.make(micros: micros) }
}
