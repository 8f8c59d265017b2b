import Foundation
import Testing

/// The deterministic simulation (docs/cluster.md, "Simulation"). CI runs the fixed seeds;
/// `tools/simulate` runs many more through the environment:
///
///     HYADES_SIM_SEEDS=N HYADES_SIM_FROM=S   seeds S ..< S+N instead of the fixed set
///     HYADES_SIM_SEED=S                      that one seed, with its whole trace printed
@Suite struct SimulationTests {
    static let fixedSeeds: [UInt64] = [1, 2, 3, 4, 5, 6]

    static var seeds: [UInt64] {
        let env = ProcessInfo.processInfo.environment
        if let one = env["HYADES_SIM_SEED"].flatMap(UInt64.init) { return [one] }
        if let n = env["HYADES_SIM_SEEDS"].flatMap(UInt64.init) {
            let from = env["HYADES_SIM_FROM"].flatMap(UInt64.init) ?? 1
            return Array(from..<(from + n))
        }
        return fixedSeeds
    }

    @Test func seededRunsKeepTheirGuarantees() throws {
        let verbose = ProcessInfo.processInfo.environment["HYADES_SIM_SEED"] != nil
        var failed: [UInt64] = []
        for seed in Self.seeds {
            let report = try Simulation(seed: seed).run()
            print("simulation " + report.summary)
            if verbose { for line in report.trace { print("  " + line) } }
            guard !report.violations.isEmpty else { continue }
            failed.append(seed)
            if !verbose { for line in report.trace.suffix(40) { print("  " + line) } }
            for v in report.violations {
                Issue.record("simulation seed \(seed) (replay: tools/simulate --seed \(seed)): \(v)")
            }
        }
        if !failed.isEmpty { print("simulation: failing seeds \(failed.map(String.init).joined(separator: " "))") }
    }

    /// The checks can fail: with a replica that acknowledges writes without applying them,
    /// quorum reads miss acknowledged writes and acknowledged writes are lost.
    @Test func checksCatchAReplicaThatLosesWrites() throws {
        var config = SimConfig()
        config.lyingReplica = true
        config.faults = 0...0
        let report = try Simulation(seed: 7, config: config).run()
        print("simulation (lying replica) " + report.summary)
        for v in report.violations { print("  " + v) }
        #expect(!report.violations.isEmpty)
        #expect(report.violations.contains { $0.contains("differ") || $0.contains("is lost") || $0.contains("was acknowledged before it started") })
    }

    /// One seed, one run: the same seed gives the same history.
    @Test func aSeedReplaysExactly() throws {
        var config = SimConfig()
        config.operations = 40
        let a = try Simulation(seed: 11, config: config).run()
        let b = try Simulation(seed: 11, config: config).run()
        #expect(a.trace == b.trace)
        #expect(a.trace.count > 40)
    }
}
