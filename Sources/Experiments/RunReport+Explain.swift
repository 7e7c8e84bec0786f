import Analysis
import Foundation
import InferLabCore
import Reporting

/// The report's explanation sections: where each level's time went, and its slowest requests
/// with their causes (docs/explain.md).
extension RunReport {
    /// Per level (in level order): its label and the explanations of its requests.
    static func explainedLevels(_ data: RunData, _ explanation: RunExplanation) -> [(
        label: String, requests: [RequestExplanation]
    )] {
        let levelOfTrial = Dictionary(uniqueKeysWithValues: data.trials.map { ($0.index, ($0.level, $0.label)) })
        var levels: [Int: (label: String, requests: [RequestExplanation])] = [:]
        for part in explanation.trials {
            guard let (level, label) = levelOfTrial[part.index] else { continue }
            let explained = part.explainer.requests.map { part.explainer.explain($0, trial: part.index) }
            levels[level, default: (label, [])].requests += explained
        }
        return levels.sorted { $0.key < $1.key }.map { ($0.value.label, $0.value.requests) }
    }

    static func explainCharts(_ levels: [(label: String, requests: [RequestExplanation])]) -> [ReportChart] {
        let present = Component.allCases.filter { component in
            levels.contains { level in level.requests.contains { $0.components[component] > 0.0005 } }
        }
        guard !present.isEmpty else { return [] }
        func bars(_ read: (RequestExplanation) -> ComponentTimes) -> [StackedBarChart.Bar] {
            levels.map { level in
                let count = Double(max(1, level.requests.count))
                return StackedBarChart.Bar(
                    label: level.label,
                    values: present.map { component in level.requests.reduce(0) { $0 + read($1)[component] } / count })
            }
        }
        let names = present.map(\.rawValue)
        return [
            ReportChart(
                .stackedBars(
                    StackedBarChart(
                        title: "Where the time went: E2E", xLabel: "mean ms per request (t_sched to the last event)",
                        segments: names, bars: bars(\.components))),
                caption: "Each request's latency split into causes (docs/explain.md), averaged over the level."),
            ReportChart(
                .stackedBars(
                    StackedBarChart(
                        title: "Where the time went: TTFT", xLabel: "mean ms per request (t_sched to the first token)",
                        segments: names, bars: bars(\.ttftComponents)))),
        ]
    }

    static func explainTables(_ levels: [(label: String, requests: [RequestExplanation])]) -> [ReportTable] {
        guard levels.contains(where: { !$0.requests.isEmpty }) else { return [] }
        var causes: [[String]] = []
        var slowest: [[String]] = []
        for level in levels where !level.requests.isEmpty {
            causes.append([level.label, "\(level.requests.count)", topCauses(level.requests.map(\.topCause))])
            causes[causes.count - 1].append(topCauses(level.requests.map(\.topTTFTCause)))
            for request in level.requests.sorted(by: { $0.e2eMilliseconds > $1.e2eMilliseconds }).prefix(5) {
                slowest.append([
                    level.label, "trial \(request.trial.map(String.init) ?? "-") \(request.id)",
                    MetricUnit.milliseconds.format(request.e2eMilliseconds),
                    request.ttftMilliseconds.map { MetricUnit.milliseconds.format($0) } ?? "–",
                    request.sentence,
                ])
            }
        }
        return [
            ReportTable(
                id: "top-causes", title: "Top causes per level",
                note: "The share of a level's requests whose largest component is each cause, for E2E and for TTFT.",
                columns: ["level", "requests", "top cause of E2E", "top cause of TTFT"], rows: causes),
            ReportTable(
                id: "slowest-requests", title: "The slowest requests and why",
                note: "Per level, the five slowest requests; `inferlab explain RUN --request ID` shows one with its "
                    + "slowest tokens, `--trace FILE` the whole run on a timeline (Perfetto).",
                columns: ["level", "request", "E2E", "TTFT", "why"], rows: slowest),
        ]
    }

    /// "queue 83 %, decode_own 17 %".
    static func topCauses(_ causes: [Component?]) -> String {
        let counted = Dictionary(grouping: causes.compactMap { $0 }, by: { $0 }).mapValues(\.count)
        let total = Double(max(1, causes.count))
        return counted.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }.prefix(3).map {
            "\($0.key.rawValue) \(Int((100 * Double($0.value) / total).rounded())) %"
        }.joined(separator: ", ")
    }
}
