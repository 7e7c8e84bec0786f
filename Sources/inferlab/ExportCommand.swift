import ArgumentParser
import Experiments
import Foundation

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a run's tables as Parquet, CSV or JSONL files, one per table.",
        discussion: """
            Tables: \(RunExport.tables.joined(separator: ", ")). Parquet keeps each column's type \
            (INT64, DOUBLE, BOOLEAN, UTF-8 strings; nullable where SQLite allows null), so \
            pandas.read_parquet, pyarrow and DuckDB read them as they are. `requests` carries the \
            trial_idx of the trial that sent it; `explanations` is each request's latency split \
            into causes, as `inferlab explain` prints it.
            """)

    @Argument(help: "The run directory (or its results.sqlite).") var run: String
    @Option(help: "parquet, csv or jsonl.") var format = "parquet"
    @Option(help: "The output directory (default: RUN/export-FORMAT).") var out: String?
    @Option(name: .customLong("table"), help: "Only this table (repeat for more; default: every table).")
    var tables: [String] = []

    func run() async throws {
        try await reportingErrors {
            guard let format = RunExport.Format(rawValue: format) else {
                throw UsageError("--format must be parquet, csv or jsonl (got '\(format)')")
            }
            let runURL = URL(fileURLWithPath: run)
            let directory =
                out.map { URL(fileURLWithPath: $0) }
                ?? (runURL.pathExtension == "sqlite" ? runURL.deletingLastPathComponent() : runURL)
                .appendingPathComponent("export-\(format.rawValue)")
            let written = try RunExport.write(
                run: runURL, format: format, tables: tables.isEmpty ? RunExport.tables : tables, to: directory)
            for (file, rows) in written { print("\(file.path)\t\(rows) rows") }
        }
    }
}
