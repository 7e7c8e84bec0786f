import Analysis
import Foundation
import InferLabCore
import InferenceCore
import Profiling
import Reporting
import RunStore

/// The report's profile sections (`probe: {profile: ...}`): where each level's CPU time went
/// (flame graphs, top functions by ggml operation), the scheduler's view of its threads, the
/// differences between levels, and the sources of variance of every level (docs/profile.md).
extension RunReport {
    /// One level's profiles: its trials' folded stacks summed, and their scheduler views.
    struct ProfiledLevel {
        var level: Int
        var label: String
        var folded = FoldedStacks()
        var sched: [Int: SchedReport] = [:]
        var failures: [String] = []
    }

    static func profiledLevels(_ data: RunData, _ profiles: [Int: ProfileRecord]) -> [ProfiledLevel] {
        var levels: [Int: ProfiledLevel] = [:]
        for trial in data.trials {
            guard let record = profiles[trial.index] else { continue }
            var level = levels[trial.level] ?? ProfiledLevel(level: trial.level, label: trial.label)
            for (stack, count) in FoldedStacks.parse(record.folded).counts { level.folded.add(stack, count: count) }
            if let text = record.sched, let report = try? JSONDecoder().decode(SchedReport.self, from: Data(text.utf8))
            {
                level.sched[trial.index] = report
            }
            if let failure = record.failure { level.failures.append("trial \(trial.index): \(failure)") }
            levels[trial.level] = level
        }
        return levels.sorted { $0.key < $1.key }.map(\.value)
    }

    /// Writes each level's flame graph (and the differences from the first level) beside the
    /// report; returns the charts that show them.
    static func profileCharts(_ levels: [ProfiledLevel], directory: URL) -> [ReportChart] {
        var charts: [ReportChart] = []
        for level in levels where level.folded.total > 0 {
            let name = "flamegraph-level-\(level.level).svg"
            let title = "On-CPU flame graph: \(level.label) (\(level.folded.total) samples)"
            guard
                (try? FlameGraph.svg(level.folded, title: title).write(
                    to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)) != nil
            else { continue }
            charts.append(
                ReportChart(
                    .file(FileChart(title: title, path: name)),
                    caption: "Width is the share of samples; hover for a frame's share, search (top right) to "
                        + "highlight a function. stacks.folded of each trial is in profile-trial-N/."))
        }
        // Each level against the first: what grew (red) and what shrank (blue), in shares.
        let profiled = levels.filter { $0.folded.total > 0 }
        if let first = profiled.first {
            for level in profiled.dropFirst() {
                let name = "flamegraph-diff-level-\(level.level).svg"
                let title = "Differential flame graph: \(first.label) -> \(level.label)"
                let svg = DifferentialFlameGraph.svg(
                    before: first.folded, after: level.folded, title: title, beforeLabel: first.label,
                    afterLabel: level.label)
                guard
                    (try? svg.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8))
                        != nil
                else { continue }
                charts.append(
                    ReportChart(
                        .file(FileChart(title: title, path: name)),
                        caption: "Widths are \(level.label)'s samples; red frames hold a larger share than in "
                            + "\(first.label), blue a smaller one (threads merged)."))
            }
        }
        return charts
    }

    /// The functions whose share changed most from the first profiled level to each other one.
    static func profileChangeTable(_ levels: [ProfiledLevel]) -> ReportTable? {
        let profiled = levels.filter { $0.folded.total > 0 }
        guard let first = profiled.first, profiled.count > 1 else { return nil }
        var rows: [[String]] = []
        for level in profiled.dropFirst() {
            for change in DifferentialFlameGraph.changes(before: first.folded, after: level.folded, limit: 6) {
                rows.append([
                    level.label, change.function, change.operation,
                    String(format: "%.1f %% -> %.1f %%", 100 * change.beforeShare, 100 * change.afterShare),
                    String(format: "%+.1f", 100 * change.delta),
                    String(format: "%+.1f", 100 * change.selfDelta),
                ])
            }
        }
        return ReportTable(
            id: "profile-changes", title: "How the profile changed from \(first.label)",
            note: "Inclusive share of samples (the function or anything it called) in the first level and in "
                + "each other one, and the change in percentage points; self is the function's own samples.",
            columns: ["level", "function", "operation", "inclusive share", "change (points)", "self change"],
            rows: rows)
    }

    static func profileTables(_ levels: [ProfiledLevel]) -> [ReportTable] {
        var tables: [ReportTable] = []
        let profiled = levels.filter { $0.folded.total > 0 }
        if !profiled.isEmpty {
            tables.append(
                ReportTable(
                    id: "profile", title: "Where the CPU time went",
                    note: "perf cpu-clock samples of the engine over each trial (warm-up and load), summed over "
                        + "the level's trials. Operations group leaf functions by ggml operation; \"OpenMP (spin and "
                        + "barriers)\" is threads waiting for each other at llama.cpp's barriers while on a CPU.",
                    columns: ["level", "samples", "operations", "top functions"],
                    rows: profiled.map { level in
                        let profile = Profile(folded: level.folded)
                        let total = Double(max(1, level.folded.total))
                        let operations = profile.operations.prefix(5).map {
                            String(format: "%@ %.0f %%", $0.operation, 100 * Double($0.samples) / total)
                        }
                        let functions = profile.functions(limit: 3).map {
                            String(format: "%@ %.1f %%", $0.function, 100 * $0.share)
                        }
                        return [
                            level.label, "\(level.folded.total)", operations.joined(separator: ", "),
                            functions.joined(separator: ", "),
                        ]
                    }))
        }
        let traced = levels.filter { !$0.sched.isEmpty }
        if !traced.isEmpty {
            tables.append(
                ReportTable(
                    id: "sched", title: "The scheduler's view of the engine's threads",
                    note: "tracefs sched_switch and sched_wakeup of the engine's threads (docs/profile.md). Run-queue "
                        + "latency: from a wakeup or a preemption to running again, the compute threads' p99 (median "
                        + "over trials). Straggling: one compute thread late (preempted, queued, in D) while another "
                        + "ran or waited for it, of their busy time; per step when the steps are logged.",
                    columns: [
                        "level", "run-queue p99", "preemptions/s", "preempted by", "straggling",
                        "straggling p99 per step",
                        "steal", "other CPU",
                    ],
                    rows: traced.map(schedRow)))
        }
        if let changes = profileChangeTable(levels) { tables.append(changes) }
        return tables
    }

    private static func schedRow(_ level: ProfiledLevel) -> [String] {
        let reports = level.sched.sorted { $0.key < $1.key }.map(\.value)
        let analyses = reports.compactMap(\.analysis)
        guard !analyses.isEmpty else {
            return [level.label, "not applied: \(reports.first?.reason ?? "unknown")", "", "", "", "", "", ""]
        }
        func median(_ values: [Double]) -> Double? { Percentile.of(values.sorted(), 50) }
        let computes = analyses.map { analysis in
            analysis.threads.filter { analysis.computeThreads.contains($0.tid) }
        }
        let runQueue = median(computes.map { $0.map(\.runQueueLatency.p99Us).max() ?? 0 })
        let preemptions = median(
            zip(analyses, computes).map { analysis, threads in
                Double(threads.reduce(0) { $0 + $1.preemptions }) / max(0.001, analysis.windowMs / 1000)
            })
        let byKind = preemptedTime(reports)
        let total = byKind.values.reduce(0, +)
        let by = byKind.sorted { $0.value > $1.value }.prefix(2).map {
            String(format: "%@ %.0f %%", $0.key.rawValue, total > 0 ? 100 * $0.value / total : 0)
        }
        let straggling = median(analyses.map(\.barrier.share))
        let perStep = median(analyses.compactMap { $0.barrier.steps?.p99Ms })
        let steal = median(reports.compactMap { $0.machine?.stealShare })
        let other = median(reports.compactMap { $0.machine?.otherCores })
        return [
            level.label, runQueue.map { MetricUnit.milliseconds.format($0 / 1000) } ?? "",
            preemptions.map { String(format: "%.0f", $0) } ?? "", by.joined(separator: ", "),
            straggling.map { String(format: "%.1f %%", 100 * $0) } ?? "",
            perStep.map { MetricUnit.milliseconds.format($0) } ?? "not logged",
            steal.map { String(format: "%.2f %%", 100 * $0) } ?? "",
            other.map { String(format: "%.2f cores", $0) } ?? "",
        ]
    }

    /// "Sources of variance": per level, the taxonomy's rows with their share of the tail of
    /// per-token latency.
    static func varianceTables(_ explained: [ExplainedLevel], profiled: [ProfiledLevel]) -> [ReportTable] {
        let frequencyExposed = FileManager.default.fileExists(atPath: "/sys/devices/system/cpu/cpu0/cpufreq")
        var rows: [[String]] = []
        for level in explained {
            let sched = profiled.first { $0.label == level.label }?.sched ?? [:]
            let steals = sched.values.compactMap { $0.machine?.stealShare }
            let context = VarianceSources.Context(
                steal: steals.isEmpty ? nil : steals.reduce(0, +) / Double(steals.count),
                preemptedBy: preemptedTime(sched.values).map { (kind: $0.key.rawValue, ms: $0.value) },
                frequencyExposed: frequencyExposed)
            guard let table = VarianceSources.table(tokenGaps(level, sched: sched), context: context) else {
                continue
            }
            let ranking = table.ranking.filter { $0 != .other }.map(\.rawValue).joined(separator: " > ")
            rows.append([
                "\(level.label)",
                String(
                    format: "p50 %@, p99 %@, %d tail gaps; ranked %@", MetricUnit.milliseconds.format(table.p50Ms),
                    MetricUnit.milliseconds.format(table.p99Ms), table.tailGaps, ranking), "", "",
            ])
            for row in table.rows {
                rows.append([
                    "", "\(row.category.rawValue): \(row.source)",
                    row.share.map { String(format: "%.0f %%", 100 * $0) } ?? "-", row.note,
                ])
            }
        }
        guard !rows.isEmpty else { return [] }
        return [
            ReportTable(
                id: "variance", title: "Sources of variance",
                note: "Of the gap between the p99 and the p50 inter-token latency, the share each source accounts "
                    + "for: its mean over the gaps at or above the p99, minus its median over all gaps, over the "
                    + "tail's mean minus the p50. Shares come from each gap's explanation (where the time went); "
                    + "barrier straggling, preemptions and steal from the profile. A row without a share is a "
                    + "measurement shown for its value, or not measurable here (the note says why).",
                columns: ["level", "source", "share of the tail", "how it was measured"], rows: rows)
        ]
    }

    /// The compute threads' preempted time by who took their CPU, over `reports`.
    static func preemptedTime(_ reports: some Sequence<SchedReport>) -> [RunnerKind: Double] {
        var byKind: [RunnerKind: Double] = [:]
        for analysis in reports.compactMap(\.analysis) {
            for thread in analysis.threads where analysis.computeThreads.contains(thread.tid) {
                for runner in thread.preemptedBy { byKind[runner.kind, default: 0] += runner.ms }
            }
        }
        return byKind
    }

    /// Every inter-token gap of the level with its split (the explanations `explainedLevels`
    /// made), and the straggling inside its steps when the scheduler was traced with the steps
    /// known.
    static func tokenGaps(_ level: ExplainedLevel, sched: [Int: SchedReport]) -> [VarianceSources.Gap] {
        // Per trial: each request's content events, and the steps' straggling as a running sum
        // by step end, so a gap's share is two binary searches.
        var events: [Int: [String: [MonotonicInstant]]] = [:]
        var straggling: [Int: (ends: [MonotonicInstant], sums: [Double])] = [:]
        for (trial, part) in level.trials {
            events[trial] = Dictionary(
                part.explainer.requests.map { ($0.id, $0.contentEvents) }, uniquingKeysWith: { first, _ in first })
            let steps = part.explainer.steps.sorted { $0.index < $1.index }
            guard let perStep = sched[trial]?.analysis?.barrier.steps?.perStepMs, perStep.count == steps.count else {
                continue
            }
            let byEnd = zip(steps, perStep).map { (end: $0.end, ms: $1) }.sorted { $0.end < $1.end }
            var sums = [0.0]
            for step in byEnd { sums.append(sums[sums.count - 1] + step.ms) }
            straggling[trial] = (byEnd.map(\.end), sums)
        }
        /// Steps ending at or before `instant`.
        func count(_ ends: [MonotonicInstant], atOrBefore instant: MonotonicInstant) -> Int {
            var low = 0
            var high = ends.count
            while low < high {
                let middle = (low + high) / 2
                if ends[middle] <= instant { low = middle + 1 } else { high = middle }
            }
            return low
        }
        var gaps: [VarianceSources.Gap] = []
        for request in level.requests {
            let times = request.trial.flatMap { events[$0]?[request.id] } ?? []
            let steps = request.trial.flatMap { straggling[$0] }
            for token in request.tokens ?? [] {
                var gap = VarianceSources.Gap(milliseconds: token.gapMilliseconds, components: token.components)
                if let steps, token.index >= 1, token.index < times.count {
                    let first = count(steps.ends, atOrBefore: times[token.index - 1])
                    let last = count(steps.ends, atOrBefore: times[token.index])
                    gap.stragglingMs = steps.sums[last] - steps.sums[first]
                }
                gaps.append(gap)
            }
        }
        return gaps
    }
}
