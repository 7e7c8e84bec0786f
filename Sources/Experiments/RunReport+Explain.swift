import Analysis
import Foundation
import InferLabCore
import InferenceCore
import Reporting

/// The report's explanation sections: where each level's time went, and its slowest requests
/// with their causes (docs/explain.md).
extension RunReport {
    /// One level's explained requests, and the trials they came from.
    struct ExplainedLevel {
        var label: String
        var requests: [RequestExplanation] = []
        var trials: [Int: RunExplanation.TrialPart] = [:]
    }

    /// Per level (in level order): its label and the explanations of its requests.
    static func explainedLevels(_ data: RunData, _ explanation: RunExplanation) -> [ExplainedLevel] {
        let levelOfTrial = Dictionary(uniqueKeysWithValues: data.trials.map { ($0.index, ($0.level, $0.label)) })
        var levels: [Int: ExplainedLevel] = [:]
        for part in explanation.trials {
            guard let (level, label) = levelOfTrial[part.index] else { continue }
            let explained = part.explainer.requests.map { part.explainer.explain($0, trial: part.index, tokens: true) }
            levels[level, default: ExplainedLevel(label: label)].requests += explained
            levels[level]?.trials[part.index] = part
        }
        return levels.sorted { $0.key < $1.key }.map(\.value)
    }

    /// Lane charts of each level's slowest requests (at most `perLevel`, of the first six levels).
    static func laneCharts(_ levels: [ExplainedLevel], perLevel: Int = 5) -> [ReportChart] {
        var charts: [ReportChart] = []
        for level in levels.prefix(6) {
            for explained in level.requests.sorted(by: { $0.e2eMilliseconds > $1.e2eMilliseconds }).prefix(perLevel) {
                guard let trial = explained.trial, let part = level.trials[trial],
                    let request = part.explainer.requests.first(where: { $0.id == explained.id })
                else { continue }
                charts.append(
                    ReportChart(
                        .lanes(lanes(request, part.explainer, title: "\(level.label): \(explained.id)")),
                        caption: explained.sentence))
            }
        }
        return charts
    }

    /// The phases of `request`, the steps around it and the OS tracks, from its t_sched.
    static func lanes(_ request: RequestLife, _ explainer: Explainer, title: String) -> LaneChart {
        let origin = request.scheduled
        func seconds(_ instant: MonotonicInstant) -> Double { (instant - origin).seconds }
        let kinds = [
            "client lag", "network", "queue", "prefill", "decode", "step with its decode token",
            "step with its prompt", "step without it",
        ]
        var phases: [LaneChart.Interval] = []
        func phase(_ from: MonotonicInstant, _ to: MonotonicInstant, _ kind: Int) {
            guard to > from else { return }
            phases.append(
                .init(
                    start: seconds(from), end: seconds(to), kind: kind,
                    label: "\(kinds[kind]) \(MetricUnit.milliseconds.format((to - from).milliseconds))"))
        }
        phase(request.scheduled, request.sent, 0)
        if let server = request.server {
            phase(request.sent, server.arrival, 1)
            phase(server.arrival, server.admitted, 2)
            phase(server.admitted, server.firstToken, 3)
            phase(server.firstToken, server.lastToken, 4)
            phase(server.lastToken, request.lastEvent, 1)
        } else if let first = request.contentEvents.first {
            phase(request.sent, first, 3)
            phase(first, request.lastEvent, 4)
        }
        let steps = explainer.steps(overlapping: request.scheduled, request.lastEvent).map { step in
            let share = step.share(of: request.id)
            let kind = share.map { $0.decode > 0 ? 5 : 6 } ?? 7
            return LaneChart.Interval(
                start: max(0, seconds(step.start)), end: seconds(step.end), kind: kind,
                label: "step \(step.index): \(step.decodeTokens) decode + \(step.promptTokens) prompt tokens, "
                    + MetricUnit.milliseconds.format(step.durationMilliseconds))
        }
        /// The counter's rate over windows of at least 200 ms: the kernel adds a throttled
        /// period's time when it unthrottles, so a rate over one 50 ms reading would spike.
        func track(_ name: String, _ unit: String, _ series: OSCounters.Series, scale: Double) -> PointSeries? {
            var points: [ChartPoint] = []
            var anchor = series.first
            for current in series.dropFirst() {
                guard let start = anchor, (current.time - start.time).seconds >= 0.2 else { continue }
                if current.time > request.scheduled && start.time < request.lastEvent {
                    let rate = max(0, current.value - start.value) * scale / (current.time - start.time).seconds
                    points.append(ChartPoint(x: max(0, seconds(start.time)), y: rate))
                }
                anchor = current
            }
            return points.contains { $0.y > 0 } ? PointSeries(name: name, unit: unit, points: points) : nil
        }
        let os = explainer.os
        let tracks = [
            track("CFS throttled", "ms/s", os.throttledMicroseconds, scale: 1e-3 / Double(max(1, os.throttledCPUs))),
            track("run-queue wait", "ms/s", os.runqueueWaitNanoseconds, scale: 1e-6),
            track("major faults", "/s", os.majorFaults, scale: 1),
        ].compactMap { $0 }
        return LaneChart(
            title: title, xLabel: "seconds since the request was scheduled", kinds: kinds,
            lanes: [.init(name: "request", intervals: phases), .init(name: "engine steps", intervals: steps)],
            tracks: tracks)
    }

    static func explainCharts(_ levels: [ExplainedLevel]) -> [ReportChart] {
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

    static func explainTables(_ levels: [ExplainedLevel]) -> [ReportTable] {
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
        var slowTokens: [[String]] = []
        for level in levels {
            let gaps = level.requests.flatMap { request in (request.tokens ?? []).map { (request, $0) } }
            guard let p99 = Statistics.percentile(gaps.map { $0.1.gapMilliseconds }, 99) else { continue }
            let slow = gaps.filter { $0.1.gapMilliseconds > p99 }.sorted { $0.1.gapMilliseconds > $1.1.gapMilliseconds }
            guard !slow.isEmpty else { continue }
            slowTokens.append([
                level.label, "\(slow.count) of \(gaps.count) above p99 \(MetricUnit.milliseconds.format(p99))",
                topCauses(slow.map { $0.1.topCause }),
                slow.prefix(3).map { request, token in
                    let parts = token.components.ordered.sorted { $0.milliseconds > $1.milliseconds }.prefix(2).map {
                        "\($0.component.rawValue) \(MetricUnit.milliseconds.format($0.milliseconds))"
                    }
                    return
                        "\(request.id) token \(token.index): \(MetricUnit.milliseconds.format(token.gapMilliseconds)) "
                        + "(\(parts.joined(separator: ", ")))"
                }.joined(separator: "; "),
            ])
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
            ReportTable(
                id: "slow-tokens", title: "Slow tokens and why",
                note: "Per level, the inter-token gaps above the level's p99, their top causes, and the slowest three "
                    + "with their two largest components.",
                columns: ["level", "slow gaps", "top causes", "slowest"], rows: slowTokens),
        ].filter { !$0.rows.isEmpty }
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
