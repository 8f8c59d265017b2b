import Testing
@testable import HyadesCluster

@Suite struct InternodeOutboundQueueTests {
    let t0 = ClusterTime.seconds(1_800_000_000)
    func frame(_ n: UInt8, size: Int = 10) -> [UInt8] { Array(repeating: n, count: size) }

    @Test func firstMessageConnectsAndQueuedOnesFlushInOrder() {
        var q = OutboundQueue()
        #expect(q.enqueue(frame(1), expiresAt: nil, now: t0) == [.connect])
        #expect(q.enqueue(frame(2), expiresAt: nil, now: t0) == [])
        #expect(q.state == .connecting)
        #expect(q.queuedMessages == 2 && q.queuedBytes == 20)
        #expect(q.connected(now: t0) == [.write(frame(1)), .write(frame(2))])
        #expect(q.queuedMessages == 0 && q.queuedBytes == 0)
        // Connected and writable: straight through.
        #expect(q.enqueue(frame(3), expiresAt: nil, now: t0) == [.write(frame(3))])
        // Not writable: held until writable again.
        #expect(q.writabilityChanged(false, now: t0) == [])
        #expect(q.enqueue(frame(4), expiresAt: nil, now: t0) == [])
        #expect(q.writabilityChanged(true, now: t0) == [.write(frame(4))])
    }

    @Test func aFullQueueDropsAndCounts() {
        var config = OutboundQueue.Configuration()
        config.maxQueuedMessages = 3
        config.maxQueuedBytes = 25
        var q = OutboundQueue(configuration: config)
        _ = q.enqueue(frame(1), expiresAt: nil, now: t0)
        _ = q.enqueue(frame(2), expiresAt: nil, now: t0)
        // 30 bytes would pass 25: dropped.
        #expect(q.enqueue(frame(3), expiresAt: nil, now: t0) == [])
        #expect(q.dropped.overflow == 1)
        _ = q.enqueue(frame(4, size: 5), expiresAt: nil, now: t0)
        // A fourth message passes the count.
        #expect(q.enqueue(frame(5, size: 0), expiresAt: nil, now: t0) == [])
        #expect(q.dropped.overflow == 2)
        #expect(q.queuedMessages == 3 && q.queuedBytes == 25)
        #expect(q.connected(now: t0) == [.write(frame(1)), .write(frame(2)), .write(frame(4, size: 5))])
    }

    @Test func expiredMessagesAreDroppedNotSent() {
        var q = OutboundQueue()
        _ = q.enqueue(frame(1), expiresAt: t0.adding(milliseconds: 2000), now: t0) // write_request_timeout
        _ = q.enqueue(frame(2), expiresAt: t0.adding(milliseconds: 10_000), now: t0)
        _ = q.enqueue(frame(3), expiresAt: nil, now: t0)
        #expect(q.connected(now: t0.adding(milliseconds: 5000)) == [.write(frame(2)), .write(frame(3))])
        #expect(q.dropped.expired == 1)
    }

    @Test func reconnectsBackOffExponentiallyWithJitter() {
        var rng = SimulationRandom(seed: 11)
        var q = OutboundQueue()
        _ = q.enqueue(frame(1), expiresAt: nil, now: t0)
        var now = t0
        var delays: [Int64] = []
        for attempt in 1 ... 10 {
            guard case .scheduleReconnect(let at) = q.connectionLost(now: now, using: &rng).first else {
                Issue.record("no reconnect scheduled"); return
            }
            let delay = at.since(now) / 1_000_000
            let cap = min(10_000, Int64(100) << Int64(attempt - 1))
            #expect(delay >= cap / 2 && delay <= cap, "attempt \(attempt): \(delay) ms")
            delays.append(delay)
            #expect(q.reconnectTimerFired(now: at.adding(nanoseconds: -1)) == []) // too early
            now = at
            #expect(q.reconnectTimerFired(now: now) == [.connect])
        }
        #expect(delays.last! >= 5000)
        // Messages waited; a connection sends them and resets the backoff.
        #expect(q.connected(now: now) == [.write(frame(1))])
        #expect(q.failedAttempts == 0)
        // The same seed gives the same schedule.
        var rng2 = SimulationRandom(seed: 11)
        var q2 = OutboundQueue()
        _ = q2.enqueue(frame(1), expiresAt: nil, now: t0)
        if case .scheduleReconnect(let at) = q2.connectionLost(now: t0, using: &rng2).first {
            #expect(at.since(t0) / 1_000_000 == delays[0])
        }
    }

    @Test func anIdleConnectionThatClosesIsNotReopened() {
        var rng = SimulationRandom(seed: 1)
        var q = OutboundQueue()
        _ = q.enqueue(frame(1), expiresAt: nil, now: t0)
        _ = q.connected(now: t0)
        #expect(q.connectionLost(now: t0, using: &rng) == [])
        #expect(q.state == .idle)
        #expect(q.enqueue(frame(2), expiresAt: nil, now: t0) == [.connect])
    }

    @Test func aRetryWithOnlyExpiredMessagesGoesIdle() {
        var rng = SimulationRandom(seed: 1)
        var q = OutboundQueue()
        _ = q.enqueue(frame(1), expiresAt: t0.adding(milliseconds: 50), now: t0)
        guard case .scheduleReconnect(let at) = q.connectionLost(now: t0, using: &rng).first else {
            Issue.record("no reconnect"); return
        }
        #expect(q.reconnectTimerFired(now: at) == [])
        #expect(q.state == .idle && q.dropped.expired == 1 && q.queuedBytes == 0)
    }
}
