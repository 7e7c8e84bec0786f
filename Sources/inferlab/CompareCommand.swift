import ArgumentParser
import ExperimentFile
import Experiments
import Foundation

struct CompareCommand: AsyncParsableCommand {
    struct Output: Encodable {
        var levels: [RunComparison.Row]
        var profiles: [RunComparison.ProfileDifference]
    }

    static let configuration = CommandConfiguration(
        commandName: "compare", abstract: "Put two runs side by side: each level's latency and throughput, with ratios."
    )

    @Argument(help: "Run directory A.") var runA: String
    @Argument(help: "Run directory B.") var runB: String
    @Flag var json = false
    @Option(help: "Where to write the differential flame graphs of levels profiled in both runs (default: run B).")
    var out: String?

    func run() async throws {
        try await reportingErrors {
            for run in [runA, runB] where !FileManager.default.fileExists(atPath: run + "/results.sqlite") {
                throw UsageError("\(run) has no results.sqlite; pass run directories printed by inferlab run")
            }
            let a = URL(fileURLWithPath: runA)
            let b = URL(fileURLWithPath: runB)
            let result = try RunComparison.compare(a, b)
            let profiles = try RunComparison.profileDifferences(
                a, b, directory: out.map { URL(fileURLWithPath: $0) } ?? b)
            if json { return try printJSON(Output(levels: result.rows, profiles: profiles)) }
            print(RunComparison.table(nameA: result.nameA, nameB: result.nameB, rows: result.rows))
            for difference in profiles {
                print("\nprofile, \(difference.level): \(difference.flameGraph)")
                for change in difference.changes.prefix(5) {
                    print(
                        String(
                            format: "  %-40@ %5.1f %% -> %5.1f %%  (%+.1f points)", change.function,
                            100 * change.beforeShare,
                            100 * change.afterShare, 100 * change.delta))
                }
            }
        }
    }
}
