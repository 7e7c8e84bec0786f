import Analysis
public import Foundation
public import RunStore

/// `inferlab export RUN`: every table of a run directory's results, typed, as Parquet, CSV or
/// JSONL files (one per table), for a notebook, pandas, DuckDB or a spreadsheet.
public enum RunExport {
    public enum Format: String, Sendable, CaseIterable {
        case parquet
        case csv
        case jsonl
    }

    /// The tables of a run: the store's, and `explanations` (each successful request's latency
    /// split into causes, as `inferlab explain` computes it; one column per component).
    public static let tables = [
        "requests", "events", "trials", "probe_samples", "engine_steps", "explanations", "constraint_outcomes",
        "run_events", "runs", "server_metrics",
    ]

    /// The results file of `run`: a run directory's `results.sqlite`, or a results file itself.
    public static func storePath(_ run: URL) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: run.path, isDirectory: &isDirectory) else {
            throw RunError("no run at \(run.path); pass a run directory printed by inferlab run")
        }
        let path = isDirectory.boolValue ? run.appendingPathComponent("results.sqlite").path : run.path
        guard FileManager.default.fileExists(atPath: path) else {
            throw RunError("\(run.path) has no results.sqlite; pass a run directory printed by inferlab run")
        }
        return path
    }

    /// One table of the store at `path`.
    public static func table(_ name: String, store path: String) throws -> ExportTable {
        guard tables.contains(name) else {
            throw RunError("unknown table '\(name)'; use one of \(tables.joined(separator: ", "))", code: .badArgument)
        }
        let store = try RunStore(path: path)
        if name == "explanations" { return explanations(try store.readRun()) }
        return try store.exportTable(name)
    }

    /// Writes each table to `directory/<table>.<format>`; returns the files with their row counts.
    public static func write(
        run: URL, format: Format, tables names: [String] = tables, to directory: URL
    ) throws -> [(file: URL, rows: Int)] {
        let path = try storePath(run)
        for name in names where !tables.contains(name) {
            throw RunError("unknown table '\(name)'; use one of \(tables.joined(separator: ", "))", code: .badArgument)
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw RunError("cannot create the output directory \(directory.path)", code: .write, cause: error)
        }
        var written: [(file: URL, rows: Int)] = []
        for name in names {
            let table = try table(name, store: path)
            let file = directory.appendingPathComponent("\(name).\(format.rawValue)")
            let data: Data =
                switch format {
                case .parquet: ParquetWriter.data(table)
                case .csv: Data(table.csv().utf8)
                case .jsonl: Data(table.jsonl().utf8)
                }
            do { try data.write(to: file, options: .atomic) } catch {
                throw RunError("cannot write \(file.path)", code: .write, cause: error)
            }
            written.append((file, table.rows.count))
        }
        return written
    }

    /// Every successful request's explanation: its trial, id, E2E and TTFT, the top causes, and
    /// each component's milliseconds (they add up to `e2e_ms`).
    public static func explanations(_ run: StoredRun) -> ExportTable {
        let explained = RunExplanation(run).explain(.all).sorted {
            ($0.trial ?? -1, $0.id) < ($1.trial ?? -1, $1.id)
        }
        var columns: [ExportTable.Column] = [
            .init("trial_idx", .integer), .init("request_id", .text, nullable: false),
            .init("e2e_ms", .double, nullable: false), .init("ttft_ms", .double), .init("top_cause", .text),
            .init("top_ttft_cause", .text), .init("basis", .text, nullable: false),
        ]
        columns += Component.allCases.map { .init("\($0.rawValue)_ms", .double, nullable: false) }
        let rows = explained.map { request -> [ExportTable.Value] in
            var row: [ExportTable.Value] = [
                request.trial.map { .integer(Int64($0)) } ?? .null, .text(request.id), .double(request.e2eMilliseconds),
                request.ttftMilliseconds.map(ExportTable.Value.double) ?? .null,
                request.topCause.map { .text($0.rawValue) } ?? .null,
                request.topTTFTCause.map { .text($0.rawValue) } ?? .null, .text(request.basis),
            ]
            row += Component.allCases.map { .double(request.components[$0]) }
            return row
        }
        return ExportTable(name: "explanations", columns: columns, rows: rows)
    }
}
