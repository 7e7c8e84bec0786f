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
        guard Self.exportableTables.contains(table) else {
            throw RunStoreError(
                .badArgument, "unknown table '\(table)'; use one of \(Self.exportableTables.joined(separator: ", "))")
        }
        if table == "probe_samples" { return try exportSamples(format: format, to: write) }
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
        let lines: [String] = try read { db in
            let rows = try Row.fetchAll(db, sql: sql, arguments: finalArguments)
            var lines: [String] = []
            lines.reserveCapacity(rows.count + 1)
            if format == .csv {
                let header = try rows.first.map { Array($0.columnNames) } ?? db.columns(in: table).map(\.name)
                lines.append(header.map(Self.csvField).joined(separator: ","))
            }
            for row in rows {
                switch format {
                case .csv: lines.append(row.databaseValues.map { Self.csvField(Self.text($0)) }.joined(separator: ","))
                case .jsonl: lines.append(Self.jsonLine(row))
                }
            }
            return lines
        }
        do {
            for line in lines { try write(line + "\n") }
            return format == .csv ? lines.count - 1 : lines.count
        } catch {
            throw RunStoreError(.export, "export of \(table) failed", cause: error)
        }
    }

    /// Every probe sample as `trial_idx`, `t_ns` and a column per catalogue metric (named as the
    /// catalogue names it, empty where a sample has no reading).
    private func exportSamples(format: ExportFormat, to write: (String) throws -> Void) throws(RunStoreError) -> Int {
        let metrics = Self.sampleMetrics
        let records = try read { db in try ProbeSampleRecord.order(Column("trial_idx"), Column("t_ns")).fetchAll(db) }
        do {
            if format == .csv {
                try write(
                    (["trial_idx", "t_ns"] + metrics.map(\.name)).map(Self.csvField).joined(separator: ",") + "\n")
            }
            for record in records {
                let values = metrics.map { metric in metric.series([record.sample]).first?.value }
                switch format {
                case .csv:
                    let cells = ["\(record.trialIndex)", "\(record.tNs)"] + values.map { $0.map { String($0) } ?? "" }
                    try write(cells.joined(separator: ",") + "\n")
                case .jsonl:
                    let fields =
                        ["\"trial_idx\":\(record.trialIndex)", "\"t_ns\":\(record.tNs)"]
                        + zip(metrics, values).compactMap { metric, value in
                            value.flatMap { $0.isFinite ? "\(Self.jsonString(metric.name)):\($0)" : nil }
                        }
                    try write("{" + fields.joined(separator: ",") + "}\n")
                }
            }
            return records.count
        } catch {
            throw RunStoreError(.export, "export of probe_samples failed", cause: error)
        }
    }

    static func text(_ value: DatabaseValue) -> String {
        switch value.storage {
        case .null: return ""
        case .int64(let v): return String(v)
        case .double(let v): return String(v)
        case .string(let v): return v
        case .blob(let v): return v.base64EncodedString()
        }
    }

    static func csvField(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func jsonLine(_ row: Row) -> String {
        var parts: [String] = []
        for (name, value) in zip(row.columnNames, row.databaseValues) {
            let encoded: String
            switch value.storage {
            case .null: encoded = "null"
            case .int64(let v): encoded = String(v)
            case .double(let v): encoded = v.isFinite ? String(v) : "null"
            case .string(let v): encoded = jsonString(v)
            case .blob(let v): encoded = jsonString(v.base64EncodedString())
            }
            parts.append(jsonString(name) + ":" + encoded)
        }
        return "{" + parts.joined(separator: ",") + "}"
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
