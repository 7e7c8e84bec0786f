import InferLabCore
import Foundation
import Analysis
import Reporting

/// A report model built from deterministic synthetic data: every chart kind, verdicts,
/// criteria, a failed trial, and text that needs escaping.
enum ReportFixtures {
    static func samples(count: Int, base: Double, spread: Double, seed: UInt64) -> [Double] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            let u = Double(generator.index(below: 10_000)) / 10_000
            return base + spread * u * u * u * 4
        }
    }

    static let quotas = ["none", "1.5", "1.0", "0.5"]

    static func model() -> ReportModel {
        var levels: [LevelSummary] = []
        var cdfSeries: [ValueSeries] = []
        for (index, quota) in quotas.enumerated() {
            let factor = Double(index) * 0.8 + 1
            let ttft = samples(count: 96, base: 80 * factor, spread: 40 * factor, seed: UInt64(index))
            let itl = samples(count: 96 * 63, base: 11 * factor, spread: 3 * factor, seed: UInt64(index + 10))
            let e2e = ttft.map { $0 + 63 * 12 * factor }
            cdfSeries.append(ValueSeries(name: "cpu_quota=\(quota)", values: ttft))
            levels.append(
                LevelSummary(
                    label: "cpu_quota=\(quota)", settings: [KeyValue("cpu_quota", quota)], trials: 3,
                    failedTrials: index == 3 ? 1 : 0, requests: 96, errors: index == 3 ? 2 : 0,
                    ttft: PercentileSummary.of(ttft), itl: PercentileSummary.of(itl),
                    tpot: PercentileSummary.of(itl.map { $0 * 1.01 }),
                    e2e: PercentileSummary.of(e2e), tokensPerSecond: 105 / factor,
                    p99CV: Statistics.coefficientOfVariation([1, 1.05, 0.97].map { $0 * factor }),
                    errorsByClass: index == 3 ? [KeyValue("timeout", "2")] : []))
        }
        let tokenLatencies = samples(count: 64 * 8, base: 11, spread: 2, seed: 99).enumerated().map {
            ChartPoint(x: Double($0.offset % 64), y: $0.element + 0.02 * Double($0.offset % 64))
        }
        let seconds = (0..<200).map { Double($0) * 0.05 }
        let timeline = TimelineChart(
            title: "Trial 4 (cpu_quota=0.5): engine over time",
            panels: [
                PointSeries(
                    name: "RSS", unit: "MiB", points: seconds.map { ChartPoint(x: $0, y: 180 + min($0, 2) * 20) }),
                PointSeries(
                    name: "majflt", unit: "/s", points: seconds.map { ChartPoint(x: $0, y: $0 < 0.5 ? 800 : 3) }),
                PointSeries(
                    name: "throttled", unit: "us/s",
                    points: seconds.map { ChartPoint(x: $0, y: 400_000 + 100_000 * sin($0 * 3)) }),
                PointSeries(
                    name: "PSI cpu some", unit: "us/s",
                    points: seconds.map { ChartPoint(x: $0, y: 2_000 + 500 * cos($0)) }),
                PointSeries(
                    name: "model file resident", unit: "%",
                    points: seconds.map { ChartPoint(x: $0, y: min(100, $0 * 60)) }),
            ],
            requestMarkers: PointSeries(
                name: "request E2E", unit: "ms",
                points: stride(from: 0.4, to: 10, by: 0.7).map { ChartPoint(x: $0, y: 900 + 300 * sin($0)) }))
        let degradation = DegradationChart(
            title: "TTFT p99 against CPU quota", xLabel: "cpu_quota (cores)", yLabel: "TTFT p99 (ms)",
            levels: levels.enumerated().map { index, level in
                DegradationChart.Level(
                    label: quotas[index], y: level.ttft!.p99, lower: level.ttft!.p99 * 0.9, upper: level.ttft!.p99 * 1.1
                )
            }, style: .bar)
        let contention = DegradationChart(
            title: "Per-token p99 against background load", xLabel: "background load (%)", yLabel: "p99 (ms)",
            levels: [0, 25, 50, 75].map {
                DegradationChart.Level(label: "\($0) %", x: Double($0), y: 12 + Double($0) * 0.1)
            })
        let before = samples(count: 96, base: 80, spread: 40, seed: 0)
        let after = samples(count: 96, base: 80 * 3.4, spread: 40 * 3.4, seed: 3)
        let verdict = EvidenceCheck.evaluate(
            app: AppMetricSamples(name: "TTFT p99", unit: .milliseconds, statistic: .p99, before: before, after: after),
            mechanism: MetricChange(
                name: "cgroup.cpu.throttled_usec", unit: .microseconds, before: 0, after: 8_200_000),
            controls: [MetricChange(name: "psi.io.some_total", unit: .microseconds, before: 10_000, after: 10_200)])
        let criteria = BoundedRealtimeCriteria().evaluate(
            BoundedRealtimeInput(
                p99PerRepetition: [12, 12.5, 11.8], peakRSSPerRepetition: [1.9e8, 1.91e8, 1.9e8],
                degradationLoad: [0, 25, 50, 75],
                degradationLatency: [12, 14.4, 17.1, 19.4],
                p99PerRepetitionBySampler: ["greedy": [12, 12.5, 11.8], "top-k": [12.2, 12.9, 12]],
                provenance: ["inferlab_commit": "abc123"]))
        return ReportModel(
            title: "cpu-quota <script>alert(1)</script> & \"quotes\"",
            description: "TTFT under a CPU quota; the control is I/O pressure.", generatedAt: "2026-11-29T23:00:00Z",
            experiment: "name: cpu-quota\nmatrix:\n  cpu_quota: [none, 1.5, 1.0, 0.5]   # <b>not bold</b>\n",
            provenance: [
                KeyValue("inferlab_commit", "abc123"), KeyValue("llama_cpp_commit", "0c1e57098"),
                KeyValue("model_sha256", "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"),
                KeyValue("kernel", "Linux 6.1.0 x86_64"), KeyValue("cgroup_version", "v1"),
            ],
            levels: levels,
            charts: [
                ReportChart(
                    .cdf(CDFChart(title: "TTFT CDF per level", xLabel: "TTFT (ms)", series: cdfSeries)),
                    caption: "Lower quota shifts the whole curve right."),
                ReportChart(
                    .histogram(
                        HistogramChart(title: "Per-token latency", xLabel: "ms", values: tokenLatencies.map(\.y)))),
                ReportChart(
                    .scatter(
                        ScatterChart(
                            title: "Per-token latency against position", xLabel: "token position", yLabel: "ms",
                            points: tokenLatencies))),
                ReportChart(.timeline(timeline), caption: "Throttling is continuous; faults only at start."),
                ReportChart(.degradation(degradation)),
                ReportChart(.degradation(contention)),
                ReportChart(.cdf(CDFChart(title: "Empty chart", xLabel: "ms", series: []))),
                ReportChart(
                    .heatMap(
                        HeatMapChart(
                            title: "Pages re-read per layer over time", xLabel: "seconds", valueLabel: "pages",
                            rows: ["header", "blk.0", "blk.1"], columnStart: 0, columnWidth: 0.25,
                            values: [[0, 0, nil], [3, 40, 12], [0, 80, 5]]))),
                ReportChart(
                    .fileOffsets(
                        FileOffsetChart(
                            title: "Reads by file offset over time",
                            marks: (0..<60).map {
                                FileOffsetChart.Mark(
                                    seconds: Double($0) * 0.1, offsetMiB: Double($0 % 30) * 3, lengthMiB: 2,
                                    layer: $0 % 30)
                            }, layers: (0..<30).map { "blk.\($0)" }, fileMiB: 94, marker: 2,
                            markerLabel: "engine ready"))),
                ReportChart(
                    .pareto(
                        ParetoChart(
                            title: "Latency against throughput",
                            series: [
                                .init(
                                    name: "TTFT p99",
                                    points: [
                                        .init(label: "c=1", throughput: 24, latencyMs: 310),
                                        .init(label: "c=4", throughput: 61, latencyMs: 900),
                                        .init(label: "c=8", throughput: 66, latencyMs: 2400),
                                    ]),
                                .init(
                                    name: "ITL p99",
                                    points: [
                                        .init(label: "c=1", throughput: 24, latencyMs: 31),
                                        .init(label: "c=4", throughput: 61, latencyMs: 75),
                                        .init(label: "c=8", throughput: 66, latencyMs: 140),
                                    ]),
                            ]))),
            ],
            verdicts: [verdict], criteria: criteria,
            findings: ["Throttling explains the TTFT p99 rise <b>(not bold)</b>."],
            failures: [TrialFailure(trial: 11, level: "cpu_quota=0.5", repetition: 3, reason: "timeout after 120 s")])
    }
}
