import InferLabCore
public import LoadGen

/// The effective configuration of one trial: the file's blocks with the trial's settings applied.
public struct TrialConfig: Sendable, Codable, Equatable {
    public var engine: EngineSpec
    /// The load the trial sends: `inferlab bench`'s own configuration (the runner sets `url` and `model`).
    public var workload: BenchConfiguration
    public var constraints: ConstraintSpec

    public init(engine: EngineSpec, workload: BenchConfiguration, constraints: ConstraintSpec) {
        self.engine = engine
        self.workload = workload
        self.constraints = constraints
    }
}

/// One run of one configuration (a level) at one repetition.
public struct Trial: Sendable, Codable, Equatable {
    /// Position in run order, from 0.
    public var index: Int
    /// Which configuration (variant x matrix combination), from 0; the same for every repetition.
    public var level: Int
    /// Which repetition, from 1.
    public var repetition: Int
    /// The variant's name, when the file has `variants:`.
    public var variant: String?
    /// The matrix (and variant) settings of this level, in file order.
    public var settings: [Setting]
    /// The configuration the runner applies.
    public var config: TrialConfig

    public init(
        index: Int, level: Int, repetition: Int, variant: String?, settings: [Setting], config: TrialConfig
    ) {
        self.index = index
        self.level = level
        self.repetition = repetition
        self.variant = variant
        self.settings = settings
        self.config = config
    }

    /// A short label of the level: `pinned cpu_quota=0.5 concurrency=4`, or `baseline` when
    /// nothing is swept.
    public var label: String { Self.label(variant: variant, settings: settings) }

    /// The label of a level given its variant name and settings.
    public static func label(variant: String?, settings: [Setting]) -> String {
        let parts = (variant.map { [$0] } ?? []) + settings.map(\.description)
        return parts.isEmpty ? "baseline" : parts.joined(separator: " ")
    }
}

extension ExperimentSpec {
    /// The levels of the experiment: every variant (or the base configuration) times every
    /// matrix combination.
    public var levels: [(variant: String?, settings: [Setting])] {
        let variantList: [Variant?] = variants.isEmpty ? [nil] : variants
        return variantList.flatMap { variant in
            matrix.combinations.map { combination in
                (variant?.name, (variant?.settings ?? []) + combination)
            }
        }
    }

    /// The base configuration with each level's settings applied, in level order. Throws the
    /// first setting a block's decoder or `validate()` refuses.
    public func levelConfigs() throws -> [TrialConfig] {
        let base = TrialConfig(engine: engine, workload: workload, constraints: constraints)
        return try levels.map { try base.applying($0.settings) }
    }

    /// Every trial in interleaved order: all levels of repetition 1, then all of repetition 2,
    /// and so on (A B C A B C, not A A A B B B), so a slow drift of the machine spreads evenly
    /// over the levels instead of biasing one of them. For a validated spec (`parse` validates),
    /// whose settings all apply.
    public func trials() -> [Trial] {
        let levels = self.levels
        let base = TrialConfig(engine: engine, workload: workload, constraints: constraints)
        let configs = levels.map { (try? base.applying($0.settings)) ?? base }
        var trials: [Trial] = []
        trials.reserveCapacity(levels.count * repetitions)
        for repetition in 1...max(repetitions, 1) {
            for (level, entry) in levels.enumerated() {
                trials.append(
                    Trial(
                        index: trials.count, level: level, repetition: repetition, variant: entry.variant,
                        settings: entry.settings, config: configs[level]))
            }
        }
        return trials
    }
}

/// The `workload:` block: a `BenchConfiguration` under its own keys, less the two the runner sets
/// for every trial (`url`, the launched engine's; `model`, the name it serves).
///
/// ```yaml
/// workload: {api: chat, corpus: data/prompts.jsonl, scenario: closed, concurrency: 4,
///            requests: 48, warmup: 4, max_tokens: 64}
/// ```
struct WorkloadBlock: Decodable {
    var configuration: BenchConfiguration

    /// Keys the runner owns.
    static let runnerKeys: Set<String> = ["url", "model"]
    /// The keys a file, a matrix or a variant may set.
    static let settableKeys = BenchConfiguration.keys.filter { !runnerKeys.contains($0) }

    /// A resolved spec written back has the runner's keys at their defaults; a file may not set them.
    init(from decoder: any Decoder) throws {
        let c = try decoder.configurationContainer(allowed: BenchConfiguration.keys)
        configuration = try BenchConfiguration(reading: c)
        let defaults = BenchConfiguration()
        for (key, set) in [
            ("url", configuration.url != defaults.url), ("model", configuration.model != defaults.model),
        ]
        where set {
            throw ConfigurationError(
                code: .conflict, field: c.path(key), message: "is set by the runner for each trial (not in a file)")
        }
    }
}
