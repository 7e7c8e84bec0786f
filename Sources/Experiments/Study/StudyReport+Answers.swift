import Analysis
import Foundation
import InferLabCore
import MetricCatalog
import Reporting

extension StudyReport {
    static func named(_ levels: [LevelView], _ name: String) -> LevelView? {
        levels.first { $0.name == name && !$0.ok.isEmpty }
    }

    /// Whether two CV intervals are apart: `lower` if b's is wholly below a's.
    static func cvVerdict(_ before: ConfidenceInterval?, _ after: ConfidenceInterval?) -> String {
        guard let before, let after else { return "not enough repetitions" }
        if after.upper < before.lower { return "lower CV (the intervals are apart)" }
        if after.lower > before.upper { return "higher CV (the intervals are apart)" }
        return "no change detectable (the intervals overlap)"
    }

    // MARK: - Bounded real-time

    static func boundedRealtime(_ run: RecipeRun, slo: Double?) -> Part {
        var part = Part()
        let levels = run.levels
        guard let baseline = named(levels, "baseline") ?? levels.first(where: { !$0.ok.isEmpty }) else { return part }
        let baselineP99 = baseline.p99 ?? 0
        let max = baseline.itl.max()
        part.answers.append(
            Answer(
                question: "1. How long does a token take alone on this machine, and how tightly is it bounded?",
                answer: "Isolated (system profile bounded, nothing else running), a token takes "
                    + "\(ms(Statistics.percentile(baseline.itl, 50))) at p50 and \(ms(baseline.p99)) at p99 "
                    + "(median of the repetitions' p99), \(ms(max)) at worst; the CV of the p99 across repetitions "
                    + "is \(interval(baseline.cv)).",
                confidence: repetitions(baseline) + ", 95 % interval of the CV"))

        // Phase 3: the constraints one by one, before/after on the CV.
        let constraints = ["pinned-one-cpu", "pinned-threads", "mlock", "no-mmap", "all"]
        var rows: [[String]] = []
        var reduced: [String] = []
        for name in constraints {
            guard let level = named(levels, name) else { continue }
            let verdict = cvVerdict(baseline.cv, level.cv)
            if verdict.hasPrefix("lower") { reduced.append(name) }
            rows.append([
                level.label, interval(baseline.cv), interval(level.cv), ms(baseline.p99), ms(level.p99), verdict,
                "\(level.ok.count)",
            ])
        }
        part.tables.append(
            ReportTable(
                id: "phase-3", title: "Phase 3: each constraint before and after, on the CV of per-token p99",
                note: "Before is the baseline. A constraint helps when its interval lies wholly below the baseline's; "
                    + "pinned-one-cpu puts every engine thread on CPU 0, pinned-threads gives each compute thread a CPU "
                    + "of its own, all is pinned threads, mlock and a pre-sized 512-cell context.",
                columns: ["constraint", "CV before", "CV after", "p99 before", "p99 after", "verdict", "repetitions"],
                rows: rows))
        part.answers.append(
            Answer(
                question:
                    "2. Which constraint (pinning, mlock, no-mmap, a pre-sized context) makes latency more bounded?",
                answer: reduced.isEmpty
                    ? "None detectably: every constraint's CV interval overlaps the baseline's (\(interval(baseline.cv))); "
                        + "on this machine the variance does not come from migration, paging or allocation."
                    : "\(reduced.joined(separator: ", ")) lowered the CV of per-token p99 below the baseline's interval "
                        + "(\(interval(baseline.cv))); the others' intervals overlap it.",
                confidence: "\(rows.count) before/after pairs, each at its own repetitions (table Phase 3)"))

        // Contention: degradation, and where bounded behaviour breaks down against the SLO.
        var contention: [(load: Double, level: LevelView)] = [(0, baseline)]
        for name in ["load-25", "load-50", "load-75"] {
            if let level = named(levels, name), let load = Double(name.dropFirst(5)) {
                contention.append((load, level))
            }
        }
        let sloMs = slo ?? (2 * baselineP99).rounded(.up)
        let fit = LinearFit.fit(x: contention.map(\.load), y: contention.compactMap(\.level.p99))
        // The criterion fits the repetitions' mean p99, which one stalled repetition pulls.
        let meanFit = LinearFit.fit(
            x: contention.map(\.load), y: contention.compactMap { Statistics.mean($0.level.itlP99s) })
        let broken = contention.first { entry in
            (entry.level.p99 ?? .infinity) > sloMs || (entry.level.cv?.estimate ?? 0) >= 0.15
        }
        part.tables.append(
            ReportTable(
                id: "contention", title: "Isolated against contended: per-token latency under background CPU load",
                note: String(
                    format: "The SLO: per-token p99 at most %.0f ms%@ and CV of p99 under 15 %%. Load is InferLab's "
                        + "stressor at that share of the machine's CPU, outside the engine's cgroup.", sloMs,
                    slo == nil ? " (twice the isolated p99)" : ""),
                columns: ["background load", "p50", "p99 (median)", "CV of p99", "tokens/s", "within SLO"],
                rows: contention.map { load, level in
                    [
                        String(format: "%.0f %%", load), ms(Statistics.percentile(level.itl, 50)), ms(level.p99),
                        interval(level.cv), cell(level.tokensPerSecond),
                        (level.p99 ?? .infinity) <= sloMs && (level.cv?.estimate ?? 0) < 0.15 ? "yes" : "no",
                    ]
                }))
        part.answers.append(
            Answer(
                question: "3. How does per-token latency degrade with contention, and at what load does bounded "
                    + "behaviour break down?",
                answer: (fit.map {
                    String(
                        format: "The median p99 grows by %.2f ms per point of background load (R² %.2f, %@; on the "
                            + "repetitions' mean p99, as the criterion fits it, R² %.2f). ", $0.slope, $0.rSquared,
                        $0.rSquared >= 0.9 ? "linear" : "not linear", meanFit?.rSquared ?? .nan)
                } ?? "")
                    + (broken.map {
                        String(
                            format:
                                "Bounded behaviour breaks down at %.0f %% load: p99 %@ against the %.0f ms SLO, CV %@.",
                            $0.load, ms($0.level.p99), sloMs, interval($0.level.cv))
                    } ?? String(format: "It holds up to 75 %% load: every level's p99 is within %.0f ms.", sloMs)),
                confidence: contention.map { "\(Int($0.load)) %: \($0.level.ok.count) reps" }.joined(separator: ", ")))

        // Samplers.
        var samplerRows: [[String]] = []
        var cvs: [Double] = []
        var outliers = 0
        var repetitionsSeen = 0
        for (name, label) in [
            ("baseline", "greedy"), ("temperature", "temperature"), ("top-k", "top-k"), ("top-p", "top-p"),
        ] {
            guard let level = named(levels, name) else { continue }
            if let cv = level.cv?.estimate { cvs.append(cv) }
            // A repetition whose p99 is over 1.5x its level's median: one stall decides the CV.
            if let median = level.p99 { outliers += level.itlP99s.filter { $0 > 1.5 * median }.count }
            repetitionsSeen += level.itlP99s.count
            samplerRows.append([label, ms(level.p99), interval(level.cv), "\(level.ok.count)"])
        }
        let spread = (cvs.max() ?? 0) - (cvs.min() ?? 0)
        part.tables.append(
            ReportTable(
                id: "samplers", title: "Sampling strategies", columns: ["sampler", "p99", "CV of p99", "repetitions"],
                rows: samplerRows))
        part.answers.append(
            Answer(
                question: "4. Does the sampling strategy change per-token latency or its variance?",
                answer: String(
                    format:
                        "The samplers' CVs of p99 differ by at most %.1f points (%@ the 5-point criterion); p99 ranges "
                        + "from %@ to %@. %d of the %d repetitions have a p99 over 1.5x their level's median: the "
                        + "spread of the CVs is that of single stalled repetitions.", 100 * spread,
                    spread < 0.05 ? "within" : "outside",
                    ms(samplerRows.compactMap { Double($0[1].replacingOccurrences(of: " ms", with: "")) }.min()),
                    ms(samplerRows.compactMap { Double($0[1].replacingOccurrences(of: " ms", with: "")) }.max()),
                    outliers, repetitionsSeen),
                confidence: "\(samplerRows.count) samplers; the CV intervals are in the table Sampling strategies"))

        // Sweeps: size, quantization, context, threads.
        let sweepNames = levels.map(\.name).filter {
            $0.hasPrefix("q") || $0.hasPrefix("ctx-") || $0.hasPrefix("threads-") || $0.contains("270m")
                || $0 == "baseline"
        }
        let sweep = sweepNames.compactMap { named(levels, $0) }
        part.tables.append(
            ReportTable(
                id: "sweeps", title: "Model size, quantization, context length and threads",
                note: "Quantizations marked from-q4_1 are requantized from the Q4_1 file (the only weights here). "
                    + "threads-3 and threads-4 oversubscribe the two cores.",
                columns: ["level", "p50", "p99", "CV of p99", "tokens/s", "peak RSS (MiB)", "repetitions"],
                rows: sweep.map {
                    [
                        $0.label, ms(Statistics.percentile($0.itl, 50)), ms($0.p99), interval($0.cv),
                        cell($0.tokensPerSecond),
                        cell($0.rssMiB), "\($0.ok.count)",
                    ]
                }))
        let fastest = sweep.min { ($0.p99 ?? .infinity) < ($1.p99 ?? .infinity) }
        let slowest = sweep.max { ($0.p99 ?? 0) < ($1.p99 ?? 0) }
        let over = sweep.filter { $0.name == "threads-3" || $0.name == "threads-4" }
        part.answers.append(
            Answer(
                question: "5. What do quantization, context length and threads cost per token (and what happens beyond "
                    + "the cores)?",
                answer: "Lowest p99: \(fastest?.label ?? "–") (\(ms(fastest?.p99))); highest: \(slowest?.label ?? "–") "
                    + "(\(ms(slowest?.p99))). "
                    + (over.isEmpty
                        ? ""
                        : "Oversubscribed, "
                            + over.map { "\($0.label) has p99 \(ms($0.p99)) and CV \(interval($0.cv))" }.joined(
                                separator: "; ")
                            + String(format: ", against %@ at 2 threads.", ms(baseline.p99))),
                confidence: "each level at its own repetitions (table Model size, ...)"))

        // The recommendation: the most bounded configuration measured, and what it costs.
        let candidates = levels.filter {
            !$0.ok.isEmpty && ($0.cv?.estimate ?? 1) < 0.15 && !$0.name.hasPrefix("load-")
        }
        if let best = candidates.min(by: { ($0.cv?.upper ?? 9) < ($1.cv?.upper ?? 9) }) {
            var tokens: String?
            if let a = best.tokensPerSecond, let b = baseline.tokensPerSecond, b > 0 {
                tokens = String(format: "%.2fx the baseline's tokens/s", a / b)
            }
            part.recommendations.append(
                "For bounded per-token latency here run \(best.label): CV of p99 \(interval(best.cv)), p99 \(ms(best.p99)); "
                    + "it costs \(tokens ?? "unknown throughput") and peaks at \(cell(best.rssMiB)) MiB RSS "
                    + "(baseline \(cell(baseline.rssMiB)) MiB).")
        }
        if let broken {
            part.recommendations.append(
                "Keep other work below \(Int(broken.load)) % of the machine's CPU: that is where the p99 left the "
                    + "\(Int(sloMs)) ms SLO or its CV passed 15 %.")
        }
        part.charts.append(
            ReportChart(
                .degradation(
                    DegradationChart(
                        title: "Per-token p99 against background load", xLabel: "background load (%)",
                        yLabel: "per-token p99 (ms)",
                        levels: contention.compactMap { load, level in
                            level.p99.map {
                                DegradationChart.Level(
                                    label: level.label, x: load, y: $0, lower: level.itlP99s.min(),
                                    upper: level.itlP99s.max())
                            }
                        })),
                caption: "Median of the repetitions' per-token p99; bars span their minimum and maximum."))
        return part
    }

    // MARK: - Server profiling

    static func serverProfile(_ runs: [RecipeRun]) -> Part {
        var part = Part()
        let profile = runs.first { $0.recipe.name == "server-profile" }
        if let profile, let baseline = named(profile.levels, "baseline") {
            let movers = profile.levels.filter { $0.name != "baseline" && !$0.ok.isEmpty }.compactMap {
                level -> (LevelView, Double)? in
                guard let a = level.ttftP99, let b = baseline.ttftP99, b > 0 else { return nil }
                return (level, a / b)
            }.sorted { abs(log($0.1)) > abs(log($1.1)) }
            let tokens = profile.levels.filter { !$0.ok.isEmpty }.compactMap { level in
                level.tokensPerSecond.map { (level, $0) }
            }
            part.answers.append(
                Answer(
                    question: "1. Which variable moves TTFT and tokens/s most (context length, output length, "
                        + "concurrency, threads)?",
                    answer: "Against the baseline's TTFT p99 \(ms(baseline.ttftP99)): "
                        + movers.prefix(3).map { String(format: "%@ %.2fx", $0.0.label, $0.1) }.joined(separator: ", ")
                        + ". Tokens/s runs from "
                        + (tokens.min { $0.1 < $1.1 }.map { "\(cell($0.1)) (\($0.0.label))" } ?? "–") + " to "
                        + (tokens.max { $0.1 < $1.1 }.map { "\(cell($0.1)) (\($0.0.label))" } ?? "–") + ".",
                    confidence: "\(baseline.ok.count) repetitions per level; the output length is fixed (ignore_eos)"))
            if let cold = named(profile.levels, "cold-start") {
                // The warm reference: the level at the cold one's concurrency (its warm twin).
                let twin = named(profile.levels, "concurrency-1") ?? baseline
                let prompts = cold.ok.compactMap(\.firstPrompt)
                let samePrompt = Statistics.median(
                    twin.ok.flatMap { trial in prompts.flatMap { trial.ttftByPrompt[$0] ?? [] } })
                part.answers.append(
                    Answer(
                        question: "2. What does a cold start cost?",
                        answer: "The cold level's first request (model file evicted from the page cache, no warm-up) "
                            + "took \(ms(Statistics.median(cold.firstTTFTs))) to its first token, against "
                            + "\(ms(Statistics.median(twin.firstTTFTs))) for the first request of \(twin.label) (warm, after "
                            + "its warm-up, another prompt) and "
                            + (samePrompt.map { "\(ms($0)) for the same prompt in the warm level" }
                                ?? "no measured request of the same prompt in the warm level (it was its warm-up's)")
                            + " (\(ms(Statistics.percentile(twin.ttft, 50))) at its p50).",
                        confidence: "first requests: "
                            + cold.firstTTFTs.map { MetricUnit.number($0) }.joined(separator: ", ") + " ms (cold), "
                            + twin.firstTTFTs.map { MetricUnit.number($0) }.joined(separator: ", ") + " ms (warm)"))
            }
        }
        for (name, question) in [
            ("cpu-quota", "3. What does a cgroup CPU quota do to latency, and through what?"),
            ("memory-limit", "4. What does a cgroup memory limit do: where do refaults and the OOM killer start?"),
            ("mitigations", "5. Do the two mitigations (threads sized to the quota; the prefix cache) work?"),
        ] {
            guard let run = runs.first(where: { $0.recipe.name == name }) else { continue }
            let verdicts = run.model.verdicts
            // Each verdict's first clause: the app change and its mechanism (the controls are in the table).
            var answer = verdicts.prefix(6).map {
                "\($0.outcome.rawValue): " + ($0.text.components(separatedBy: "; ").first ?? $0.text) + "."
            }.joined(separator: " ")
            if name == "memory-limit" {
                let ooms = run.data.events.filter { $0.kind == .oomKill }.count
                let faults = run.levels.filter { !$0.ok.isEmpty }.map { level in
                    "\(level.label) \(cell(Statistics.mean(level.ok.compactMap { $0.value(.processMajorFaults) }))) major faults"
                }
                answer = faults.joined(separator: ", ") + "; \(ooms) OOM kill\(ooms == 1 ? "" : "s"). " + answer
            }
            part.answers.append(
                Answer(
                    question: question, answer: answer.isEmpty ? "no verdict: see the recipe's tables" : answer,
                    confidence: "\(run.data.trials.filter(\.succeeded).count) of \(run.data.trials.count) trials; "
                        + "Mann-Whitney on the pooled requests, mechanism and control as the evidence standard asks"))
            if name == "mitigations" {
                part.charts += mitigationCharts(run)
                for verdict in verdicts where verdict.outcome == .supported {
                    part.recommendations.append(
                        "Supported by the evidence: "
                            + (verdict.text.components(separatedBy: "; ").first ?? verdict.text)
                            + ".")
                }
            }
        }
        part.recommendations.append(
            "Under a CPU quota, run as many compute threads as the quota has cores: spinning threads are throttled "
                + "at llama.cpp's barriers (experiment mitigations, quota-threads-1 against quota-threads-2).")
        return part
    }

    /// Before/after CDFs of each mitigation pair.
    static func mitigationCharts(_ run: RecipeRun) -> [ReportChart] {
        let pairs = [
            ("quota-threads-2", "quota-threads-1", "threads sized to a 1-core quota"),
            ("prefix-cache-off", "prefix-cache-on", "the prefix cache"),
        ]
        return pairs.compactMap { before, after, what -> ReportChart? in
            guard let b = named(run.levels, before), let a = named(run.levels, after) else { return nil }
            return ReportChart(
                .grid(
                    SmallMultiples(
                        title: "Mitigation: \(what)",
                        panels: [("TTFT", \LevelView.ttft), ("ITL", \LevelView.itl)].map { name, values in
                            .cdf(
                                CDFChart(
                                    title: "\(name) before/after", xLabel: "\(name) (ms)",
                                    series: [
                                        ValueSeries(name: before, values: b[keyPath: values]),
                                        ValueSeries(name: after, values: a[keyPath: values]),
                                    ]))
                        }, columns: 2)),
                caption: "Before (\(before)) and after (\(after)), every request of every repetition; the mechanism is "
                    + "in the recipe's evidence verdicts.")
        }
    }

    // MARK: - Batching

    static func batching(_ run: RecipeRun) -> Part {
        var part = Part()
        let findings = run.model.findings.filter { $0.hasPrefix("Schedulers at") }
        part.answers.append(
            Answer(
                question:
                    "1. Which scheduler gives the lowest TTFT, the lowest ITL p99 and the most tokens/s, per workload?",
                answer: findings.isEmpty ? "no scheduler comparison in the run" : findings.joined(separator: " "),
                confidence: "\(run.data.trials.filter(\.succeeded).count) of \(run.data.trials.count) trials, "
                    + "\(run.recipe.spec.repetitions) repetitions per level on the frozen corpus"))
        // Winners per metric, over the workloads (the levels' settings but the scheduler).
        var groups: [String: [(scheduler: String, level: LevelView)]] = [:]
        for level in run.levels where !level.ok.isEmpty {
            let settings = level.ok[0].settings
            guard let scheduler = settings.first(where: { $0.variable == "scheduler" })?.value else { continue }
            let key = settings.filter { $0.variable != "scheduler" }.map(\.description).joined(separator: " ")
            groups[key, default: []].append((scheduler, level))
        }
        let metrics: [(name: String, lowest: Bool, value: (LevelView) -> Double?)] = [
            ("TTFT p50", true, { Statistics.percentile($0.ttft, 50) }),
            ("ITL p99", true, { Statistics.percentile($0.itl, 99) }),
            ("tokens/s", false, { $0.tokensPerSecond }),
        ]
        var perMetric: [String] = []
        for metric in metrics {
            var counts: [String: Int] = [:]
            for (_, entries) in groups {
                let measured = entries.compactMap { entry in metric.value(entry.level).map { (entry.scheduler, $0) } }
                let top = metric.lowest ? measured.min { $0.1 < $1.1 } : measured.max { $0.1 < $1.1 }
                if let top { counts[top.0, default: 0] += 1 }
            }
            let ranked = counts.sorted { $0.value == $1.value ? $0.key < $1.key : $0.value > $1.value }
            perMetric.append(
                "\(metric.name): " + ranked.map { "\($0.key) \($0.value) of \(groups.count)" }.joined(separator: ", "))
            if let best = ranked.first {
                part.recommendations.append(
                    "For the \(metric.lowest ? "lowest" : "highest") \(metric.name) here use --scheduler \(best.key) "
                        + "(best at \(best.value) of the \(groups.count) workloads).")
            }
        }
        part.answers.append(
            Answer(
                question: "2. Is there one scheduler to choose?",
                answer: "No single one: the winners per metric over the \(groups.count) workloads are "
                    + perMetric.joined(separator: "; ")
                    + ". single never puts a prompt in a decoding stream's step, so its ITL p99 is the lowest; "
                    + "batching schedulers trade that for TTFT and throughput.",
                confidence: "medians of pooled requests per level; the per-level CVs are in the variance table"))
        part.recommendations.append(
            "Each scheduler's raw requests: make bench VARIANT=single|static|dynamic|continuous writes "
                + "results/<variant>/<timestamp>.parquet for a notebook.")
        return part
    }

    // MARK: - Paging

    static func paging(_ run: RecipeRun) -> Part {
        var part = Part()
        // The paging table's rows: level, baseline, slowdown, resident, access, of disk ceiling, how it failed.
        let answerRows = run.model.tables.first { $0.id == "paging-answers" }?.rows.filter { $0.count >= 7 } ?? []
        func rows(_ mode: String) -> [[String]] { answerRows.filter { $0[0].contains("load_mode=\(mode)") } }
        let confidence =
            "one trial per level; the page-cache trace of the model file (table Paging: the study's answers)"
        if !rows("mmap").isEmpty {
            part.answers.append(
                Answer(
                    question: "1. How much slower is a token when half or all of the model is out of memory (mmap)?",
                    answer: rows("mmap").map { "\($0[0]): \($0[2]), \($0[3]) resident, \($0[6])" }.joined(
                        separator: "; ")
                        + ".", confidence: confidence))
        }
        let protected = rows("no-mmap") + rows("mlock")
        if !protected.isEmpty {
            part.answers.append(
                Answer(
                    question: "2. Do no-mmap and mlock keep the engine fast under the same pressure?",
                    answer: protected.map { "\($0[0]): \($0[2]) (\($0[6]))" }.joined(separator: "; ")
                        + ". A slowdown under 1x is a level faster than its unpressured twin: the VM's noise.",
                    confidence: confidence))
        }
        let access = rows("mmap").filter { $0[4] != "-" }
        if !access.isEmpty {
            part.answers.append(
                Answer(
                    question: "3. How are the pages read: the dense model against the mixture of experts?",
                    answer: access.map { "\($0[0]): \($0[4])" }.joined(separator: "; ") + ".", confidence: confidence))
            part.answers.append(
                Answer(
                    question: "4. How close do the page-ins come to the disk's measured ceiling?",
                    answer: access.map { "\($0[0]): \($0[5]) of the ceiling" }.joined(separator: "; ") + ".",
                    confidence: confidence))
        }
        let levels = run.levels.filter { !$0.ok.isEmpty }
        if let worst = levels.max(by: { (Statistics.median($0.itl) ?? 0) < (Statistics.median($1.itl) ?? 0) }),
            let best = levels.min(by: {
                (Statistics.median($0.itl) ?? .infinity) < (Statistics.median($1.itl) ?? .infinity)
            })
        {
            part.answers.append(
                Answer(
                    question: "5. How far apart are the fastest and the slowest level that finished?",
                    answer: "Median ITL from \(ms(Statistics.median(best.itl))) (\(best.label)) to "
                        + "\(ms(Statistics.median(worst.itl))) (\(worst.label)).",
                    confidence: "\(levels.count) levels, one trial each"))
        }
        part.recommendations.append(
            "Lock the model (load_mode mlock) when its memory can be reserved: pinned pages are never evicted; with "
                + "mmap under pressure every token re-reads the pages it needs.")
        return part
    }
}
