import GRDB
import Foundation
import MetricCatalog

/// The output formats of `inferlab bench export`.
public enum ExportFormat: String, Sendable, CaseIterable, Codable {
    case csv
    case jsonl
}

extension RunStore {
    /// The tables `export` accepts: a bench run's, and an experiment run's (`probe_samples` as one
    /// column per catalogue metric read from a sample).
    public static let exportableTables = [
        "runs", "requests", "events", "trials", "probe_samples", "engine_steps", "constraint_outcomes", "run_events",
        "server_metrics",
    ]

    /// The probe metrics of the catalogue: the columns of an exported `probe_samples`.
    static var sampleMetrics: [Metric] {
        MetricCatalog.all.filter { if case .probe = $0.reading { true } else { false } }
    }

    /// Writes every row of `table` (optionally of one run) as CSV (header line first) or JSONL.
    /// Returns the number of rows written.
    @discardableResult
    public func export(
        table: String, format: ExportFormat, runId: Int64? = nil, to write: (String) throws -> Void
    ) throws(RunStoreError) -> Int {
        let exported = try exportTable(table, runId: runId)
        do {
            switch format {
            case .csv: try write(exported.csv())
            case .jsonl: try write(exported.jsonl())
            }
            return exported.rows.count
        } catch {
            throw RunStoreError(.export, "export of \(table) failed", cause: error)
        }
    }

    /// One table with its columns typed by their SQLite declarations. In an experiment's store
    /// (one with trials), `requests` leads with the trial that sent it: `trial_idx`, `level`,
    /// `repetition` and `trial_label` (the level's settings), so one file is a notebook's dataset.
    public func exportTable(_ table: String, runId: Int64? = nil) throws(RunStoreError) -> ExportTable {
        guard Self.exportableTables.contains(table) else {
            throw RunStoreError(
                .badArgument, "unknown table '\(table)'; use one of \(Self.exportableTables.joined(separator: ", "))")
        }
        if table == "probe_samples" { return try sampleTable() }
        let sql: String
        var arguments = StatementArguments()
        switch (table, runId) {
        case ("runs", let id?): sql = "SELECT * FROM runs WHERE id = ? ORDER BY id"; arguments = [id]
        case ("requests", let id?): sql = "SELECT * FROM requests WHERE run_id = ? ORDER BY id"; arguments = [id]
        case ("events", let id?):
            sql =
                "SELECT events.* FROM events JOIN requests ON requests.id = events.request_id WHERE requests.run_id = ? ORDER BY events.request_id, events.idx"
            arguments = [id]
        case ("events", nil): sql = "SELECT * FROM events ORDER BY request_id, idx"
        case ("server_metrics", let id?):
            sql = "SELECT * FROM server_metrics WHERE run_id = ? ORDER BY t_ns, name, labels"
            arguments = [id]
        case ("runs", nil), ("requests", nil): sql = "SELECT * FROM \(table) ORDER BY id"
        default: sql = "SELECT * FROM \(table) ORDER BY rowid"
        }
        let finalArguments = arguments
        return try read { db in
            var columns = try db.columns(in: table).map { column in
                ExportTable.Column(
                    column.name, ExportTable.columnType(declared: column.type), nullable: !column.isNotNull)
            }
            var query = sql
            let byTrial =
                try table == "requests" && db.tableExists("trials")
                && (Int.fetchOne(db, sql: "SELECT count(*) FROM trials") ?? 0) > 0
            if byTrial {
                columns.insert(
                    contentsOf: [
                        ExportTable.Column("trial_idx", .integer), ExportTable.Column("level", .integer),
                        ExportTable.Column("repetition", .integer), ExportTable.Column("trial_label", .text),
                    ], at: 0)
                query = query.replacingOccurrences(
                    of: "SELECT * FROM requests",
                    with:
                        "SELECT trials.idx AS trial_idx, trials.level AS level, trials.repetition AS repetition, trials.label AS trial_label, requests.* FROM requests LEFT JOIN trials ON trials.bench_run_id = requests.run_id"
                ).replacingOccurrences(of: "ORDER BY id", with: "ORDER BY requests.id")
                    .replacingOccurrences(of: "WHERE run_id", with: "WHERE requests.run_id")
            }
            let rows = try Row.fetchAll(db, sql: query, arguments: finalArguments)
            let values = rows.map { row in Array(row.databaseValues.map(Self.value)) }
            return ExportTable(name: table, columns: columns, rows: values)
        }
    }

    /// Every probe sample as `trial_idx`, `t_ns` and a column per catalogue metric (named as the
    /// catalogue names it, null where a sample has no reading).
    private func sampleTable() throws(RunStoreError) -> ExportTable {
        let metrics = Self.sampleMetrics
        let records = try read { db in try ProbeSampleRecord.order(Column("trial_idx"), Column("t_ns")).fetchAll(db) }
        let columns =
            [
                ExportTable.Column("trial_idx", .integer, nullable: false),
                ExportTable.Column("t_ns", .integer, nullable: false),
            ]
            + metrics.map { ExportTable.Column($0.name, .double) }
        let rows = records.map { record -> [ExportTable.Value] in
            let values = metrics.map { metric -> ExportTable.Value in
                guard let value = metric.series([record.sample]).first?.value, value.isFinite else { return .null }
                return .double(value)
            }
            return [.integer(Int64(record.trialIndex)), .integer(record.tNs)] + values
        }
        return ExportTable(name: "probe_samples", columns: columns, rows: rows)
    }

    static func value(_ value: DatabaseValue) -> ExportTable.Value {
        switch value.storage {
        case .null: .null
        case .int64(let v): .integer(v)
        case .double(let v): .double(v)
        case .string(let v): .text(v)
        case .blob(let v): .text(v.base64EncodedString())
        }
    }

    static func csvField(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20: out += String(format: "\\u%04x", c.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
