import Foundation

/// The catalogue as text: the table of docs/metrics.md and the listing of `inferlab metrics`.
extension MetricCatalog {
    /// The line before the generated table in docs/metrics.md.
    public static let tableBegin =
        "<!-- metric-catalog:begin (generated from Sources/MetricCatalog: inferlab metrics --update docs/metrics.md) -->"
    /// The line after it.
    public static let tableEnd = "<!-- metric-catalog:end -->"

    /// The docs table: one row per metric in catalogue order, ending with a newline.
    public static func markdownTable() -> String {
        var lines = [
            "| name | unit | kind | source | trial value | read from | description |",
            "|---|---|---|---|---|---|---|",
        ]
        for metric in all {
            let cells = [
                "`\(metric.name)`", metric.unit.rawValue, metric.kind.rawValue, metric.source.rawValue,
                trialValue(metric), readFrom(metric.reading), metric.help,
            ]
            lines.append("| " + cells.map { $0.replacingPipes() }.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The plain listing of `inferlab metrics`: aligned columns, the description last.
    public static func textTable() -> String {
        let header = ["name", "label", "unit", "kind", "source", "trial value", "description"]
        let rows = all.map { metric in
            [
                metric.name, metric.label, metric.unit.rawValue, metric.kind.rawValue, metric.source.rawValue,
                trialValue(metric).replacingOccurrences(of: "`", with: ""), metric.help,
            ]
        }
        let widths = header.indices.dropLast().map { column in
            ([header] + rows).map { $0[column].count }.max() ?? 0
        }
        return ([header] + rows).map { row in
            let padded = zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
            return (padded + [row[row.count - 1]]).joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    /// The generated table of a document (the lines between the markers), or `nil` without markers.
    public static func documentTable(in document: String) -> String? {
        guard let (begin, end) = tableRange(in: document) else { return nil }
        return String(document[begin..<end])
    }

    /// The document with its generated table replaced by `markdownTable()`, or `nil` without markers.
    public static func updatingTable(in document: String) -> String? {
        guard let (begin, end) = tableRange(in: document) else { return nil }
        return document.replacingCharacters(in: begin..<end, with: markdownTable())
    }

    /// From the start of the line after the begin marker to the start of the end marker's line.
    private static func tableRange(in document: String) -> (String.Index, String.Index)? {
        guard let begin = document.range(of: tableBegin + "\n"),
            let end = document.range(of: tableEnd, range: begin.upperBound..<document.endIndex)
        else { return nil }
        return (begin.upperBound, end.lowerBound)
    }

    /// How a trial is summarised: a statistic to name for distributions of requests, else the aggregate.
    private static func trialValue(_ metric: Metric) -> String {
        switch metric.reading {
        case .request, .tokenGaps: "statistic (`.p99`)"
        case .trial: "one per trial"
        case .exposition, .probe, .thread, .step: metric.aggregate.rawValue
        }
    }

    private static func readFrom(_ reading: Metric.Reading) -> String {
        switch reading {
        case .request: "each request"
        case .tokenGaps: "each token gap"
        case .trial: "each trial"
        case .exposition(let series): "/metrics `\(series)`"
        case .probe: "probe sample"
        case .thread: "thread sample"
        case .step: "engine step"
        }
    }
}

extension String {
    fileprivate func replacingPipes() -> String { replacingOccurrences(of: "|", with: "\\|") }
}
