import Foundation
import Analysis

/// Renders a `ReportModel` as `summary.md`: the verdicts, the criteria and the per-level table,
/// short enough to paste into an issue.
public enum MarkdownSummary {
    public static func render(_ model: ReportModel) -> String {
        var md = "# \(escape(model.title))\n\n"
        if let description = model.description { md += "\(escape(description))\n\n" }
        md +=
            "Generated \(model.generatedAt)"
            + (model.levels.isEmpty
                ? ".\n\n" : "; \(model.levels.count) levels, \(model.levels.reduce(0) { $0 + $1.trials }) trials.\n\n")
        if !model.verdicts.isEmpty {
            md += "## Evidence\n\n"
            for verdict in model.verdicts {
                md += "- **\(HTMLReport.outcomeLabel(verdict.outcome).0)**: \(escape(verdict.text))\n"
            }
            md += "\n"
        }
        if !model.criteria.isEmpty {
            md += "## Criteria (\(model.criteria.filter(\.passed).count)/\(model.criteria.count) pass)\n\n"
            md += "| criterion | measured | result |\n|---|---|---|\n"
            for criterion in model.criteria {
                md +=
                    "| \(cell(criterion.requirement)) | \(cell(criterion.figure)) | \(criterion.passed ? "pass" : "FAIL") |\n"
            }
            md += "\n"
        }
        if !model.findings.isEmpty {
            md += "## Findings\n\n" + model.findings.map { "- \(escape($0))" }.joined(separator: "\n") + "\n\n"
        }
        if !model.levels.isEmpty {
            md += "## Results per level (ms)\n\n"
            let priced = model.levels.contains { $0.dollarsPerMillionTokens != nil }
            md +=
                "| level | trials | requests | errors | TTFT p50 | TTFT p95 | TTFT p99 | TTFT max | ITL p50 | ITL p99 | TPOT p50 | TPOT p99 | E2E p50 | E2E p99 | tokens/s |"
                + (priced ? " $ per M tokens |\n" : "\n")
            md += "|---|" + String(repeating: "---:|", count: priced ? 15 : 14) + "\n"
            for level in model.levels {
                let values: [Double?] = [
                    level.ttft?.p50, level.ttft?.p95, level.ttft?.p99, level.ttft?.max, level.itl?.p50, level.itl?.p99,
                    level.tpot?.p50, level.tpot?.p99, level.e2e?.p50, level.e2e?.p99, level.tokensPerSecond,
                ]
                let failed = level.failedTrials > 0 ? " (\(level.failedTrials) failed)" : ""
                md += "| \(cell(level.label)) | \(level.trials)\(failed) | \(level.requests) | \(level.errors) | "
                md += values.map { ChartFormat.cell($0) }.joined(separator: " | ") + " |"
                md += priced ? " \(level.dollarsPerMillionTokens.map { String(format: "%.3f", $0) } ?? "–") |\n" : "\n"
            }
            md += "\n"
        }
        for table in model.tables {
            md += "## \(escape(table.title))\n\n"
            md += "| " + table.columns.map(cell).joined(separator: " | ") + " |\n"
            md += "|---|" + String(repeating: "---:|", count: max(table.columns.count - 1, 0)) + "\n"
            for row in table.rows { md += "| " + row.map(cell).joined(separator: " | ") + " |\n" }
            md += "\n" + (table.note.map { escape($0) + "\n\n" } ?? "")
        }
        if !model.failures.isEmpty {
            md += "## Failed trials\n\n"
            for failure in model.failures {
                md +=
                    "- trial \(failure.trial) (\(escape(failure.level)), repetition \(failure.repetition)): \(escape(failure.reason))\n"
            }
            md += "\n"
        }
        if !model.provenance.isEmpty {
            md += "## Provenance\n\n"
            for item in model.provenance where item.key != "experiment" {
                md += "- \(escape(item.key)): `\(item.value.replacingOccurrences(of: "`", with: "'"))`\n"
            }
            md += "\n"
        }
        md += "The full report with charts and the resolved configuration is `report.html` next to this file.\n"
        return md
    }

    /// Text safe in a Markdown paragraph (no stray emphasis, links or HTML).
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            if "\\`*_[]<>|#".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }

    static func cell(_ text: String) -> String {
        escape(text).replacingOccurrences(of: "\n", with: " ")
    }
}
