import Analysis
import InferLabCore

/// Renders a `ReportModel` as one self-contained HTML page: inline CSS and SVG, no scripts, no
/// external assets, so it opens offline and can be mailed as one file.
public enum HTMLReport {
    public static func render(_ model: ReportModel) -> String {
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(model.title)) — InferLab report</title>
            <style>\(style)</style>
            </head>
            <body>
            <main>
            <header>
            <p class="kicker">InferLab report</p>
            <h1>\(HTML.escape(model.title))</h1>

            """
        if let description = model.description { html += "<p class=\"lead\">\(HTML.escape(description))</p>\n" }
        html += "<p class=\"meta\">Generated \(HTML.escape(model.generatedAt))"
        html +=
            model.levels.isEmpty
            ? "</p>\n</header>\n"
            : " · \(model.levels.count) levels · \(model.levels.reduce(0) { $0 + $1.trials }) trials</p>\n</header>\n"
        html += nav(model)
        if !model.verdicts.isEmpty { html += verdicts(model.verdicts) }
        if !model.criteria.isEmpty { html += criteria(model.criteria) }
        if !model.findings.isEmpty {
            html += "<section id=\"findings\"><h2>Findings</h2>\n"
            html += model.findings.map { "<p>\(HTML.escape($0))</p>" }.joined(separator: "\n") + "\n</section>\n"
        }
        if !model.levels.isEmpty { html += levels(model.levels) }
        for table in model.tables { html += self.table(table) }
        if !model.charts.isEmpty { html += charts(model.charts) }
        if !model.failures.isEmpty { html += failures(model.failures) }
        html +=
            "<section id=\"configuration\"><h2>Configuration</h2>\n<pre>\(HTML.escape(model.experiment))</pre>\n</section>\n"
        html += "<section id=\"provenance\"><h2>Provenance</h2>\n<table class=\"kv\">\n<tbody>\n"
        for item in model.provenance {
            html +=
                "<tr><th scope=\"row\">\(HTML.escape(item.key))</th><td><code>\(HTML.escape(item.value))</code></td></tr>\n"
        }
        html += "</tbody>\n</table>\n</section>\n"
        html += "<footer>Percentiles are nearest-rank. Intervals are 95 % percentile-bootstrap (seeded). "
        html += "Significance: Mann-Whitney U, two-sided, normal approximation with tie correction.</footer>\n"
        html += "</main>\n</body>\n</html>\n"
        return html
    }

    private static func nav(_ model: ReportModel) -> String {
        var links: [(String, String)] = []
        if !model.verdicts.isEmpty { links.append(("evidence", "Evidence")) }
        if !model.criteria.isEmpty { links.append(("criteria", "Criteria")) }
        if !model.findings.isEmpty { links.append(("findings", "Findings")) }
        if !model.levels.isEmpty { links.append(("levels", "Results")) }
        links += model.tables.map { ($0.id, $0.title) }
        if !model.charts.isEmpty { links.append(("charts", "Charts")) }
        if !model.failures.isEmpty { links.append(("failures", "Failed trials")) }
        links += [("configuration", "Configuration"), ("provenance", "Provenance")]
        return "<nav>" + links.map { "<a href=\"#\($0.0)\">\($0.1)</a>" }.joined(separator: " · ") + "</nav>\n"
    }

    private static func verdicts(_ verdicts: [Verdict]) -> String {
        var html = "<section id=\"evidence\"><h2>Evidence</h2>\n<ul class=\"verdicts\">\n"
        for verdict in verdicts {
            let (label, css) = outcomeLabel(verdict.outcome)
            html += "<li><span class=\"badge \(css)\">\(label)</span> \(HTML.escape(verdict.text))</li>\n"
        }
        return html + "</ul>\n</section>\n"
    }

    static func outcomeLabel(_ outcome: Verdict.Outcome) -> (String, String) {
        switch outcome {
        case .supported: ("supported", "pass")
        case .notSupported: ("not supported", "fail")
        case .inconclusive: ("inconclusive", "warn")
        }
    }

    private static func criteria(_ criteria: [CriterionResult]) -> String {
        let passed = criteria.filter(\.passed).count
        var html = "<section id=\"criteria\"><h2>Criteria <small>\(passed)/\(criteria.count) pass</small></h2>\n"
        html += "<table>\n<thead><tr><th>criterion</th><th>measured</th><th>result</th></tr></thead>\n<tbody>\n"
        for criterion in criteria {
            let badge =
                criterion.passed ? "<span class=\"badge pass\">pass</span>" : "<span class=\"badge fail\">fail</span>"
            html +=
                "<tr><td>\(HTML.escape(criterion.requirement))</td><td>\(HTML.escape(criterion.figure))</td><td>\(badge)</td></tr>\n"
        }
        return html + "</tbody>\n</table>\n</section>\n"
    }

    private static func table(_ table: ReportTable) -> String {
        var html = "<section id=\"\(HTML.escape(table.id))\"><h2>\(HTML.escape(table.title))</h2>\n"
        html += "<table class=\"num\">\n<thead><tr>"
        html += table.columns.map { "<th>\(HTML.escape($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for row in table.rows {
            html +=
                "<tr>"
                + row.enumerated().map { index, cell in
                    index == 0 ? "<th scope=\"row\">\(HTML.escape(cell))</th>" : "<td>\(HTML.escape(cell))</td>"
                }.joined() + "</tr>\n"
        }
        html += "</tbody>\n</table>\n"
        if let note = table.note { html += "<p class=\"note\">\(HTML.escape(note))</p>\n" }
        return html + "</section>\n"
    }

    private static func levels(_ levels: [LevelSummary]) -> String {
        var html = "<section id=\"levels\"><h2>Results per level</h2>\n"
        html += "<table class=\"num\">\n<thead><tr><th>level</th><th>trials</th><th>requests</th><th>errors</th>"
        let priced = levels.contains { $0.dollarsPerMillionTokens != nil }
        html += "<th>TTFT p50</th><th>TTFT p99</th><th>ITL p99</th><th>E2E p99</th><th>tokens/s</th>"
        html += (priced ? "<th>$ per M tokens</th>" : "") + "<th>CV of TTFT p99</th></tr></thead>\n<tbody>\n"
        for level in levels {
            html += "<tr><th scope=\"row\">\(HTML.escape(level.label))</th><td>\(level.trials)"
            html += level.failedTrials > 0 ? " (\(level.failedTrials) failed)" : ""
            html += "</td><td>\(level.requests)</td><td>\(level.errors)</td>"
            html += "<td>\(ChartFormat.cell(level.ttft?.p50))</td><td>\(ChartFormat.cell(level.ttft?.p99))</td>"
            html += "<td>\(ChartFormat.cell(level.itl?.p99))</td><td>\(ChartFormat.cell(level.e2e?.p99))</td>"
            html += "<td>\(ChartFormat.cell(level.tokensPerSecond))</td>"
            if priced { html += "<td>\(level.dollarsPerMillionTokens.map { String(format: "%.3f", $0) } ?? "–")</td>" }
            html += "<td>\(level.p99CV.map { "\(MetricUnit.number($0 * 100)) %" } ?? "–")</td></tr>\n"
        }
        html += "</tbody>\n</table>\n<p class=\"note\">Latencies in milliseconds.</p>\n"
        for level in levels {
            html += "<details open><summary>\(HTML.escape(level.label))</summary>\n<div class=\"level\">\n"
            html +=
                "<table class=\"num\">\n<thead><tr><th>metric (ms)</th><th>p50</th><th>p95</th><th>p99</th><th>max</th><th>n</th></tr></thead>\n<tbody>\n"
            for (name, summary) in [("TTFT", level.ttft), ("ITL", level.itl), ("TPOT", level.tpot), ("E2E", level.e2e)]
            {
                html += "<tr><th scope=\"row\">\(name)</th>"
                html += [summary?.p50, summary?.p95, summary?.p99, summary?.max].map {
                    "<td>\(ChartFormat.cell($0))</td>"
                }.joined()
                html += "<td>\(summary.map { "\($0.count)" } ?? "0")</td></tr>\n"
            }
            html += "</tbody>\n</table>\n<p class=\"note\">tokens/s \(ChartFormat.cell(level.tokensPerSecond)) · "
            html += "errors \(level.errors) of \(level.requests)"
            if !level.errorsByClass.isEmpty {
                html +=
                    " ("
                    + level.errorsByClass.map { "\(HTML.escape($0.key)) \(HTML.escape($0.value))" }.joined(
                        separator: ", ") + ")"
            }
            if !level.settings.isEmpty {
                html +=
                    " · "
                    + level.settings.map { "\(HTML.escape($0.key)) = \(HTML.escape($0.value))" }.joined(separator: ", ")
            }
            html += "</p>\n</div>\n</details>\n"
        }
        return html + "</section>\n"
    }

    private static func charts(_ charts: [ReportChart]) -> String {
        var html = "<section id=\"charts\"><h2>Charts</h2>\n"
        for item in charts {
            html += "<figure>\n\(item.chart.svg())\n"
            if let caption = item.caption { html += "<figcaption>\(HTML.escape(caption))</figcaption>\n" }
            html += "</figure>\n"
        }
        return html + "</section>\n"
    }

    private static func failures(_ failures: [TrialFailure]) -> String {
        var html = "<section id=\"failures\"><h2>Failed trials</h2>\n<table>\n"
        html +=
            "<thead><tr><th>trial</th><th>level</th><th>repetition</th><th>what happened</th></tr></thead>\n<tbody>\n"
        for failure in failures {
            html += "<tr><td>\(failure.trial)</td><td>\(HTML.escape(failure.level))</td><td>\(failure.repetition)</td>"
            html += "<td>\(HTML.escape(failure.reason))</td></tr>\n"
        }
        return html + "</tbody>\n</table>\n</section>\n"
    }

    static let style = """
        :root { color-scheme: light; }
        * { box-sizing: border-box; }
        body { margin: 0; background: #f6f7f9; color: #1d2127;
               font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
        main { max-width: 1040px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; min-height: 100vh; }
        header { border-bottom: 1px solid #e4e6ea; margin-bottom: 8px; }
        .kicker { text-transform: uppercase; letter-spacing: .08em; font-size: 12px; color: #6b7280; margin: 0; }
        h1 { font-size: 30px; margin: 4px 0 6px; }
        h2 { font-size: 21px; margin: 36px 0 12px; padding-bottom: 4px; border-bottom: 1px solid #eceef1; }
        h2 small { font-weight: normal; color: #6b7280; font-size: 15px; margin-left: 8px; }
        .lead { font-size: 18px; color: #374151; margin: 4px 0; }
        .meta, .note, footer { color: #6b7280; font-size: 14px; }
        nav { font-size: 14px; margin: 10px 0 0; }
        nav a { color: #0b5cad; text-decoration: none; }
        nav a:hover { text-decoration: underline; }
        table { border-collapse: collapse; width: 100%; margin: 8px 0; font-size: 14px; }
        th, td { padding: 6px 10px; border-bottom: 1px solid #eceef1; text-align: left; vertical-align: top; }
        thead th { background: #f3f4f6; font-weight: 600; border-bottom: 1px solid #d9dce1; }
        table.num td { text-align: right; font-variant-numeric: tabular-nums; }
        table.kv th { width: 220px; font-weight: 600; color: #374151; }
        code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 13px; }
        code { word-break: break-all; }
        pre { background: #f6f8fa; border: 1px solid #e4e6ea; border-radius: 6px; padding: 12px 14px; overflow-x: auto; }
        details { margin: 10px 0; }
        summary { cursor: pointer; font-weight: 600; }
        .level { padding-left: 14px; }
        ul.verdicts { list-style: none; padding: 0; }
        ul.verdicts li { margin: 8px 0; padding: 8px 12px; background: #fafbfc; border: 1px solid #eceef1; border-radius: 6px; }
        .badge { display: inline-block; font-size: 12px; font-weight: 600; padding: 1px 8px; border-radius: 10px; margin-right: 6px; }
        .badge.pass { background: #dcfce7; color: #166534; }
        .badge.fail { background: #fee2e2; color: #991b1b; }
        .badge.warn { background: #fef3c7; color: #92400e; }
        figure { margin: 18px 0 26px; }
        figure svg { max-width: 100%; height: auto; display: block; border: 1px solid #eceef1; border-radius: 6px; }
        figcaption { color: #4b5563; font-size: 14px; margin-top: 6px; }
        footer { margin-top: 40px; border-top: 1px solid #eceef1; padding-top: 10px; }
        @media print { body { background: #fff; } main { padding: 0; } details { break-inside: avoid; } }
        """
}
