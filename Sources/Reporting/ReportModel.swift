public import Analysis
public import InferLabCore

/// Everything a report shows, as plain values. The runner fills it from the results database;
/// `HTMLReport` and `MarkdownSummary` turn it into files.
public struct ReportModel: Sendable, Codable, Equatable {
    /// The experiment's name or a title for the comparison.
    public var title: String
    /// The experiment's description. The default is none.
    public var description: String?
    /// When the report was built (ISO 8601 text).
    public var generatedAt: String
    /// The resolved experiment, as text (YAML or JSON), shown verbatim.
    public var experiment: String
    /// Provenance in display order: InferLab commit, llama.cpp commit, model sha256, kernel, CPU,
    /// cgroup version, start and end time ...
    public var provenance: [KeyValue]
    /// One entry per level (configuration), in run order.
    public var levels: [LevelSummary]
    public var charts: [ReportChart]
    /// The evidence check of each (app, mechanism) pair.
    public var verdicts: [Verdict]
    /// The study's criteria (bounded-realtime: five), empty when the study has none.
    public var criteria: [CriterionResult]
    /// Study-specific answers, one short paragraph each.
    public var findings: [String]
    /// Trials that failed (engine crash, OOM kill, timeout), with their evidence.
    public var failures: [TrialFailure]
    /// Further tables after the results per level (e.g. the OS side of each level).
    public var tables: [ReportTable] = []

    public init(
        title: String, description: String? = nil, generatedAt: String, experiment: String, provenance: [KeyValue] = [],
        levels: [LevelSummary] = [], charts: [ReportChart] = [], verdicts: [Verdict] = [],
        criteria: [CriterionResult] = [], findings: [String] = [], failures: [TrialFailure] = []
    ) {
        self.title = title
        self.description = description
        self.generatedAt = generatedAt
        self.experiment = experiment
        self.provenance = provenance
        self.levels = levels
        self.charts = charts
        self.verdicts = verdicts
        self.criteria = criteria
        self.findings = findings
        self.failures = failures
    }

    private enum CodingKeys: String, CodingKey {
        case title, description, experiment, provenance, levels, charts, verdicts, criteria, findings, failures, tables
        case generatedAt = "generated_at"
    }
}

/// A table of preformatted cells, with an anchor id, a title and a note under it.
public struct ReportTable: Sendable, Codable, Equatable {
    public var id: String
    public var title: String
    public var note: String?
    public var columns: [String]
    /// Rows of cells, each as many as `columns`; the first cell is the row's header.
    public var rows: [[String]]

    public init(id: String, title: String, note: String? = nil, columns: [String], rows: [[String]]) {
        self.id = id
        self.title = title
        self.note = note
        self.columns = columns
        self.rows = rows
    }
}

/// An ordered key and value.
public struct KeyValue: Sendable, Codable, Equatable {
    public var key: String
    public var value: String

    public init(_ key: String, _ value: String) {
        self.key = key
        self.value = value
    }
}

/// The measurements of one level over all its repetitions.
public struct LevelSummary: Sendable, Codable, Equatable {
    /// The level's label, e.g. `cpu_quota=0.5`.
    public var label: String
    /// The level's settings (`cpu_quota` -> `0.5`).
    public var settings: [KeyValue]
    /// Trials run for this level (repetitions), and how many failed.
    public var trials: Int
    public var failedTrials: Int
    /// Measured requests, completed and failed.
    public var requests: Int
    public var errors: Int
    /// Latencies in milliseconds over all requests of the level.
    public var ttft: PercentileSummary?
    public var itl: PercentileSummary?
    public var tpot: PercentileSummary?
    public var e2e: PercentileSummary?
    /// Output tokens per second (mean over repetitions).
    public var tokensPerSecond: Double?
    /// CV of TTFT p99 across repetitions, as a fraction.
    public var p99CV: Double?
    /// US dollars per million output tokens at the run's price per hour. The default is none.
    public var dollarsPerMillionTokens: Double?
    /// Failed requests by error class.
    public var errorsByClass: [KeyValue]

    public init(
        label: String, settings: [KeyValue] = [], trials: Int, failedTrials: Int = 0, requests: Int, errors: Int = 0,
        ttft: PercentileSummary? = nil, itl: PercentileSummary? = nil, tpot: PercentileSummary? = nil,
        e2e: PercentileSummary? = nil,
        tokensPerSecond: Double? = nil, p99CV: Double? = nil, dollarsPerMillionTokens: Double? = nil,
        errorsByClass: [KeyValue] = []
    ) {
        self.dollarsPerMillionTokens = dollarsPerMillionTokens
        self.label = label
        self.settings = settings
        self.trials = trials
        self.failedTrials = failedTrials
        self.requests = requests
        self.errors = errors
        self.ttft = ttft
        self.itl = itl
        self.tpot = tpot
        self.e2e = e2e
        self.tokensPerSecond = tokensPerSecond
        self.p99CV = p99CV
        self.errorsByClass = errorsByClass
    }

    private enum CodingKeys: String, CodingKey {
        case label, settings, trials, requests, errors, ttft, itl, tpot, e2e
        case failedTrials = "failed_trials"
        case tokensPerSecond = "tokens_per_s"
        case p99CV = "p99_cv"
        case dollarsPerMillionTokens = "usd_per_million_tokens"
        case errorsByClass = "errors_by_class"
    }
}

/// A chart with the report section it belongs to and a caption.
public struct ReportChart: Sendable, Codable, Equatable {
    public var chart: Chart
    /// One sentence under the chart saying what to look at. The default is none.
    public var caption: String?

    public init(_ chart: Chart, caption: String? = nil) {
        self.chart = chart
        self.caption = caption
    }
}

/// A trial that did not finish normally.
public struct TrialFailure: Sendable, Codable, Equatable {
    public var trial: Int
    public var level: String
    public var repetition: Int
    /// What happened, e.g. "OOM kill (memory.oom_control oom_kill 1) after 12.3 s".
    public var reason: String

    public init(trial: Int, level: String, repetition: Int, reason: String) {
        self.trial = trial
        self.level = level
        self.repetition = repetition
        self.reason = reason
    }
}
