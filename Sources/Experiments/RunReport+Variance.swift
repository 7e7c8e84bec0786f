import Analysis
import ExperimentFile
import Foundation
import InferLabCore
import MetricCatalog
import Reporting

extension RunReport {
    /// The figures whose CV across repetitions every level gets: the precision block's, or the
    /// criteria's (per-token p99, peak RSS) and TTFT p99.
    static func varianceMetrics(_ spec: ExperimentSpec?) -> [String] {
        var names = spec?.precision?.metrics ?? []
        for name in ["itl.p99", "process.rss", "ttft.p99"] where !names.contains(name) { names.append(name) }
        return names
    }

    /// A figure's name as a column says it.
    static func figureLabel(_ name: String) -> String {
        switch name {
        case "itl.p99": "per-token p99"
        case "process.rss": "peak RSS"
        case "ttft.p99": "TTFT p99"
        default:
            MetricCatalog.appMetric(name).map { $0.0.label + ($0.1.map { " \($0.rawValue)" } ?? "") }
                ?? MetricCatalog.osMetric(name)?.label ?? name
        }
    }

    /// Per level: its repetitions and, for each figure, the CV across them with its interval
    /// (normal theory, `CVInterval`), and the widest interval against the precision target.
    static func varianceTable(_ data: RunData, spec: ExperimentSpec?) -> ReportTable? {
        let names = varianceMetrics(spec)
        let level = spec?.precision?.level ?? 0.95
        let byLevel = Dictionary(grouping: data.trials, by: \.level).sorted { $0.key < $1.key }
        guard byLevel.contains(where: { $0.value.filter(\.succeeded).count >= 2 }) else { return nil }
        var rows: [[String]] = []
        for (_, trials) in byLevel {
            let ok = trials.filter(\.succeeded)
            var row = [trials[0].label, "\(ok.count)" + (ok.count < trials.count ? " of \(trials.count)" : "")]
            var widest: Double?
            for name in names {
                let values = ok.compactMap { RunPrecision.value(name, $0) }
                guard let interval = CVInterval.of(values, level: level) else {
                    row.append("–")
                    continue
                }
                // The width the precision rule judges: its own figures only (all of them without one).
                if spec?.precision?.metrics.contains(name) ?? true {
                    widest = max(widest ?? 0, interval.upper - interval.lower)
                }
                row.append(
                    String(
                        format: "%.1f %% [%.1f, %.1f]", 100 * interval.estimate, 100 * interval.lower,
                        100 * interval.upper))
            }
            row.append(widest.map { String(format: "%.1f pp", 100 * $0) } ?? "–")
            rows.append(row)
        }
        let target = spec?.precision.map {
            String(
                format: " Repetitions were added until every interval was narrower than %.1f percentage points "
                    + "or a level reached %d repetitions.", 100 * $0.width, $0.maxRepetitions)
        }
        return ReportTable(
            id: "variance-repetitions", title: "Variance across repetitions",
            note: String(format: "CV across each level's successful repetitions with its %.0f %% interval", 100 * level)
                + " (normal theory: the χ² interval of the standard deviation over the mean). From 3 repetitions the "
                + "interval of a 15 % CV runs from 8 % to 94 %." + (target ?? ""),
            columns: ["level", "repetitions"] + names.map { "CV of \(figureLabel($0))" }
                + [spec?.precision == nil ? "widest interval" : "widest interval (precision figures)"],
            rows: rows)
    }

    /// Dollars per million output tokens at `pricePerHour` and `tokensPerSecond`.
    static func dollarsPerMillion(pricePerHour: Double?, tokensPerSecond: Double?) -> Double? {
        guard let pricePerHour, let tokensPerSecond, tokensPerSecond > 0 else { return nil }
        return pricePerHour / (tokensPerSecond * 3600) * 1e6
    }

    /// Cold against warm start: the first measured request of each cold level (its warm-up is
    /// none, so this is the request that paid the cold page cache and the first graph) against the
    /// first request and the median of the warm levels with otherwise equal settings.
    static func coldStartTable(_ data: RunData, spec: ExperimentSpec?) -> ReportTable? {
        guard let spec, let configs = try? spec.levelConfigs() else { return nil }
        let byLevel = Dictionary(grouping: data.trials.filter(\.succeeded), by: \.level)
        let cold = configs.indices.filter { configs[$0].constraints.start == .cold }
        let warm = configs.indices.filter { configs[$0].constraints.start == .warm }
        guard !cold.isEmpty, let baseline = warm.first else { return nil }
        func firsts(_ level: Int) -> [Double] { (byLevel[level] ?? []).compactMap(\.ttft.first) }
        func medians(_ level: Int) -> [Double] { (byLevel[level] ?? []).compactMap { Statistics.median($0.ttft) } }
        /// The warm level a cold one is compared with: the same engine and workload but for the
        /// warm-up (a cold level at concurrency 1 against the warm one at concurrency 1).
        func reference(_ level: Int) -> Int {
            var workload = configs[level].workload
            return warm.first { other in
                workload.warmupRequests = configs[other].workload.warmupRequests
                workload.warmupSeconds = configs[other].workload.warmupSeconds
                return configs[other].engine == configs[level].engine && configs[other].workload == workload
            } ?? baseline
        }
        var order: [Int] = []
        for level in cold {
            let warmLevel = reference(level)
            if !order.contains(warmLevel) { order.append(warmLevel) }
            order.append(level)
        }
        /// The warm twin's TTFTs of the prompt a cold level's trials sent first.
        func samePrompt(_ level: Int) -> String {
            guard cold.contains(level) else { return "–" }
            let prompts = (byLevel[level] ?? []).compactMap(\.firstPrompt)
            let twin = byLevel[reference(level)] ?? []
            let values = twin.flatMap { trial in prompts.flatMap { trial.ttftByPrompt[$0] ?? [] } }
            return Statistics.median(values).map(MetricUnit.number) ?? "not measured (its warm-up's prompt)"
        }
        var rows: [[String]] = []
        for level in order {
            let first = firsts(level)
            let label = (byLevel[level]?.first?.label ?? "level \(level)")
            let warmup =
                configs[level].workload.warmupRequests > 0
                ? "\(configs[level].workload.warmupRequests) requests" : "none"
            rows.append([
                label, configs[level].constraints.start.rawValue, warmup,
                Statistics.median(first).map(MetricUnit.number) ?? "–",
                first.map { MetricUnit.number($0) }.joined(separator: ", "), samePrompt(level),
                Statistics.median(medians(level)).map(MetricUnit.number) ?? "–",
            ])
        }
        return ReportTable(
            id: "cold-start", title: "Cold against warm start",
            note:
                "The first measured request's TTFT (ms) per repetition. A cold level evicts the model file from the page "
                + "cache before the engine starts and sends no warm-up, so its first request pays the page-ins; a warm "
                + "level's first request comes after its warm-up and is another prompt, so the cold first request "
                + "is also set against the same prompt's TTFT in the warm twin.",
            columns: [
                "level", "start", "warm-up", "first request TTFT (median)", "per repetition",
                "warm twin, same prompt", "TTFT p50",
            ],
            rows: rows)
    }
}
