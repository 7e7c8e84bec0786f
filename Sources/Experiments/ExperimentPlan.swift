public import ExperimentFile
public import Foundation
import LoadGen

/// What `inferlab run FILE --plan` prints before anything starts: every trial in run order with
/// its resolved configuration (the knobs of its engine, workload and constraints blocks after
/// the matrix and variant settings) and an estimated wall time.
///
/// The estimate is a rough model of this kind of machine (two cores, the default model), from
/// rates measured here (NOTES.md): prompts at about 220 tokens/s whatever the concurrency
/// (prefill is compute-bound), decode at about 80 tokens/s for one stream and about
/// 80 x n^0.4 tokens/s for n streams batched, a CPU quota slowing both by threads / quota. It
/// orders plans and catches a 2-hour matrix before it starts; it is not a measurement.
public struct ExperimentPlan: Sendable {
    public struct Entry: Sendable {
        public var trial: Trial
        /// `key=value` of each block, in the block's order.
        public var engine: [(key: String, text: String)]
        public var workload: [(key: String, text: String)]
        public var constraints: [(key: String, text: String)]
        public var estimatedSeconds: Double
    }

    public var spec: ExperimentSpec
    public var entries: [Entry]

    public var estimatedSeconds: Double { entries.reduce(0) { $0 + $1.estimatedSeconds } }

    /// Prompt tokens per second, decode tokens per second of one stream, and the seconds an
    /// engine takes to load and answer /health: the rates the estimate uses.
    static let prefillTokensPerSecond = 220.0
    static let decodeTokensPerSecond = 80.0
    static let startupSeconds = 3.0

    /// The plan of `spec`; `repositoryRoot` resolves the corpus for its prompt lengths.
    public static func make(_ spec: ExperimentSpec, repositoryRoot: URL) throws -> ExperimentPlan {
        var corpora: [String: Corpus] = [:]
        var entries: [Entry] = []
        for trial in spec.trials() {
            let config = trial.config
            var corpus: Corpus?
            if let file = config.workload.corpusPath {
                let path = file.hasPrefix("/") ? file : repositoryRoot.appendingPathComponent(file).path
                if corpora[path] == nil { corpora[path] = try? Corpus.load(path: path) }
                corpus = corpora[path]
            } else {
                corpus = BenchRunner.builtInCorpus()
            }
            let prompts = (corpus?.entries ?? []).filter {
                config.workload.promptClass == .mixed || $0.class == config.workload.promptClass.rawValue
            }
            entries.append(
                Entry(
                    trial: trial, engine: try Self.knobs(config.engine, .engine),
                    workload: try Self.knobs(config.workload, .workload),
                    constraints: try Self.knobs(config.constraints, .constraints),
                    estimatedSeconds: estimate(config, prompts: prompts)))
        }
        return ExperimentPlan(spec: spec, entries: entries)
    }

    /// A block's knobs a file may set (the runner's own, such as the port, left out), and `kind`.
    static func knobs(_ block: some Encodable, _ section: SpecSection) throws -> [(key: String, text: String)] {
        let shown = Set(section.keys + ["kind"])
        return try FlatKnobs.of(block).filter { shown.contains($0.key) }
    }

    static func meanPromptTokens(_ entries: [CorpusEntry]) -> Double {
        let counts = entries.compactMap(\.promptTokens)
        // Without counts, a prompt is about 4 characters per token.
        guard !counts.isEmpty else {
            let characters = entries.compactMap { $0.prompt?.count }
            return characters.isEmpty ? 200 : Double(characters.reduce(0, +)) / Double(characters.count) / 4
        }
        return Double(counts.reduce(0, +)) / Double(counts.count)
    }

    /// Seconds one trial takes by the model above.
    static func estimate(_ config: TrialConfig, prompts: [CorpusEntry]) -> Double {
        let workload = config.workload
        let engine = config.engine.effectiveServer.engine
        let streams = Double(max(1, min(workload.concurrency, engine.scheduler.concurrency)))
        var slowdown = 1.0
        if let quota = config.constraints.cpuQuota {
            slowdown *= max(1, Double(engine.context.threads) / quota)
        }
        slowdown *= 1 + config.constraints.backgroundLoad / 100
        // Machine-seconds per request: its prompt alone (prefill is serial), its tokens at the
        // batched decode rate of `streams` streams.
        let outputTokens =
            workload.outputTokens?.mean ?? workload.maxTokens.map(Double.init)
            ?? (prompts.isEmpty
                ? 128 : Double(prompts.reduce(0) { $0 + ($1.maxTokens ?? 128) }) / Double(prompts.count))
        var promptTokens = workload.inputTokens?.mean ?? meanPromptTokens(prompts)
        promptTokens += Double(workload.sharedPrefixTokens)
        var think = 0.0
        if workload.runsSessions {
            // Turn k carries k earlier exchanges: on average (T-1)/2 of them.
            let turns = Double(workload.turns)
            promptTokens += (turns - 1) / 2 * (promptTokens + outputTokens)
            think = workload.thinkTimeSeconds * (turns - 1) / turns / Double(max(1, workload.sessions ?? 1))
        }
        let perRequest =
            promptTokens / prefillTokensPerSecond + outputTokens / (decodeTokensPerSecond * pow(streams, 0.4))
            + think
        let warmup = Double(workload.warmupRequests) * perRequest + workload.warmupSeconds
        let requests = Double(workload.effectiveRequests ?? BenchConfiguration.defaultRequests)
        var measured: Double = workload.durationSeconds ?? requests * perRequest
        if workload.scenario == .maxRate {
            measured = Double(workload.maxRateSteps) * (workload.durationSeconds ?? 30)
        } else if workload.scenario == .sweep {
            measured *= Double(max(1, workload.sweep.count))
        }
        // Pinning most of the machine's memory (lock_memory, model_out): 16-48 s measured for 23 GiB.
        let pinning: Double = config.constraints.modelOut != nil || config.constraints.lockMemory != nil ? 35 : 0
        return startupSeconds + pinning + (warmup + measured) * slowdown
    }

    /// The plan as text: a summary line, then each trial with its estimate and configuration.
    public func text() -> String {
        let shape = "\(spec.levels.count) level(s) x \(spec.repetitions) repetition(s) = \(entries.count) trial(s)"
        let rates =
            "prefill ~\(Int(Self.prefillTokensPerSecond)) tok/s, decode ~\(Int(Self.decodeTokensPerSecond)) tok/s per stream"
        var lines = [
            "experiment \(spec.name): \(shape), estimated \(Self.duration(estimatedSeconds)) (rough: \(rates) on this kind of machine)"
        ]
        for entry in entries {
            let trial = entry.trial
            lines.append(
                "trial \(trial.index + 1)/\(entries.count): level \(trial.level) repetition \(trial.repetition): "
                    + "\(trial.label), estimated \(Self.duration(entry.estimatedSeconds))")
            for (name, knobs) in [
                ("engine", entry.engine), ("workload", entry.workload), ("constraints", entry.constraints),
            ] {
                let text = knobs.map { "\($0.key)=\($0.text)" }.joined(separator: " ")
                lines.append("  \(name): \(text.isEmpty ? "none" : text)")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// `45 s`, `12.5 min`, `2.1 h`.
    static func duration(_ seconds: Double) -> String {
        if seconds < 120 { return "\(Int(seconds.rounded())) s" }
        if seconds < 7200 { return String(format: "%.1f min", seconds / 60) }
        return String(format: "%.1f h", seconds / 3600)
    }
}
