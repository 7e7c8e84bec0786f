import Analysis
import ExperimentFile
import Foundation
import InferLabCore
import MetricCatalog
import Reporting

/// One study's report: methodology, each question answered in a sentence with its numbers and
/// their confidence, recommendations, limitations, reproducibility, then each recipe's results
/// (its level table, tables and charts, as its own report has them).
enum StudyReport {
    /// A recipe's run as the report reads it.
    struct RecipeRun {
        var recipe: StudyRecipe
        var data: RunData
        var model: ReportModel
        var levels: [LevelView]
    }

    /// One level of a run: its successful trials and the figures the answers quote.
    struct LevelView {
        var label: String
        /// The variant's name (the label's first word), or the label.
        var name: String
        var ok: [RunData.TrialRow]
        var attempted: Int

        var itlP99s: [Double] { ok.compactMap { Statistics.percentile($0.itl, 99) } }
        var p99: Double? { Statistics.median(itlP99s) }
        var cv: ConfidenceInterval? { CVInterval.of(itlP99s) }
        var rssMiB: Double? { ok.compactMap { $0.value(.processRSS) }.max().map { $0 / 1_048_576 } }
        var tokensPerSecond: Double? { Statistics.mean(ok.compactMap(\.tokensPerSecond)) }
        var itl: [Double] { ok.flatMap(\.itl) }
        var ttft: [Double] { ok.flatMap(\.ttft) }
        var ttftP99: Double? { Statistics.percentile(ttft, 99) }
        var firstTTFTs: [Double] { ok.compactMap(\.ttft.first) }
    }

    static func levels(_ data: RunData) -> [LevelView] {
        Dictionary(grouping: data.trials, by: \.level).sorted { $0.key < $1.key }.map { _, trials in
            let label = trials[0].label
            return LevelView(
                label: label, name: String(label.split(separator: " ").first ?? Substring(label)),
                ok: trials.filter(\.succeeded), attempted: trials.count)
        }
    }

    static func model(
        _ study: Study, root: URL, recipes: [StudyRecipe], wallSeconds: [String: Double], pricePerHour: Double?,
        sloMilliseconds: Double?
    ) throws -> ReportModel {
        var runs: [RecipeRun] = []
        for recipe in recipes where recipe.hasStarted {
            let path = recipe.directory.appendingPathComponent("results.sqlite").path
            let data = try RunData.load(path)
            let model = try RunReport.model(directory: recipe.directory, data: data, pricePerHour: pricePerHour)
            runs.append(RecipeRun(recipe: recipe, data: data, model: model, levels: levels(data)))
        }
        guard let first = runs.first else {
            throw RunError("no recipe of \(study.rawValue) has run yet; run inferlab study \(study.rawValue)")
        }
        var answers: [Answer] = []
        var tables: [ReportTable] = []
        var charts: [ReportChart] = []
        var criteria: [CriterionResult] = []
        var recommendations: [String] = []
        switch study {
        case .boundedRealtime:
            let part = boundedRealtime(first, slo: sloMilliseconds)
            (answers, tables, charts, recommendations) = (part.answers, part.tables, part.charts, part.recommendations)
            criteria = first.model.criteria
        case .serverProfile:
            let part = serverProfile(runs)
            (answers, tables, charts, recommendations) = (part.answers, part.tables, part.charts, part.recommendations)
        case .batching:
            let part = batching(first)
            (answers, tables, charts, recommendations) = (part.answers, part.tables, part.charts, part.recommendations)
        case .paging:
            let part = paging(first)
            (answers, tables, charts, recommendations) = (part.answers, part.tables, part.charts, part.recommendations)
        }
        var report = ReportModel(
            title: "InferLab study: \(study.title)",
            description: "Study \(study.rawValue): "
                + runs.map { "\($0.recipe.name) (\($0.data.trials.count) trials)" }.joined(separator: ", ")
                + ". Wall time "
                + runs.map { run in "\(run.recipe.name) " + (wallSeconds[run.recipe.name].map(minutes) ?? "unknown") }
                .joined(separator: ", ")
                + (runs.count > 1
                    ? String(
                        format: " (%@ in all).", minutes(runs.compactMap { wallSeconds[$0.recipe.name] }.reduce(0, +)))
                    : "."),
            generatedAt: ISO8601DateFormatter().string(from: Date()),
            experiment: runs.map { "# \($0.recipe.name).yaml\n" + $0.data.specYAML }.joined(separator: "\n"),
            provenance: methodology(runs, wallSeconds: wallSeconds, root: root), criteria: criteria,
            findings: [])
        report.tables.append(
            ReportTable(
                id: "questions", title: "The study's questions, answered",
                note: "Each answer quotes its numbers; the confidence says how many repetitions stand behind it "
                    + "and, where there is one, the 95 % interval.",
                columns: ["question", "answer", "confidence"],
                rows: answers.map { [$0.question, $0.answer, $0.confidence] }))
        report.tables.append(
            ReportTable(
                id: "recommendations", title: "Recommendations", columns: ["recommendation"],
                rows: recommendations.map { [$0] }))
        report.tables += tables
        report.tables.append(limitations(study, runs))
        report.tables.append(reproducibility(study, runs, root: root))
        report.charts = charts
        for run in runs {
            report.tables.append(levelTable(run, pricePerHour: pricePerHour))
            report.tables += run.model.tables.map { table in
                var table = table
                table.id = "\(run.recipe.name)-\(table.id)"
                table.title = "\(run.recipe.name): \(table.title)"
                return table
            }
            report.charts += run.model.charts.map { chart in
                // A file chart (a flame graph) lives in the recipe's directory.
                guard case .file(var file) = chart.chart else { return chart }
                file.path = "\(run.recipe.name)/\(file.path)"
                return ReportChart(.file(file), caption: chart.caption)
            }
            report.failures += run.model.failures.map {
                var failure = $0
                failure.level = "\(run.recipe.name): \(failure.level)"
                return failure
            }
            report.verdicts += run.model.verdicts
        }
        return report
    }

    struct Answer {
        var question: String
        var answer: String
        var confidence: String
    }

    struct Part {
        var answers: [Answer] = []
        var tables: [ReportTable] = []
        var charts: [ReportChart] = []
        var recommendations: [String] = []
    }

    // MARK: - Shared pieces

    static func cell(_ value: Double?) -> String { value.map(MetricUnit.number) ?? "–" }
    static func minutes(_ seconds: Double) -> String { String(format: "%.1f min", seconds / 60) }
    static func ms(_ value: Double?) -> String { value.map { MetricUnit.number($0) + " ms" } ?? "–" }
    static func percent(_ value: Double?) -> String { value.map { String(format: "%.1f %%", 100 * $0) } ?? "–" }
    static func interval(_ cv: ConfidenceInterval?) -> String {
        guard let cv else { return "–" }
        return String(format: "%.1f %% [%.1f, %.1f]", 100 * cv.estimate, 100 * cv.lower, 100 * cv.upper)
    }

    static func repetitions(_ level: LevelView) -> String {
        "\(level.ok.count) repetition\(level.ok.count == 1 ? "" : "s")"
            + (level.ok.count < level.attempted ? " (\(level.attempted - level.ok.count) failed)" : "")
    }

    /// Machine, provenance, what was held fixed, the recipes and their wall time.
    static func methodology(_ runs: [RecipeRun], wallSeconds: [String: Double], root: URL) -> [KeyValue] {
        let provenance = runs[0].data.provenance
        var values: [KeyValue] = [
            KeyValue(
                "machine",
                "\(provenance["cpu_model"] ?? "unknown CPU"), \(provenance["cpus_online"] ?? "?") CPUs online, kernel "
                    + "\(provenance["kernel"] ?? "?"), cgroup \(provenance["cgroup_version"] ?? "?"), "
                    + String(format: "%.0f GiB", Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824)),
            KeyValue("llama.cpp", provenance["llama_cpp"] ?? "unknown"),
            KeyValue(
                "InferLab",
                "\(InferLabVersion.current), commit \(provenance["inferlab_commit"] ?? "?") "
                    + "(\(provenance["inferlab_worktree"] ?? "?"))"),
        ]
        for key in provenance.keys.sorted() where key.hasPrefix("model_sha256") {
            values.append(KeyValue(key, provenance[key] ?? ""))
        }
        for run in runs {
            guard let spec = try? ExperimentSpec.parse(yaml: run.data.specYAML) else { continue }
            let engine = (try? FlatKnobs.table(spec.engine)) ?? [:]
            let workload = (try? FlatKnobs.table(spec.workload)) ?? [:]
            let engineKeys = ["kind", "model", "quantization", "threads", "ctx", "load_mode", "scheduler", "max_seqs"]
            let workloadKeys = [
                "api", "scenario", "concurrency", "prompt_class", "requests", "duration_s", "warmup", "max_tokens",
                "ignore_eos", "sampler", "seed",
            ]
            let fixed =
                engineKeys.compactMap { key in engine[key].map { "\(key)=\($0)" } }
                + workloadKeys.compactMap { key in workload[key].map { "\(key)=\($0)" } }
            values.append(
                KeyValue(
                    "\(run.recipe.name): held fixed",
                    fixed.joined(separator: " ") + "; probe every \(spec.probe.intervalMs) ms"
                        + (spec.system.map { "; system profile \($0.profile)" } ?? "")
                        + "; \(spec.levels.count) levels x \(spec.repetitions) repetitions"
                        + (spec.precision.map {
                            String(
                                format: " (up to %d until each CV interval is under %.0f points)", $0.maxRepetitions,
                                100 * $0.width)
                        } ?? "") + ", interleaved"))
            values.append(
                KeyValue(
                    "\(run.recipe.name): run",
                    "\(run.data.startedAt) to \(run.data.finishedAt ?? "not finished"), status \(run.data.status.rawValue), "
                        + "wall time \(wallSeconds[run.recipe.name].map(minutes) ?? "unknown"); estimate "
                        + {
                            let (low, high) = run.recipe.estimate(root: root)
                            return low == high ? minutes(low) : "\(minutes(low)) to \(minutes(high))"
                        }()))
        }
        return values
    }

    /// What could not be measured here, and why.
    static func limitations(_ study: Study, _ runs: [RecipeRun]) -> ReportTable {
        var rows: [[String]] = []
        if !FileManager.default.fileExists(atPath: "/sys/devices/system/cpu/cpu0/cpufreq") {
            rows.append([
                "CPU frequency",
                "No cpufreq on this VM: the governor and boost cannot be set or read, so frequency changes "
                    + "by the host are part of the noise and cannot be excluded.",
            ])
        }
        let cpus = runs.first?.data.provenance["cpus_online"] ?? "\(ProcessInfo.processInfo.activeProcessorCount)"
        rows.append([
            "cores",
            "\(cpus) CPUs: the engine's threads, the load generator, the probe and any background load share them; "
                + "pinning has one alternative placement, and contention cannot be kept off the engine's cores.",
        ])
        rows.append([
            "models",
            "Only smollm2-135m (Q4_1, 94 MB) and the synthetic MoE (random weights) are on this machine (no internet "
                + "but Debian and PyPI); Q8_0, Q5_K_M, Q4_K_M and Q4_0 are requantized from Q4_1, so their quality and "
                + "their speed are those of a requantized file, not of a quantization from full precision.",
        ])
        for run in runs {
            for level in run.levels where level.ok.isEmpty && level.attempted > 0 {
                let reason = run.data.trials.first { $0.label == level.label }?.failure ?? "failed"
                rows.append(["\(run.recipe.name): \(level.label)", "not measured: \(reason)"])
            }
            var notApplied: [String: String] = [:]
            for trial in run.data.trials { notApplied.merge(trial.notApplied) { first, _ in first } }
            for (name, reason) in notApplied.sorted(by: { $0.key < $1.key }) {
                rows.append(["\(run.recipe.name): \(name)", "not applied in some trials: \(reason)"])
            }
        }
        rows.append([
            "noise",
            "The VM's speed moves by about ±20 % between repetitions of the same configuration (NOTES.md): levels are "
                + "interleaved, medians quoted, and every CV has its interval; a difference inside the intervals is "
                + "not a finding.",
        ])
        if study == .paging {
            rows.append([
                "disk",
                "The disk is a virtual one: its measured ceiling, not a device's datasheet, bounds the read rate.",
            ])
        }
        return ReportTable(id: "limitations", title: "Limitations", columns: ["what", "why"], rows: rows)
    }

    /// The commands that made this report, and the raw data bundle.
    static func reproducibility(_ study: Study, _ runs: [RecipeRun], root: URL) -> ReportTable {
        var rows: [[String]] = [
            ["the whole study", "inferlab study \(study.rawValue)   (or make study for all four)"],
            ["this report again", "inferlab study \(study.rawValue) --report-only"],
        ]
        for run in runs {
            let relative = run.recipe.directory.path.replacingOccurrences(of: root.path + "/", with: "")
            rows.append([
                run.recipe.name,
                "inferlab run experiments/\(run.recipe.name).yaml --out \(relative) (--resume continues it)",
            ])
            rows.append([
                "\(run.recipe.name): raw data",
                "data/\(run.recipe.name)/*.parquet (every table: inferlab export \(relative) --format parquet), "
                    + "\(relative)/results.sqlite",
            ])
        }
        return ReportTable(
            id: "reproducibility", title: "Reproducibility", columns: ["what", "command or file"], rows: rows)
    }

    /// A recipe's levels as a table (the run report's "Results per level").
    static func levelTable(_ run: RecipeRun, pricePerHour: Double?) -> ReportTable {
        let priced = run.model.levels.contains { $0.dollarsPerMillionTokens != nil }
        let rows = run.model.levels.map { level -> [String] in
            var row = [
                level.label, "\(level.trials - level.failedTrials) of \(level.trials)", cell(level.ttft?.p50),
                cell(level.ttft?.p95), cell(level.ttft?.p99), cell(level.itl?.p95),
                cell(level.itl?.p99), cell(level.e2e?.p99), cell(level.tokensPerSecond),
            ]
            if priced { row.append(level.dollarsPerMillionTokens.map { String(format: "%.3f", $0) } ?? "–") }
            return row
        }
        return ReportTable(
            id: "\(run.recipe.name)-levels", title: "\(run.recipe.name): results per level (ms)",
            columns: [
                "level", "trials ok", "TTFT p50", "TTFT p95", "TTFT p99", "ITL p95", "ITL p99", "E2E p99", "tokens/s",
            ]
                + (priced ? ["$ per M tokens"] : []),
            rows: rows)
    }
}
