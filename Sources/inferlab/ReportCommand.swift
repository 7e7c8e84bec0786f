import ArgumentParser
import ExperimentFile
import Experiments
import Foundation

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Rebuild report.html and summary.md of a run directory from its results.sqlite.")

    @Argument(help: "The run directory.") var run: String
    @Option(help: "US dollars per hour of this machine: dollars per million output tokens beside tokens/s.")
    var pricePerHour: Double?

    func validate() throws {
        if let pricePerHour, !(pricePerHour > 0 && pricePerHour.isFinite) {
            throw ValidationError("--price-per-hour must be above 0 (got \(pricePerHour))")
        }
    }

    func run() async throws {
        try await reportingErrors {
            let directory = URL(fileURLWithPath: run)
            guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("results.sqlite").path) else {
                throw UsageError("\(run) has no results.sqlite; pass a run directory printed by inferlab run")
            }
            print(try RunReport.write(directory: directory, pricePerHour: pricePerHour).path)
        }
    }
}
