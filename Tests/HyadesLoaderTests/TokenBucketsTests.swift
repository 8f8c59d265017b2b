import HyadesTestSupport
import Testing
@testable import HyadesLoader

/// A token's bucket is the number of ends below it: `(previous end, end]`, whatever the
/// number of ends (the search halves without branching on the comparisons).
@Suite struct TokenBucketsTests {
    @Test func bucketIsTheNumberOfEndsBelowTheToken() {
        var rng = SplitMix(seed: 5150)
        for count in 0...40 {
            let ends = (0..<count).map { _ in Int64(bitPattern: rng.next()) }.sorted()
            let buckets = TokenBuckets(ends: ends)
            var tokens: [Int64] = [Int64.min, Int64.max, 0, -1, 1]
            for e in ends { tokens += [e, e &- 1, e &+ 1] }
            for _ in 0..<200 { tokens.append(Int64(bitPattern: rng.next())) }
            for t in tokens {
                let expected = ends.filter { $0 < t }.count
                #expect(buckets.bucket(t) == expected, "\(count) ends, token \(t)")
            }
        }
    }
}
