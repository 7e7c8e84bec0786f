import ArgumentParser
import Foundation
import MetricCatalog

struct MetricsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "List every metric the lab knows: name, unit, kind, source, how a trial is summarised.")

    @Flag(help: "Print a JSON array of {name, label, unit, kind, source, aggregate, reading, description}.")
    var json = false
    @Flag(help: "Print the Markdown table of docs/metrics.md.") var markdown = false
    @Option(help: ArgumentHelp("Rewrite the generated table of a Markdown file in place.", valueName: "file"))
    var update: String?

    func run() async throws {
        try await reportingErrors {
            if let update {
                let document = try String(contentsOfFile: update, encoding: .utf8)
                guard let updated = MetricCatalog.updatingTable(in: document) else {
                    throw UsageError(
                        "\(update) has no generated table: put the lines \(MetricCatalog.tableBegin) and "
                            + "\(MetricCatalog.tableEnd) where it goes")
                }
                if updated != document { try updated.write(toFile: update, atomically: true, encoding: .utf8) }
                print(
                    "\(update): \(updated == document ? "up to date" : "table updated"), \(MetricCatalog.all.count) metrics"
                )
            } else if json {
                try printJSON(MetricCatalog.all)
            } else {
                print(markdown ? MetricCatalog.markdownTable() : MetricCatalog.textTable(), terminator: "")
            }
        }
    }
}
