import Testing
@testable import HyadesCQL

/// No input traps: every truncation and many random mutations of valid statements either
/// parse or throw `CQLSyntaxError`.
@Suite struct RobustnessTests {
    /// Deterministic generator so failures reproduce.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func everyTruncationOfTheCorpusIsHandled() {
        var parsed = 0
        var failed = 0
        for (input, _) in CorpusTests.corpus {
            let chars = Array(input)
            for cut in 0...chars.count {
                do {
                    _ = try CQLParser.parse(String(chars[0..<cut]))
                    parsed += 1
                } catch {
                    failed += 1
                    #expect(error.line >= 1 && error.column >= 0)
                }
            }
        }
        #expect(parsed > 0 && failed > 0)
    }

    @Test func randomMutationsNeverTrap() {
        var rng = SplitMix(state: 42)
        let alphabet = Array("()[]{},;.:+-*?=<>!'\"$ /\n0123456789abcxyzéSELECTFROM-0x")
        var count = 0
        for (input, _) in CorpusTests.corpus {
            for _ in 0..<40 {
                var chars = Array(input)
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    guard !chars.isEmpty else { break }
                    let i = Int.random(in: 0..<chars.count, using: &rng)
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: chars.remove(at: i)
                    case 1: chars.insert(alphabet.randomElement(using: &rng)!, at: i)
                    default: chars[i] = alphabet.randomElement(using: &rng)!
                    }
                }
                if let parsed = try? CQLParser.parse(String(chars)) {
                    // Whatever parses must print to CQL that parses back to the same tree.
                    let printed = parsed.statement.description
                    if case .unsupported = parsed.statement {} else {
                        let again = try? CQLParser.parse(printed)
                        #expect(again?.statement == parsed.statement, "\(String(chars)) -> \(printed)")
                    }
                }
                _ = CQLStatementSplitter.split(String(chars))
                count += 1
            }
        }
        #expect(count == CorpusTests.corpus.count * 40)
    }

    @Test func randomTokenSoupNeverTraps() {
        var rng = SplitMix(state: 7)
        let words = ["SELECT", "FROM", "WHERE", "(", ")", "[", "]", "{", "}", ",", "?", ":", "x", "1", "-", "'s'",
                     "AND", "IN", "token", "INSERT", "INTO", "VALUES", "BEGIN", "BATCH", "APPLY", "CREATE", "TABLE",
                     "PRIMARY", "KEY", "WITH", "=", "<", ">", "frozen", "map", "int", "IF", "NOT", "EXISTS", ";"]
        for _ in 0..<2000 {
            let n = Int.random(in: 0...25, using: &rng)
            let text = (0..<n).map { _ in words.randomElement(using: &rng)! }.joined(separator: " ")
            _ = try? CQLParser.parse(text)
            _ = try? CQLParser.parseAll(text)
        }
    }
}
