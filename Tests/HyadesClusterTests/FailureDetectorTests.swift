import Testing
@testable import HyadesCluster

/// A reference around the detector, so `#expect` can call its mutating `interpret`.
final class Detector {
    var fd: FailureDetector
    init(configuration: FailureDetector.Configuration = .init()) { fd = FailureDetector(configuration: configuration) }
    func report(_ e: InternodeAddress, now: ClusterTime) { fd.report(e, now: now) }
    func interpret(_ e: InternodeAddress, now: ClusterTime) -> Bool { fd.interpret(e, now: now) }
    func phi(_ e: InternodeAddress, now: ClusterTime) -> Double? { fd.phi(e, now: now) }
    func meanInterval(_ e: InternodeAddress) -> Double? { fd.meanInterval(e) }
    func remove(_ e: InternodeAddress) { fd.remove(e) }
}

@Suite struct FailureDetectorTests {
    let peer = InternodeAddress(host: "127.0.9.1")
    let t0 = ClusterTime.seconds(1_800_000_000)

    func ms(_ v: Int64) -> ClusterTime { t0.adding(milliseconds: v) }

    /// 100 heartbeats one second apart: the window holds Cassandra's initial 2 s plus 99 × 1 s.
    func regular(_ fd: Detector, count: Int = 100) -> ClusterTime {
        for i in 0 ..< count { fd.report(peer, now: ms(Int64(i) * 1000)) }
        return ms(Int64(count - 1) * 1000)
    }

    @Test func phiOfRegularHeartbeats() {
        let fd = Detector()
        let last = regular(fd)
        #expect(fd.meanInterval(peer) == 1.01e9) // (2 s + 99 × 1 s) / 100
        // phi = (t / mean) / ln(10)
        let phi = fd.phi(peer, now: last.adding(milliseconds: 1000))!
        #expect(abs(phi - 1.0 / 1.01 / 2.302585092994046) < 1e-12)
        // Convicted once t > 8 × ln 10 × mean = 18.605 s.
        let convicted1 = fd.interpret(peer, now: last.adding(milliseconds: 1000))
        #expect(!convicted1)
        let convicted2 = fd.interpret(peer, now: last.adding(milliseconds: 2000))
        #expect(!convicted2)
        var t = last.adding(milliseconds: 2000)
        // Interpret every second, as the gossip round does, so no local pause is seen.
        while t < last.adding(milliseconds: 18_000) {
            t = t.adding(milliseconds: 1000)
            #expect(!fd.interpret(peer, now: t), "\(t.since(last) / 1_000_000) ms after the last heartbeat")
        }
        let convicted3 = fd.interpret(peer, now: last.adding(milliseconds: 18_600))
        #expect(!convicted3)
        let convicted4 = fd.interpret(peer, now: last.adding(milliseconds: 18_610))
        #expect(convicted4)
        #expect(fd.phi(peer, now: last.adding(milliseconds: 18_610))! > 8)
    }

    @Test func aFullWindowForgetsTheInitialValue() {
        let fd = Detector()
        _ = regular(fd, count: 1501)
        #expect(fd.meanInterval(peer) == 1e9)
    }

    @Test func missedHeartbeatsAreNotLearned() {
        let fd = Detector()
        var last = regular(fd)
        // 5 s without heartbeats (over the 2 s max interval): the gap is not recorded.
        last = last.adding(milliseconds: 5000)
        fd.report(peer, now: last)
        #expect(fd.meanInterval(peer) == 1.01e9)
        // A 1.5 s gap is.
        last = last.adding(milliseconds: 1500)
        fd.report(peer, now: last)
        #expect(fd.meanInterval(peer) == (101e9 + 1.5e9) / 101)
    }

    @Test func slowerHeartbeatsRaiseTheMeanAndDelayConviction() {
        let fd = Detector()
        for i in 0 ..< 200 { fd.report(peer, now: ms(Int64(i) * 2000)) }
        #expect(fd.meanInterval(peer) == 2e9)
        let last = ms(199 * 2000)
        // 8 × ln 10 × 2 s = 36.8 s.
        var t = last
        while t < last.adding(milliseconds: 36_000) {
            t = t.adding(milliseconds: 1000)
            #expect(!fd.interpret(peer, now: t))
        }
        let convicted5 = fd.interpret(peer, now: last.adding(milliseconds: 37_000))
        #expect(convicted5)
    }

    @Test func unknownEndpointsAreNeverConvicted() {
        let fd = Detector()
        #expect(!fd.interpret(peer, now: t0))
        #expect(fd.phi(peer, now: t0) == nil)
        _ = regular(fd)
        fd.remove(peer)
        let convicted6 = fd.interpret(peer, now: ms(1_000_000))
        #expect(!convicted6)
    }

    @Test func aLocalPauseConvictsNobodyForAWhile() {
        let fd = Detector()
        let last = regular(fd)
        #expect(!fd.interpret(peer, now: last))
        // The detector was not asked for 30 s (our own pause): no conviction now...
        let convicted7 = fd.interpret(peer, now: last.adding(milliseconds: 30_000))
        #expect(!convicted7)
        // ...nor within 5 s after it...
        let convicted8 = fd.interpret(peer, now: last.adding(milliseconds: 31_000))
        #expect(!convicted8)
        let convicted9 = fd.interpret(peer, now: last.adding(milliseconds: 34_000))
        #expect(!convicted9)
        // ...then phi decides again.
        let convicted10 = fd.interpret(peer, now: last.adding(milliseconds: 35_000))
        #expect(convicted10)
    }

    @Test func thresholdIsConfigurable() {
        var config = FailureDetector.Configuration()
        config.phiConvictThreshold = 4
        let fd = Detector(configuration: config)
        let last = regular(fd)
        var t = last
        while t < last.adding(milliseconds: 9000) {
            t = t.adding(milliseconds: 1000)
            #expect(!fd.interpret(peer, now: t))
        }
        #expect(fd.interpret(peer, now: last.adding(milliseconds: 9400))) // 4 × ln 10 × 1.01 s = 9.30 s
    }
}
