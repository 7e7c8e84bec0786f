import ArgumentParser
import Constraints
import ExperimentFile
import Experiments
import Foundation
import InferenceCore

struct StudyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "study",
        abstract: "Run a study's recipes (resuming what already ran) and write one report that answers its questions.",
        discussion: """
            Studies: \(Study.allCases.map { "\($0.rawValue) (\($0.recipes.joined(separator: ", ")))" }.joined(separator: "; ")). \
            Each recipe runs into results/studies/NAME/RECIPE/ (a finished one is reused, an interrupted one resumed); \
            its tables are exported as Parquet to results/studies/NAME/data/RECIPE/; the report is \
            results/studies/NAME/report.html and report.md: methodology, the questions answered with their numbers \
            and confidence, recommendations, limitations and reproducibility.
            """)

    @Argument(help: "bounded-realtime, server-profile, batching or paging.") var name: String
    @Flag(help: "Only rebuild the report from the runs already there.") var reportOnly = false
    @Option(help: "US dollars per hour of this machine: dollars per million output tokens beside tokens/s.")
    var pricePerHour: Double?
    @Option(help: "bounded-realtime: the per-token p99 SLO in ms (default: twice the isolated p99).")
    var sloMs: Double?

    func validate() throws {
        guard Study(rawValue: name) != nil else {
            throw ValidationError(
                "unknown study '\(name)'; use one of \(Study.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let pricePerHour, !(pricePerHour > 0 && pricePerHour.isFinite) {
            throw ValidationError("--price-per-hour must be above 0 (got \(pricePerHour))")
        }
        if let sloMs, !(sloMs > 0) { throw ValidationError("--slo-ms must be above 0 (got \(sloMs))") }
    }

    func run() async throws {
        try await reportingErrors {
            guard let study = Study(rawValue: name) else { return }
            let catalog = try ModelCatalog.locate()
            let root = catalog.root
            let recipes = try study.load(root: root)
            let estimates = recipes.map { ($0, $0.estimate(root: root)) }
            let low = estimates.reduce(0) { $0 + ($1.1.low) }
            let high = estimates.reduce(0) { $0 + ($1.1.high) }
            let pending = recipes.filter { !$0.isComplete }
            if !reportOnly {
                FileHandle.standardError.write(
                    Data(
                        ("study \(study.rawValue): \(recipes.count) recipe(s), estimated "
                            + (low == high
                                ? String(format: "%.0f min", low / 60)
                                : String(format: "%.0f-%.0f min", low / 60, high / 60))
                            + " on this machine (30 min budget)"
                            + (pending.count < recipes.count ? "; \(recipes.count - pending.count) already ran" : "")
                            + "\n").utf8))
                if let removed = LeftoverFinder.onThisMachine().reclaim().summary {
                    FileHandle.standardError.write(Data("inferlab study: \(removed)\n".utf8))
                }
                for recipe in pending {
                    FileHandle.standardError.write(
                        Data(
                            "study \(study.rawValue): \(recipe.hasStarted ? "resuming" : "running") \(recipe.name)\n"
                                .utf8))
                    var runner = ExperimentRunner(
                        spec: recipe.spec, specText: recipe.specText, directory: recipe.directory,
                        resume: recipe.hasStarted,
                        repositoryRoot: root,
                        inferlabExecutable: inferlabExecutablePath())
                    runner.pricePerHour = pricePerHour
                    runner.progress = { progress in
                        FileHandle.standardError.write(
                            Data(
                                "  \(recipe.name): trial \(min(progress.done + (progress.current == nil ? 0 : 1), progress.total))/\(progress.total)\(progress.current.map { ": \($0)" } ?? "")\n"
                                    .utf8))
                    }
                    let outcome = try await runGracefully(runner, command: "study")
                    if outcome.cancelled {
                        print("study \(study.rawValue) interrupted in \(recipe.name); run it again to continue")
                        throw ExitCode(130)
                    }
                }
            }
            // The raw data bundle: every table of every recipe as Parquet.
            for recipe in recipes where recipe.hasStarted {
                _ = try RunExport.write(
                    run: recipe.directory, format: .parquet,
                    to: study.directory(root: root).appendingPathComponent("data/\(recipe.name)"))
            }
            let wall = Study.wallSeconds(recipes)
            let report = try study.writeReport(
                root: root, recipes: recipes, wallSeconds: wall, pricePerHour: pricePerHour, sloMilliseconds: sloMs)
            for recipe in recipes {
                print(
                    "\(recipe.name): \(wall[recipe.name].map { String(format: "%.1f min", $0 / 60) } ?? "not run")  \(recipe.directory.path)"
                )
            }
            print("report: \(report.path)")
            print("markdown: \(report.deletingLastPathComponent().appendingPathComponent("report.md").path)")
        }
    }
}
