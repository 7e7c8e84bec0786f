import Analysis
import ExperimentFile
import Foundation
import InferLabCore
import InferenceCore
import Profiling
import Reporting
import RunStore
import SystemProbe

/// The report's paging sections (`probe: {page_trace: true}`): per level, how the model's pages
/// moved (in, re-read, out), how sequential the reads were and how large, the disk's share of its
/// measured ceiling, and the study's answers: the slowdown at each pressure against the same
/// configuration without it, and how each load mode failed (docs/paging.md).
extension RunReport {
    /// One traced trial's numbers for the measured window (engine ready to the end of the load).
    struct PagedTrial {
        var trial: RunData.TrialRow
        var summary: PageTraceSummary
        var series: PageTraceSeries?
        var ceiling: DiskCeiling?

        var tokens: Int { trial.itl.count + trial.ttft.count }
        var window: PageTraceSummary.Window? { summary.window }
        var bytesPerToken: Double? {
            guard let window, tokens > 0 else { return nil }
            return Double(window.pagesIn) * Double(PageTrace.pageBytes) / Double(tokens)
        }
        var rereadsPerToken: Double? {
            guard let window, tokens > 0 else { return nil }
            return Double(window.rereadPages) / Double(tokens)
        }
        var readMBps: Double? {
            guard let window, let block = window.block, window.durationMs > 0 else { return nil }
            return Double(block.readBytes) / 1e6 / (window.durationMs / 1000)
        }
        var ceilingFraction: Double? {
            guard let readMBps, let ceiling, ceiling.sequentialMBps > 0 else { return nil }
            return readMBps / ceiling.sequentialMBps
        }
        var waitMsPerToken: Double? {
            guard let block = window?.block, tokens > 0 else { return nil }
            return block.busyMs / Double(tokens)
        }
        /// The model's resident share while the load ran (the probe's mincore samples, median).
        var resident: Double? { Statistics.median(trial.samples.compactMap(\.fileResidentFraction)) }
        /// Pages swapped out machine-wide during the trial, in bytes.
        var swappedOutBytes: Double? {
            let values = trial.samples.compactMap(\.sysPswpout)
            guard let first = values.first, let last = values.last else { return nil }
            return Double(last &- first) * 4096
        }
        var engineSwapBytes: Double? { trial.samples.compactMap(\.swapBytes).max().map(Double.init) }
    }

    static func pagedTrials(_ data: RunData, _ records: [Int: PageTraceRecord]) -> [PagedTrial] {
        let decoder = PageTraceJSON.decoder
        return data.trials.compactMap { trial in
            guard let record = records[trial.index],
                let summary = try? decoder.decode(PageTraceSummary.self, from: Data(record.summary.utf8))
            else { return nil }
            return PagedTrial(
                trial: trial, summary: summary,
                series: record.series.flatMap { try? decoder.decode(PageTraceSeries.self, from: Data($0.utf8)) },
                ceiling: record.diskCeiling.flatMap { try? decoder.decode(DiskCeiling.self, from: Data($0.utf8)) })
        }
    }

    /// The variables that put the model under memory pressure.
    static let pressureVariables: Set<String> = ["model_out", "lock_memory", "memory_max", "memory_high"]

    static func isPressure(_ setting: Setting) -> Bool {
        pressureVariables.contains(setting.variable) && !ScalarText.isNone(setting.value) && setting.value != "0"
    }

    /// Per level, median over its traced trials.
    struct PagedLevel {
        var level: Int
        var label: String
        var settings: [Setting]
        var trials: [PagedTrial]
        var tokensPerSecond: Double?
        var failed: Int
        var failures: [String]

        func median(_ value: (PagedTrial) -> Double?) -> Double? { Statistics.median(trials.compactMap(value)) }
        var isPressured: Bool { settings.contains(where: RunReport.isPressure) }
        /// The settings other than pressure: what its baseline must share.
        var key: [Setting] { settings.filter { !RunReport.pressureVariables.contains($0.variable) } }
    }

    static func pagedLevels(_ data: RunData, _ traced: [PagedTrial]) -> [PagedLevel] {
        let byLevel = Dictionary(grouping: data.trials, by: \.level)
        return byLevel.keys.sorted().compactMap { level in
            let trials = byLevel[level]!
            let paged = traced.filter { $0.trial.level == level && $0.trial.succeeded }
            let failures = trials.filter { !$0.succeeded }.compactMap(\.failure)
            guard !paged.isEmpty || !failures.isEmpty else { return nil }
            return PagedLevel(
                level: level, label: trials[0].label, settings: trials[0].settings, trials: paged,
                tokensPerSecond: Statistics.median(trials.filter(\.succeeded).compactMap(\.tokensPerSecond)),
                failed: trials.count - trials.filter(\.succeeded).count, failures: failures)
        }
    }

    static func pagingTables(_ levels: [PagedLevel], synthetic: Set<String>) -> [ReportTable] {
        guard !levels.isEmpty else { return [] }
        let percent = { (value: Double?) in value.map { String(format: "%.0f %%", $0 * 100) } ?? "-" }
        let number = { (value: Double?, format: String) in value.map { String(format: format, $0) } ?? "-" }
        let traffic = levels.map { level in
            [
                level.label + (isSynthetic(level, synthetic) ? " (synthetic)" : ""),
                percent(level.median(\.resident)),
                number(level.median { $0.bytesPerToken.map { $0 / 1_048_576 } }, "%.2f"),
                number(level.median(\.rereadsPerToken), "%.0f"),
                percent(level.median { $0.window?.sequentialFraction }),
                number(level.median { $0.window?.averageReadBytes }.map { $0 / 1024 }, "%.0f"),
                number(level.median { $0.window?.block?.averageRequestBytes }.map { $0 / 1024 }, "%.0f"),
                number(level.median { $0.window?.block?.readaheadAverageBytes }.map { $0 / 1024 }, "%.0f"),
                number(level.median(\.readMBps), "%.1f"),
                percent(level.median(\.ceilingFraction)),
                number(level.median(\.waitMsPerToken), "%.2f"),
                number(level.median { Double($0.summary.lostEvents) }, "%.0f"),
            ]
        }
        let ceiling = levels.lazy.flatMap(\.trials).compactMap(\.ceiling).first
        let ceilingNote =
            ceiling.map {
                String(
                    format: "The disk's ceiling (%@, O_DIRECT reads of the model, measured once and cached): "
                        + "%.0f MB/s sequential in 1 MiB reads, %.1f MB/s (%.0f IOPS) random 4 KiB at queue depth 1.",
                    $0.device, $0.sequentialMBps, $0.random4KMBps, $0.random4KIOPS)
            } ?? "The disk's ceiling could not be measured."
        var tables = [
            ReportTable(
                id: "paging-traffic",
                title: "How the model's pages moved (page-cache trace, engine ready to end of load)",
                note: "Medians over each level's trials. Resident: the model's share in the page cache while the load "
                    + "ran (mincore). MiB/token and re-read pages/token: pages brought into the cache per generated "
                    + "token, and those that had been there before (evicted, read again). Sequential: the seed's rule "
                    + "(a read starting within 128 KiB of the previous one's end) on the file's page stream; read KiB: "
                    + "mean length of a run of contiguous pages; request KiB: the block layer's mean read request; "
                    + "readahead KiB: mean RA request. Read MB/s over the window and as a share of the disk's "
                    + "sequential ceiling; wait ms/token: time the disk had a read outstanding, per token. "
                    + ceilingNote,
                columns: [
                    "level", "resident", "MiB/token", "re-read pages/token", "sequential", "read KiB", "request KiB",
                    "readahead KiB", "read MB/s", "of ceiling", "wait ms/token", "lost events",
                ], rows: traffic)
        ]
        if let answers = pagingAnswers(levels, synthetic: synthetic) { tables.append(answers) }
        return tables
    }

    static func isSynthetic(_ level: PagedLevel, _ synthetic: Set<String>) -> Bool {
        level.settings.contains { $0.variable == "model" && synthetic.contains($0.value) }
    }

    /// Each pressured level against its baseline (the level with the same settings and no
    /// pressure): slowdown, residency, access pattern, and how it failed.
    static func pagingAnswers(_ levels: [PagedLevel], synthetic: Set<String>) -> ReportTable? {
        let rows: [[String]] = levels.filter(\.isPressured).map { level in
            let baseline = levels.first { !$0.isPressured && $0.key == level.key }
            var slowdown = "-"
            if let before = baseline?.tokensPerSecond, let after = level.tokensPerSecond, after > 0 {
                slowdown = String(format: "%.2fx (%.1f -> %.1f tok/s)", before / after, before, after)
            } else if level.tokensPerSecond == nil {
                slowdown = "no trial finished"
            }
            let resident = level.median(\.resident).map { String(format: "%.0f %%", $0 * 100) } ?? "-"
            let sequential = level.median { $0.window?.sequentialFraction }
            let pattern =
                sequential.map {
                    String(
                        format: "%@ (%.0f %% sequential), mean read %.0f KiB",
                        $0 >= 0.8
                            ? "sequential"
                            : $0 >= 0.5
                                ? "mixed" : "random", $0 * 100,
                        (level.median { $0.window?.averageReadBytes } ?? 0) / 1024)
                } ?? "-"
            var modes: [String] = []
            if !level.failures.isEmpty {
                let oom = level.failures.filter { $0.contains("OOM") }.count
                modes.append(
                    oom > 0
                        ? "\(oom) of \(level.failed + level.trials.count) trial(s) OOM-killed"
                        : "\(level.failed) trial(s) failed: \(level.failures[0].prefix(120))")
            }
            let locker = level.trials.compactMap {
                $0.trial.notApplied["model_out"] ?? $0.trial.notApplied["lock_memory"]
            }
            if let reason = locker.first { modes.append("pressure not in force: \(reason.suffix(160))") }
            if let swapped = level.median(\.swappedOutBytes), swapped >= 1_048_576 {
                modes.append(String(format: "%.0f MiB swapped out", swapped / 1_048_576))
            }
            if let engine = level.median(\.engineSwapBytes), engine >= 1_048_576 {
                modes.append(String(format: "the engine's own: %.0f MiB in swap at most", engine / 1_048_576))
            }
            if let rereads = level.median(\.rereadsPerToken), rereads >= 1 {
                modes.append(String(format: "file pages evicted and re-read: %.0f pages/token", rereads))
            }
            if modes.isEmpty { modes.append("no refaults, no swap") }
            return [
                level.label + (isSynthetic(level, synthetic) ? " (synthetic)" : ""), baseline?.label ?? "-", slowdown,
                resident, pattern,
                level.median(\.ceilingFraction).map { String(format: "%.0f %%", $0 * 100) } ?? "-",
                modes.joined(separator: "; "),
            ]
        }
        guard !rows.isEmpty else { return nil }
        return ReportTable(
            id: "paging-answers", title: "Paging: the study's answers",
            note: "Each level under memory pressure (model_out or lock_memory: memory pinned outside the engine, "
                + "the seed's way; memory_max: the engine's cgroup) against the same configuration without it. "
                + "Slowdown: tokens/s without / with. A synthetic model has random weights: its text is "
                + "meaningless, its page access is real.",
            columns: ["level", "baseline", "slowdown", "resident", "access", "of disk ceiling", "how it failed"],
            rows: rows)
    }

    /// The layers in model order: the header, what precedes the blocks (the token embedding),
    /// the blocks by number (a file may store blk.10 before blk.2), then the rest (the output).
    static func layerOrder(_ layers: [String]) -> [Int] {
        let firstBlock = layers.firstIndex { $0.hasPrefix("blk.") } ?? layers.count
        func key(_ index: Int) -> (Int, Int) {
            let name = layers[index]
            if name == "header" { return (0, 0) }
            if name.hasPrefix("blk."), let number = Int(name.dropFirst(4)) { return (2, number) }
            return index < firstBlock ? (1, index) : (3, index)
        }
        return layers.indices.sorted { key($0) < key($1) }
    }

    static func pagingCharts(_ levels: [PagedLevel]) -> [ReportChart] {
        var charts: [ReportChart] = []
        for level in levels {
            guard let trial = level.trials.first, let stored = trial.series else { continue }
            // Rows and colours in model order.
            let order = layerOrder(stored.layers)
            var rank = [Int](repeating: 0, count: order.count)
            for (position, index) in order.enumerated() { rank[index] = position }
            var series = stored
            series.layers = order.map { stored.layers[$0] }
            series.layerPages = order.map { stored.layerPages[$0] }
            series.rereadPages = order.map { stored.rereadPages[$0] }
            series.resident = order.map { stored.resident[$0] }
            series.segments = stored.segments.map { segment in
                var moved = segment
                moved.layer = segment.layer < rank.count ? rank[segment.layer] : segment.layer
                return moved
            }
            let fileMiB = Double(trial.summary.fileBytes) / 1_048_576
            let pageMiB = Double(PageTrace.pageBytes) / 1_048_576
            charts.append(
                ReportChart(
                    .fileOffsets(
                        FileOffsetChart(
                            title: "Reads by file offset over time: \(level.label)",
                            marks: series.segments.map {
                                FileOffsetChart.Mark(
                                    seconds: $0.ms / 1000, offsetMiB: Double($0.page) * pageMiB,
                                    lengthMiB: Double($0.pages) * pageMiB, layer: $0.layer)
                            }, layers: series.layers, fileMiB: fileMiB,
                            marker: series.windowStartMs.map { $0 / 1000 }, markerLabel: "engine ready")),
                    caption: "One mark per run of pages brought into the cache together (trial \(trial.trial.index)"
                        + (series.segmentStride > 1 ? ", every \(series.segmentStride)th run" : "")
                        + "): the load reads the file front to back; under pressure each token reads the layers again.")
            )
            let seconds = series.binMs / 1000
            // Per page of the layer, so a small layer's re-reads show beside a large one's.
            let rereads = zip(series.rereadPages, series.layerPages).map { row, pages in
                row.map { pages > 0 ? Double($0) / Double(pages) : nil }
            }
            if series.rereadPages.contains(where: { $0.contains { $0 > 0 } }) {
                charts.append(
                    ReportChart(
                        .heatMap(
                            HeatMapChart(
                                title: "Pages re-read per layer over time: \(level.label)",
                                xLabel: "seconds since the trace started", valueLabel: "re-reads per page",
                                rows: series.layers, columnStart: 0, columnWidth: seconds, values: rereads)),
                        caption: "Pages brought in again after being evicted, per \(Int(series.binMs)) ms, "
                            + "as a share of the layer's pages (1: the whole layer read again in that time)."))
            }
            let resident = zip(series.resident, series.layerPages).map { row, pages in
                row.map { pages > 0 ? Double($0) / Double(pages) : nil }
            }
            charts.append(
                ReportChart(
                    .heatMap(
                        HeatMapChart(
                            title: "Resident share of each layer over time: \(level.label)",
                            xLabel: "seconds since the trace started", valueLabel: "resident share",
                            rows: series.layers, columnStart: 0, columnWidth: seconds, values: resident, maximum: 1)),
                    caption: "From the trace: the residency at the start (mincore) plus pages in less pages out."))
        }
        return charts
    }
}
