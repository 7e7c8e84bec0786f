import ArgumentParser
import ExperimentFile
import Experiments
import Foundation

struct CompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare", abstract: "Put two runs side by side: each level's latency and throughput, with ratios."
    )

    @Argument(help: "Run directory A.") var runA: String
    @Argument(help: "Run directory B.") var runB: String
    @Flag var json = false

    func run() async throws {
        try await reportingErrors {
            for run in [runA, runB] where !FileManager.default.fileExists(atPath: run + "/results.sqlite") {
                throw UsageError("\(run) has no results.sqlite; pass run directories printed by inferlab run")
            }
            let result = try RunComparison.compare(URL(fileURLWithPath: runA), URL(fileURLWithPath: runB))
            if json { return try printJSON(result.rows) }
            print(RunComparison.table(nameA: result.nameA, nameB: result.nameB, rows: result.rows))
        }
    }
}
