public import InferLabCore

/// One metric the lab knows, declared once (in `MetricCatalog.all`): its name, unit, kind,
/// source, and how it is read from a request, a trial, a probe sample, a thread sample, an
/// engine step or the server's Prometheus exposition. Two metrics are equal when their names are.
public struct Metric: Sendable, Hashable, CustomStringConvertible {
    /// What the numbers are.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// Cumulative since some start (faults, CPU time, stall time): only its change means something.
        case counter
        /// A level at one instant (RSS, queue depth, residency).
        case gauge
        /// Per second, or a share of an interval, derived from two readings (CPU cores, faults/s).
        case rate
        /// One value per request, per token gap or per engine step, summarised by a statistic.
        case distribution
    }

    /// Where the metric comes from.
    public enum Source: String, Sendable, Codable, CaseIterable {
        /// The load generator's clock: per request and per trial.
        case client
        /// `inferlab serve`: its `/metrics` exposition and the `timings` of each final chunk.
        case server
        /// The engine loop's step log (`--step-log`).
        case engine
        /// The engine process (`/proc/<pid>`).
        case process
        /// Each engine thread (`/proc/<pid>/task/<tid>`).
        case thread
        /// The engine's cgroup (v2 or v1).
        case cgroup
        /// Pressure stall information of the whole machine (`/proc/pressure`).
        case psi
        /// The whole machine (`/proc/stat`, `/proc/vmstat`).
        case system
        /// Whole disks summed (`/proc/diskstats`).
        case disk
        /// The model file's page-cache residency (mincore).
        case file

        /// Whether this is an operating-system view (the mechanism and control side of evidence).
        public var isOperatingSystem: Bool {
            switch self {
            case .client, .server, .engine: false
            case .process, .thread, .cgroup, .psi, .system, .disk, .file: true
            }
        }
    }

    /// The one name, `[a-z0-9_.]`: `ttft`, `cgroup.cpu.throttled_usec`, `process.majflt`.
    public let name: String
    /// A short label for table headers and chart panels: "CPU throttled".
    public let label: String
    public let unit: MetricUnit
    public let kind: Kind
    public let source: Source
    /// One or two sentences: what is measured and from where (`description` in JSON and docs, and
    /// the help text of an exposition series).
    public let help: String
    public let reading: Reading
    /// How one trial's series becomes one number.
    public let aggregate: TrialAggregate
    /// Below this trial value (in `trialUnit`) a change explains nothing: a control that stays
    /// under it counts as flat. `nil` when any change counts.
    public let negligibleBelow: Double?

    /// `aggregate` defaults from `kind` (`TrialAggregate.default(for:)`).
    public init(
        name: String, label: String, unit: MetricUnit, kind: Kind, source: Source, reading: Reading,
        aggregate: TrialAggregate? = nil, negligibleBelow: Double? = nil, help: String
    ) {
        self.name = name
        self.label = label
        self.unit = unit
        self.kind = kind
        self.source = source
        self.reading = reading
        self.aggregate = aggregate ?? .default(for: kind)
        self.negligibleBelow = negligibleBelow
        self.help = help
    }

    /// The name, so that `"\(metric)"` reads as experiment files spell it.
    public var description: String { name }

    /// The unit of the trial value: a share of time is a percentage whatever the counter's unit.
    public var trialUnit: MetricUnit { aggregate == .shareOfTime ? .percent : unit }

    /// Whether experiments may judge it as an app-level metric (`evidence.app`): what a client
    /// sees per request or per trial, and the server's own per-request view.
    public var isAppLevel: Bool {
        switch reading {
        case .request, .tokenGaps: true
        case .trial: !source.isOperatingSystem
        case .exposition, .probe, .thread, .step: false
        }
    }

    public static func == (a: Metric, b: Metric) -> Bool { a.name == b.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}

extension Metric: Encodable {
    enum CodingKeys: String, CodingKey {
        case name, label, unit, kind, source, aggregate, reading, exposition
        case help = "description"
        case negligibleBelow = "negligible_below"
    }

    /// The listing of `inferlab metrics --json`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(label, forKey: .label)
        try c.encode(unit, forKey: .unit)
        try c.encode(kind, forKey: .kind)
        try c.encode(source, forKey: .source)
        try c.encode(aggregate, forKey: .aggregate)
        try c.encode(reading.kind, forKey: .reading)
        try c.encodeIfPresent(reading.exposition, forKey: .exposition)
        try c.encodeIfPresent(negligibleBelow, forKey: .negligibleBelow)
        try c.encode(help, forKey: .help)
    }
}
