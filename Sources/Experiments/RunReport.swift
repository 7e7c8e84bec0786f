import Analysis
import ExperimentFile
public import Foundation
import InferLabCore
import InferenceCore
import MetricCatalog
import Reporting
import RunStore

/// Builds the report of a run directory from its SQLite file: `report.html` (self-contained,
/// inline SVG) and `summary.md`. `inferlab report RUN` calls this again at any time.
public enum RunReport {
    /// Writes both files; returns the path of `report.html`.
    @discardableResult
    public static func write(directory: URL, pricePerHour: Double? = nil) throws -> URL {
        let model = try model(directory: directory, pricePerHour: pricePerHour)
        let html = directory.appendingPathComponent("report.html")
        try HTMLReport.render(model).write(to: html, atomically: true, encoding: .utf8)
        try MarkdownSummary.render(model).write(
            to: directory.appendingPathComponent("summary.md"), atomically: true, encoding: .utf8)
        return html
    }

    /// The report of a run directory, as a model (what `write` renders; a study embeds it).
    /// `data` when the caller has read the run already.
    static func model(directory: URL, data: RunData? = nil, pricePerHour: Double? = nil) throws -> ReportModel {
        let data = try data ?? RunData.load(directory.appendingPathComponent("results.sqlite").path)
        let spec = try? ExperimentSpec.parse(yaml: data.specYAML)
        var model = build(data, spec: spec, pricePerHour: pricePerHour)
        let store = try? RunStore(path: directory.appendingPathComponent("results.sqlite").path)
        let profiles = (try? store?.readProfiles()) ?? [:]
        let paged = pagedLevels(data, pagedTrials(data, (try? store?.readPageTraces()) ?? [:]))
        if !paged.isEmpty {
            let synthetic = Set(
                ((try? ModelCatalog.locate())?.entries ?? [:]).filter { $0.value.synthetic == true }.keys)
            model.tables += pagingTables(paged, synthetic: synthetic)
            model.charts += pagingCharts(paged)
        }
        let profiled = profiledLevels(data, profiles)
        if !profiled.isEmpty {
            model.charts += profileCharts(profiled, directory: directory)
            model.tables += profileTables(profiled)
        }
        if let explanation = try? RunExplanation(directory: directory) {
            let levels = explainedLevels(data, explanation)
            model.charts += explainCharts(levels) + laneCharts(levels)
            model.tables += explainTables(levels)
            model.tables += varianceTables(levels, profiled: profiled)
        }
        return model
    }

    static func build(_ data: RunData, spec: ExperimentSpec?, pricePerHour: Double? = nil) -> ReportModel {
        let price = pricePerHour ?? spec?.pricePerHour
        let byLevel = Dictionary(grouping: data.trials, by: \.level).sorted { $0.key < $1.key }
        var levels: [LevelSummary] = []
        for (_, trials) in byLevel {
            let ok = trials.filter(\.succeeded)
            let ttftP99s = ok.compactMap { Statistics.percentile($0.ttft, 99) }
            var errors: [String: Int] = [:]
            for trial in trials { errors.merge(trial.errors, uniquingKeysWith: +) }
            let tokens = ok.compactMap(\.tokensPerSecond)
            levels.append(
                LevelSummary(
                    label: trials[0].label, settings: trials[0].settings.map { KeyValue($0.variable, $0.value) },
                    trials: trials.count,
                    failedTrials: trials.filter { !$0.succeeded }.count,
                    requests: trials.reduce(0) { $0 + $1.requests },
                    errors: errors.values.reduce(0, +), ttft: PercentileSummary.of(ok.flatMap(\.ttft)),
                    itl: PercentileSummary.of(ok.flatMap(\.itl)), tpot: PercentileSummary.of(ok.flatMap(\.tpot)),
                    e2e: PercentileSummary.of(ok.flatMap(\.e2e)), tokensPerSecond: Statistics.mean(tokens),
                    p99CV: ttftP99s.count > 1 ? Statistics.coefficientOfVariation(ttftP99s) : nil,
                    dollarsPerMillionTokens: dollarsPerMillion(
                        pricePerHour: price, tokensPerSecond: Statistics.mean(tokens)),
                    errorsByClass: errors.sorted { $0.key < $1.key }.map { KeyValue($0.key, "\($0.value)") }))
        }
        var model = ReportModel(
            title: "InferLab run: \(data.name)", description: spec?.description,
            generatedAt: ISO8601DateFormatter().string(from: Date()), experiment: data.specYAML,
            provenance: provenance(data), levels: levels, charts: charts(data, byLevel: byLevel),
            failures: data.trials.filter { !$0.succeeded }.map {
                TrialFailure(
                    trial: $0.index, level: $0.label, repetition: $0.repetition,
                    reason: $0.failure ?? $0.status.rawValue)
            })
        if let spec, let evidence = spec.evidence {
            model.verdicts = verdicts(
                evidence, pairs: comparedLevels(spec, present: byLevel.map(\.key)), byLevel: byLevel)
        }
        if spec?.study == .boundedRealtime { model.criteria = criteria(data, byLevel: byLevel) }
        model.findings = findings(data, levels: levels)
        if let table = systemTable(byLevel: byLevel) { model.tables.append(table) }
        if let table = varianceTable(data, spec: spec) { model.tables.append(table) }
        if let table = coldStartTable(data, spec: spec) { model.tables.append(table) }
        if let table = controlsTable(byLevel: byLevel) { model.tables.insert(table, at: 0) }
        return model
    }

    /// The controls that did not take effect, per level, with the reason: nothing is skipped
    /// silently (a run without root still measures, and says what it could not set).
    static func controlsTable(byLevel: [(key: Int, value: [RunData.TrialRow])]) -> ReportTable? {
        var rows: [[String]] = []
        for (_, trials) in byLevel {
            var reasons: [String: [String: Int]] = [:]
            for trial in trials {
                for (name, reason) in trial.notApplied { reasons[name, default: [:]][reason, default: 0] += 1 }
            }
            for (name, byReason) in reasons.sorted(by: { $0.key < $1.key }) {
                for (reason, count) in byReason.sorted(by: { $0.key < $1.key }) {
                    rows.append([trials[0].label, name, "\(count) of \(trials.count)", reason])
                }
            }
        }
        guard !rows.isEmpty else { return nil }
        return ReportTable(
            id: "controls", title: "Controls that did not take effect",
            note:
                "These trials ran without the control named; a verdict comparing a level whose own setting is "
                + "listed here is inconclusive.",
            columns: ["level", "control", "trials", "why"], rows: rows)
    }

    // MARK: Provenance

    static func provenance(_ data: RunData) -> [KeyValue] {
        var values = [
            KeyValue("run", data.name), KeyValue("status", data.status.rawValue), KeyValue("started", data.startedAt),
            KeyValue("finished", data.finishedAt ?? "not finished"),
        ]
        for key in data.provenance.keys.sorted() where key != "system_json" {
            values.append(KeyValue(key, data.provenance[key] ?? ""))
        }
        if let system = data.provenance["system_json"] {
            values.append(KeyValue("system (inferlab system show)", system))
        }
        for event in data.events where event.kind.isSystem {
            values.append(KeyValue(event.kind.rawValue.replacingOccurrences(of: "_", with: " "), event.detail))
        }
        return values
    }

    // MARK: Charts

    static func charts(_ data: RunData, byLevel: [(key: Int, value: [RunData.TrialRow])]) -> [ReportChart] {
        var charts: [ReportChart] = []
        let series: (KeyPath<RunData.TrialRow, [Double]>) -> [ValueSeries] = { path in
            byLevel.map {
                ValueSeries(
                    name: $0.value[0].label, values: $0.value.filter(\.succeeded).flatMap { $0[keyPath: path] }
                )
            }
            .filter { !$0.values.isEmpty }
        }
        let ttft = series(\.ttft)
        if !ttft.isEmpty {
            charts.append(
                ReportChart(
                    .cdf(CDFChart(title: "TTFT by level", xLabel: "TTFT (ms)", series: ttft)),
                    caption: "Cumulative distribution of time to first token, all repetitions."))
        }
        let itl = series(\.itl)
        if !itl.isEmpty {
            charts.append(
                ReportChart(.cdf(CDFChart(title: "Inter-token latency by level", xLabel: "ITL (ms)", series: itl))))
            charts.append(
                ReportChart(
                    .grid(
                        SmallMultiples(
                            title: "Per-token latency by level",
                            panels: itl.map {
                                .histogram(HistogramChart(title: $0.name, xLabel: "ITL (ms)", values: $0.values))
                            })),
                    caption: "Histogram of every gap between consecutive streamed tokens, one panel per level "
                        + "(all its repetitions), p50 and p99 marked."))
        }
        var positions: [Chart] = []
        var slopes: [String] = []
        for (_, trials) in byLevel {
            let ok = trials.filter { $0.succeeded && !$0.itlByPosition.isEmpty }
            guard let first = ok.first else { continue }
            let points = thinned(
                ok.flatMap { $0.itlByPosition.map { ChartPoint(x: Double($0.0), y: $0.1) } }, limit: 1500)
            let fit = LinearFit.fit(x: points.map(\.x), y: points.map(\.y))
            positions.append(
                .scatter(
                    ScatterChart(
                        title: first.label, xLabel: "token position", yLabel: "ITL (ms)", points: points, fit: fit)))
            if let fit {
                slopes.append(String(format: "%@ %.4f (R² %.2f)", first.label, fit.slope, fit.rSquared))
            }
        }
        if !positions.isEmpty {
            charts.append(
                ReportChart(
                    .grid(SmallMultiples(title: "Latency vs token position by level", panels: positions)),
                    caption: "Every token gap of each level's repetitions against its position, with the "
                        + "least-squares line; slopes in ms per token: " + slopes.joined(separator: "; ")
                        + ". A positive slope means later tokens are slower."))
        }
        // Timelines: the OS side of one trial per level, aligned with request latencies.
        var timelines: [Chart] = []
        for (_, trials) in byLevel {
            guard let trial = trials.first(where: { !$0.samples.isEmpty }) else { continue }
            var panels: [PointSeries] = []
            for panel in Self.timelinePanels {
                let points = panel.metric.series(trial.samples).map {
                    ChartPoint(x: ($0.time - trial.started).seconds, y: $0.value * panel.scale)
                }
                if points.contains(where: { $0.y != 0 }) || panel.metric == .processRSS {
                    panels.append(PointSeries(name: panel.metric.label, unit: panel.unit, points: points))
                }
            }
            guard !panels.isEmpty else { continue }
            let markers = PointSeries(
                name: "request E2E", unit: "ms", points: trial.requestStarts.map { ChartPoint(x: $0.0, y: $0.1) })
            timelines.append(
                .timeline(
                    TimelineChart(
                        title: "\(trial.label), repetition \(trial.repetition)", panels: panels,
                        requestMarkers: markers)))
        }
        if !timelines.isEmpty {
            charts.append(
                ReportChart(
                    .grid(SmallMultiples(title: "Timelines by level", panels: timelines, columns: 2)),
                    caption:
                        "Probe samples of the engine process, its cgroup and the system, one trial per level; "
                        + "markers are requests (send time, E2E)."))
        }
        // Degradation curve when one numeric variable is swept.
        let numeric = byLevel.compactMap { entry -> DegradationChart.Level? in
            guard entry.value[0].settings.count == 1, let x = Double(entry.value[0].settings[0].value) else {
                return nil
            }
            let p99s = entry.value.filter(\.succeeded).compactMap { Statistics.percentile($0.ttft, 99) }
            guard let mean = Statistics.mean(p99s) else { return nil }
            return DegradationChart.Level(
                label: entry.value[0].label, x: x, y: mean, lower: p99s.min(), upper: p99s.max())
        }
        if numeric.count >= 2, let variable = byLevel.first?.value[0].settings.first?.variable {
            charts.append(
                ReportChart(
                    .degradation(
                        DegradationChart(
                            title: "TTFT p99 against \(variable)", xLabel: variable, yLabel: "TTFT p99 (ms)",
                            levels: numeric)),
                    caption: "Mean of the repetitions' p99; bars span their minimum and maximum."))
        }
        return charts
    }

    /// The OS side of a trial's timeline: a catalogue metric each, in the panel's unit.
    static let timelinePanels: [(metric: Metric, unit: String, scale: Double)] = [
        (.processRSS, "MiB", 1 / 1_048_576), (.processMajorFaultRate, "/s", 1), (.cgroupCPUThrottledRate, "µs/s", 1),
        (.pressureCPUSomeRate, "µs/s", 1), (.pressureMemorySomeRate, "µs/s", 1), (.pressureIOSomeRate, "µs/s", 1),
        (.modelFileResidency, "%", 100), (.diskReadRate, "MB/s", 1),
    ]

    // MARK: Evidence

    /// The (before, after) level indices the evidence section judges: the experiment's declared
    /// `comparisons` (a variant name stands for each of its matrix levels, paired in order), or
    /// the first level against each other level.
    static func comparedLevels(_ spec: ExperimentSpec, present: [Int]) -> [ComparedLevels] {
        let comparisons = spec.evidence?.comparisons ?? []
        guard !comparisons.isEmpty else {
            guard let first = present.first else { return [] }
            return present.dropFirst().map { ComparedLevels(before: first, after: $0) }
        }
        let levels = spec.levels
        func matching(_ name: String) -> [Int] {
            levels.indices.filter {
                levels[$0].variant == name
                    || Trial.label(variant: levels[$0].variant, settings: levels[$0].settings) == name
            }
        }
        return comparisons.flatMap { comparison in
            zip(matching(comparison.before), matching(comparison.after)).map {
                ComparedLevels(before: $0, after: $1, mechanism: comparison.mechanism)
            }
        }
    }

    /// Two levels the evidence section compares, and the pair's own mechanism metrics if any.
    struct ComparedLevels: Equatable {
        var before: Int
        var after: Int
        var mechanism: [String]? = nil
    }

    static func verdicts(
        _ evidence: EvidenceSpec, pairs: [ComparedLevels], byLevel: [(key: Int, value: [RunData.TrialRow])]
    ) -> [Verdict] {
        let trials = Dictionary(byLevel.map { ($0.key, $0.value.filter(\.succeeded)) }, uniquingKeysWith: +)
        var verdicts: [Verdict] = []
        for pair in pairs {
            guard let baseline = trials[pair.before], let treated = trials[pair.after], !baseline.isEmpty,
                !treated.isEmpty
            else { continue }
            for app in evidence.app {
                guard let (metric, statistic) = MetricCatalog.appMetric(app) else { continue }
                // A distribution pools its values over the repetitions; a per-trial figure has one
                // value per repetition, compared by its mean.
                let before =
                    statistic == nil ? baseline.compactMap { $0.value(metric) } : baseline.flatMap { $0.values(metric) }
                let after =
                    statistic == nil ? treated.compactMap { $0.value(metric) } : treated.flatMap { $0.values(metric) }
                // Named as the catalogue labels it: "TTFT p99 (none → cpu_quota=0.5)".
                let shown = metric.label + (statistic.map { " \($0.rawValue)" } ?? "")
                let samples = AppMetricSamples(
                    name: "\(shown) (\(baseline[0].label) → \(treated[0].label))", unit: metric.unit,
                    statistic: statistic ?? .mean, before: before, after: after)
                guard let mechanismName = (pair.mechanism ?? evidence.mechanism).first,
                    let mechanism = change(mechanismName, baseline, treated)
                else { continue }
                let controls = evidence.control.compactMap { change($0, baseline, treated) }
                var verdict = EvidenceCheck.evaluate(app: samples, mechanism: mechanism, controls: controls)
                // A level whose own setting was not in force measured something else.
                let missing = Set(
                    (baseline + treated).flatMap { trial in
                        trial.notApplied.keys.filter { name in trial.settings.contains { $0.variable == name } }
                    }
                ).sorted()
                if !missing.isEmpty {
                    verdict.outcome = .inconclusive
                    verdict.text =
                        "\(missing.joined(separator: ", ")) not applied (see the controls table): " + verdict.text
                }
                verdicts.append(verdict)
            }
        }
        return verdicts
    }

    /// The change of an OS metric from one level's trials to another's, each trial's value as the
    /// catalogue aggregates it (a stall counter as its share of the trial's time: trials differ in
    /// length), in the metric's unit, with the metric's floor below which a control explains nothing.
    static func change(_ name: String, _ before: [RunData.TrialRow], _ after: [RunData.TrialRow]) -> MetricChange? {
        guard let metric = MetricCatalog.osMetric(name),
            let meanBefore = Statistics.mean(before.compactMap { $0.value(metric) }),
            let meanAfter = Statistics.mean(after.compactMap { $0.value(metric) })
        else { return nil }
        let shareOfTime = metric.aggregate == .shareOfTime
        return MetricChange(
            name: name + (shareOfTime ? " (share of time)" : ""), unit: shareOfTime ? .percent : metric.unit,
            before: meanBefore, after: meanAfter, negligibleBelow: metric.negligibleBelow)
    }

    // MARK: Bounded-realtime criteria

    static func criteria(_ data: RunData, byLevel: [(key: Int, value: [RunData.TrialRow])]) -> [CriterionResult] {
        let baseline = byLevel.first?.value.filter(\.succeeded) ?? []
        var loads: [Double] = []
        var latencies: [Double] = []
        var bySampler: [String: [Double]] = [:]
        for (index, (_, trials)) in byLevel.enumerated() {
            let ok = trials.filter(\.succeeded)
            let first = trials[0]
            let p99s = ok.compactMap { Statistics.percentile($0.itl, 99) }
            // The baseline (the first level) is the contention sweep's 0 % and the sampler sweep's
            // greedy point: the sweeps' variants change only that one setting from it.
            let load = first.setting("background_load") ?? (index == 0 ? "0" : nil)
            if let load = load.flatMap(Double.init), let mean = Statistics.mean(p99s) {
                loads.append(load)
                latencies.append(mean)
            }
            if let sampler = first.setting("sampler") ?? (index == 0 ? "greedy" : nil) {
                bySampler[sampler, default: []] += p99s
            }
        }
        let input = BoundedRealtimeInput(
            p99PerRepetition: baseline.compactMap { Statistics.percentile($0.itl, 99) },
            peakRSSPerRepetition: baseline.compactMap { $0.value(.processRSS) },
            degradationLoad: loads, degradationLatency: latencies, p99PerRepetitionBySampler: bySampler,
            provenance: criteriaProvenance(data))
        return BoundedRealtimeCriteria().evaluate(input)
    }

    /// The run's provenance under the criteria's names: the llama.cpp build, the model digests,
    /// the resolved experiment and the start and end times (kept in the experiment row).
    static func criteriaProvenance(_ data: RunData) -> [String: String] {
        var provenance = data.provenance
        if provenance["llama_cpp_commit"] == nil { provenance["llama_cpp_commit"] = provenance["llama_cpp"] }
        if provenance["model_sha256"] == nil {
            let digests = provenance.keys.filter { $0.hasPrefix("model_sha256") }.sorted().compactMap { provenance[$0] }
            if !digests.isEmpty { provenance["model_sha256"] = digests.joined(separator: "; ") }
        }
        if provenance["experiment"] == nil { provenance["experiment"] = data.specJSON }
        if provenance["start_time"] == nil { provenance["start_time"] = data.startedAt }
        if provenance["end_time"] == nil { provenance["end_time"] = data.finishedAt }
        return provenance
    }

    // MARK: The OS side per level

    /// The probe's view of each level next to its latencies: memory, faults, scheduling, CPU,
    /// throttling, pressure, disk and the model file's residency (successful trials; a column
    /// appears when some level has it).
    static func systemTable(byLevel: [(key: Int, value: [RunData.TrialRow])]) -> ReportTable? {
        typealias Column = (name: String, value: ([RunData.TrialRow]) -> Double?)
        /// A catalogue metric's trial values over a level: their mean (peaks and lows: their extreme),
        /// scaled to the column's unit.
        func column(_ title: String, _ metric: Metric, scale: Double = 1) -> Column {
            (
                title,
                { trials in
                    let values = trials.compactMap { $0.value(metric) }
                    let combined =
                        switch metric.aggregate {
                        case .max: values.max()
                        case .min: values.min()
                        default: Statistics.mean(values)
                        }
                    return combined.map { $0 * scale }
                }
            )
        }
        let columns: [Column] = [
            column("peak RSS (MiB)", .processRSS, scale: 1 / 1_048_576),
            column("major faults", .processMajorFaults),
            column("minor faults", .processMinorFaults),
            column("ctx switches/s", .processContextSwitchRate),
            column("CPU cores", .processCPUCores),
            column("run-queue wait (ms/s)", .processRunqueueWaitRate),
            column("other programs' CPU (cores)", .otherCPUCores),
            column("CPU throttled (s)", .cgroupCPUThrottled, scale: 1e-6),
            column("PSI cpu some (% of time)", .pressureCPUSome),
            column("PSI memory some (% of time)", .pressureMemorySome),
            column("disk read (MB/s)", .diskReadRate),
            column("model resident (min %)", .modelFileResidency, scale: 100),
        ]
        let levels = byLevel.map { (label: $0.value[0].label, ok: $0.value.filter(\.succeeded)) }
        var shown: [(name: String, cells: [Double?])] = []
        for column in columns {
            let cells = levels.map { column.value($0.ok) }
            if cells.contains(where: { $0 != nil }) { shown.append((column.name, cells)) }
        }
        guard !shown.isEmpty else { return nil }
        let rows = levels.indices.map { index in
            [levels[index].label] + shown.map { column in column.cells[index].map(MetricUnit.number) ?? "–" }
        }
        return ReportTable(
            id: "system", title: "The OS side per level",
            note:
                "From the probe's samples of the engine process, its cgroup and the system during each trial "
                + "(warm-up included), successful trials only: means over repetitions (peak RSS and residency: "
                + "extremes). Faults are counted over the trial; rates are means over its samples.",
            columns: ["level"] + shown.map(\.name), rows: rows)
    }

    // MARK: Findings

    /// For runs that sweep the scheduler (quickstart, batching): per workload (the other
    /// settings), which scheduler gave the lowest TTFT p50, the lowest ITL p99 and the most
    /// tokens/s, each with the figures of the others.
    static func schedulerFindings(_ levels: [LevelSummary]) -> [String] {
        func scheduler(_ level: LevelSummary) -> String? { level.settings.first { $0.key == "scheduler" }?.value }
        func workload(_ level: LevelSummary) -> String {
            let rest = level.settings.filter { $0.key != "scheduler" }.map { "\($0.key)=\($0.value)" }
            return rest.isEmpty ? "the workload" : rest.joined(separator: " ")
        }
        var order: [String] = []
        var groups: [String: [LevelSummary]] = [:]
        for level in levels where scheduler(level) != nil {
            let key = workload(level)
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(level)
        }
        return order.compactMap { key -> String? in
            let group = groups[key] ?? []
            guard Set(group.compactMap(scheduler)).count >= 2 else { return nil }
            func best(_ name: String, _ unit: String, lowest: Bool, _ value: (LevelSummary) -> Double?) -> String? {
                let measured = group.compactMap { level in value(level).map { (scheduler(level) ?? "?", $0) } }
                guard let top = lowest ? measured.min(by: { $0.1 < $1.1 }) : measured.max(by: { $0.1 < $1.1 })
                else { return nil }
                let others = measured.filter { $0.0 != top.0 }.map { "\($0.0) \(MetricUnit.number($0.1))" }
                return "\(top.0) the \(lowest ? "lowest" : "highest") \(name) (\(MetricUnit.number(top.1))\(unit); "
                    + others.joined(separator: ", ") + ")"
            }
            let parts = [
                best("TTFT p50", " ms", lowest: true) { $0.ttft?.p50 },
                best("ITL p99", " ms", lowest: true) { $0.itl?.p99 },
                best("throughput", " tok/s", lowest: false) { $0.tokensPerSecond },
            ].compactMap { $0 }
            return parts.isEmpty ? nil : "Schedulers at \(key): " + parts.joined(separator: "; ") + "."
        }
    }

    static func findings(_ data: RunData, levels: [LevelSummary]) -> [String] {
        var findings: [String] = []
        let done = data.trials.filter(\.succeeded).count
        findings.append("\(done) of \(data.trials.count) trials finished; run status: \(data.status.rawValue).")
        if let best = levels.filter({ $0.tokensPerSecond != nil }).max(by: { $0.tokensPerSecond! < $1.tokensPerSecond! }
        ),
            let worst = levels.filter({ $0.tokensPerSecond != nil }).min(by: {
                $0.tokensPerSecond! < $1.tokensPerSecond!
            }),
            best.label != worst.label
        {
            findings.append(
                String(
                    format: "Highest throughput: %@ (%.1f tok/s); lowest: %@ (%.1f tok/s).", best.label,
                    best.tokensPerSecond!,
                    worst.label, worst.tokensPerSecond!))
        }
        findings += schedulerFindings(levels)
        for event in data.events where event.kind == .oomKill {
            findings.append("Trial \(event.trialIndex.map(String.init) ?? "-"): \(event.detail).")
        }
        return findings
    }
}
