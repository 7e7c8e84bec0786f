import InferLabCore
import MetricCatalog

/// The smaller blocks of an experiment file: `probe:`, `constraints:`, `system:`, `evidence:`.

/// The `probe:` block: how the engine is observed during each trial.
public struct ProbeSpec: Sendable, Codable, Equatable {
    /// Sampling interval in milliseconds (10 to 10,000). The default is 100.
    public var intervalMs: Int = 100
    /// Sample every engine thread too. The default is true.
    public var threads: Bool = true
    /// Sample the model file's page-cache residency. The default is true.
    public var residency: Bool = true
    /// Profile the engine during each trial (`perf` on-CPU samples and the scheduler trace, as
    /// `inferlab profile` does). The default is none.
    public var profile: ProfileSpec?
    /// Trace the model file's page cache and its disk's block requests during each trial (as
    /// `inferlab probe --page-trace` does): pages in and out per tensor and layer over time, the
    /// sequential share, read sizes, re-reads; the disk's measured ceiling beside them. Needs
    /// root (tracefs). The default is false.
    public var pageTrace: Bool = false

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case threads, residency, profile
        case intervalMs = "interval_ms", pageTrace = "page_trace"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.configurationContainer(allowed: CodingKeys.allCases.map(\.rawValue))
        intervalMs = try c.int("interval_ms") ?? intervalMs
        threads = try c.bool("threads") ?? threads
        residency = try c.bool("residency") ?? residency
        profile = try c.section("profile", ProfileSpec.self)
        pageTrace = try c.bool("page_trace") ?? pageTrace
    }

    public func validate(path: String = "probe") throws {
        try SpecRange.check(intervalMs, "\(path).interval_ms", 10...10_000, "an interval in ms from 10 to 10000")
        try profile?.validate(path: "\(path).profile")
    }
}

/// `probe: {profile: {hz: 199}}`: the engine's on-CPU samples (`perf record -e cpu-clock`) and its
/// threads' scheduling (tracefs `sched_switch` / `sched_wakeup`) over each trial's load.
public struct ProfileSpec: Sendable, Codable, Equatable {
    /// How perf walks call chains.
    public enum CallGraph: String, Sendable, Codable, CaseIterable {
        case fp, dwarf
    }

    /// Samples per second per CPU (1 to 10,000). The default is 199 (a prime: it does not beat
    /// with the 250 Hz tick or a 100 Hz timer).
    public var hz: Int = 199
    /// The default is `dwarf` (docs/profile.md says why).
    public var callGraph: CallGraph = .dwarf
    /// Trace the scheduler too. The default is true.
    public var sched: Bool = true

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case hz, sched
        case callGraph = "call_graph"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.configurationContainer(allowed: CodingKeys.allCases.map(\.rawValue))
        hz = try c.int("hz") ?? hz
        callGraph = try c.choice("call_graph", CallGraph.self) ?? callGraph
        sched = try c.bool("sched") ?? sched
    }

    public func validate(path: String = "probe.profile") throws {
        try SpecRange.check(hz, "\(path).hz", 1...10_000, "samples per second from 1 to 10000")
    }
}

/// The `constraints:` block: controls applied to every trial unless the matrix sweeps them.
/// `none` (or leaving a key out) means no control.
public struct ConstraintSpec: Sendable, Codable, Equatable {
    /// CPU quota in cores (e.g. 0.5). The default is none.
    public var cpuQuota: Double?
    /// Hard memory limit in bytes (`300M`, `1G`; binary units). The default is none.
    public var memoryMax: Int64?
    /// Memory high watermark in bytes (reclaim above it). The default is none.
    public var memoryHigh: Int64?
    /// CPU affinity of the engine, in the kernel's list format (`0`, `0-1`). The default is none.
    public var cpus: String?
    /// Each compute thread of the engine pinned to a CPU of its own (the engine thread to the
    /// first allowed CPU, ggml's `llama-worker-N` to the next, round robin), once it is healthy; the
    /// other threads (HTTP, probe) stay free. On two cores `cpus: 0-1` allows every CPU and pins
    /// nothing; this is the pinning that keeps threads from migrating. The default is false.
    public var pinThreads: Bool = false
    /// Background CPU load in percent of the machine (0 to 100). The default is 0.
    public var backgroundLoad: Double = 0
    /// Page-cache state of the model file at launch. The default is `warm`.
    public var start: StartMode = .warm
    /// Bytes of memory to pin with `mlock` outside the engine for the trial (the seed's
    /// mem-locker: the machine has that much less for the model). The default is none.
    public var lockMemory: Int64?
    /// The fraction of the model (0 to 1) that must not fit in memory: the bytes to pin are
    /// computed when the trial starts, from MemAvailable, the model's size and a reserve
    /// (`MemoryPressure`), and pinned like `lock_memory`. The default is none.
    public var modelOut: Double?

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case cpus, start
        case cpuQuota = "cpu_quota"
        case memoryMax = "memory_max"
        case memoryHigh = "memory_high"
        case backgroundLoad = "background_load"
        case lockMemory = "lock_memory"
        case modelOut = "model_out"
        case pinThreads = "pin_threads"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.configurationContainer(allowed: CodingKeys.allCases.map(\.rawValue))
        if let text = try c.scalar("cpu_quota"), !ScalarText.isNone(text) {
            guard let cores = ScalarText.double(text) else {
                throw ConfigurationError.invalid(
                    c.path("cpu_quota"), expected: "a number of cores > 0 or \"none\"", got: text)
            }
            cpuQuota = cores
        }
        memoryMax = try Self.size(c, "memory_max")
        memoryHigh = try Self.size(c, "memory_high")
        if let text = try c.scalar("cpus"), !ScalarText.isNone(text), text.lowercased() != "all" {
            cpus = text.filter { !$0.isWhitespace }
        }
        backgroundLoad = try c.double("background_load") ?? backgroundLoad
        pinThreads = try c.bool("pin_threads") ?? pinThreads
        start = try c.choice("start", StartMode.self) ?? start
        lockMemory = try Self.size(c, "lock_memory")
        if let text = try c.scalar("model_out"), !ScalarText.isNone(text) {
            guard let fraction = ScalarText.double(text) else {
                throw ConfigurationError.invalid(
                    c.path("model_out"), expected: "a fraction of the model from 0 to 1, or \"none\"", got: text)
            }
            modelOut = fraction
        }
    }

    /// A byte size (`300M`, `1G`, a number) or `none`.
    private static func size(_ c: KeyedDecodingContainer<ConfigurationKey>, _ name: String) throws -> Int64? {
        guard let text = try c.scalar(name), !ScalarText.isNone(text) else { return nil }
        guard let bytes = ScalarText.bytes(text) else {
            throw ConfigurationError.invalid(
                c.path(name), expected: "a size of at least 1M such as 300M or 1G, or \"none\"", got: text)
        }
        return bytes
    }

    public func validate(path: String = "constraints") throws {
        if let cpuQuota {
            try SpecRange.check(cpuQuota, "\(path).cpu_quota", 0.001...4096, "a number of cores > 0 or \"none\"")
        }
        if let memoryMax, memoryMax < 1 << 20 {
            throw ConfigurationError.invalid(
                "\(path).memory_max", expected: "a size of at least 1M or \"none\"", got: "\(memoryMax)")
        }
        if let memoryHigh, memoryHigh < 1 << 20 {
            throw ConfigurationError.invalid(
                "\(path).memory_high", expected: "a size of at least 1M or \"none\"", got: "\(memoryHigh)")
        }
        if let cpus, ScalarText.cpuList(cpus) == nil {
            throw ConfigurationError.invalid(
                "\(path).cpus", expected: "a CPU list such as 0, 0-1 or 0,2 (quote lists with commas), or \"none\"",
                got: cpus)
        }
        try SpecRange.check(backgroundLoad, "\(path).background_load", 0...100, "a percentage from 0 to 100")
        if let lockMemory, lockMemory < 1 << 20 {
            throw ConfigurationError.invalid(
                "\(path).lock_memory", expected: "a size of at least 1M or \"none\"", got: "\(lockMemory)")
        }
        if let modelOut {
            try SpecRange.check(modelOut, "\(path).model_out", 0...1, "a fraction of the model from 0 to 1")
        }
        if lockMemory != nil, modelOut != nil {
            throw ConfigurationError.invalid(
                "\(path).model_out", expected: "either lock_memory or model_out (both pin memory), not both",
                got: "both")
        }
    }
}

/// The `system:` block: a reversible system preparation applied before the first trial and
/// restored after the last.
public struct SystemSpec: Sendable, Codable, Equatable {
    /// `bounded`, `paging`, or a path to a profile file. Required.
    public var profile: String

    public init(profile: String) {
        self.profile = profile
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case profile
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.configurationContainer(allowed: CodingKeys.allCases.map(\.rawValue))
        profile = try c.required("profile")
    }

    public func validate(path: String = "system") throws {
        let builtIn = ["bounded", "paging"]
        let isFile = [".yaml", ".yml", ".json"].contains { profile.hasSuffix($0) }
        guard builtIn.contains(profile) || isFile else {
            throw ConfigurationError.invalid(
                "\(path).profile", expected: "bounded, paging or a profile file (.yaml, .json)", got: profile)
        }
    }
}

/// The `evidence:` block: which app metric, mechanism metric and control the report judges.
public struct EvidenceSpec: Sendable, Codable, Equatable {
    /// App-level metrics of the catalogue (`inferlab metrics`): a distribution with its statistic
    /// (`ttft.p99`, `itl.p50`) or a per-trial figure (`tokens_per_s`, `errors`).
    public var app: [String]
    /// OS-level mechanism metrics of the catalogue (e.g. `cgroup.cpu.throttled_usec`;
    /// `system.other_cpu_cores` is the CPU used by everything but the engine).
    public var mechanism: [String]
    /// Controls: the likeliest alternative explanations, expected to stay flat.
    public var control: [String]
    /// Which levels to compare, by variant name or level label. The default is empty: the
    /// first level against each other level.
    public var comparisons: [Comparison] = []

    /// A before/after pair of levels, optionally with its own mechanism metrics (when the pair
    /// tests a different mechanism than the experiment's `mechanism` list, e.g. the prefix cache's
    /// CPU time next to a CPU quota's throttling).
    public struct Comparison: Sendable, Codable, Equatable {
        public var before: String
        public var after: String
        public var mechanism: [String]?

        public init(before: String, after: String, mechanism: [String]? = nil) {
            self.before = before
            self.after = after
            self.mechanism = mechanism
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.configurationContainer(allowed: ["before", "after", "mechanism"])
            before = try c.required("before")
            after = try c.required("after")
            mechanism = try c.scalarList("mechanism")
        }
    }

    public init(app: [String], mechanism: [String], control: [String], comparisons: [Comparison] = []) {
        self.app = app
        self.mechanism = mechanism
        self.control = control
        self.comparisons = comparisons
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case app, mechanism, control, comparisons
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.configurationContainer(allowed: CodingKeys.allCases.map(\.rawValue))
        func list(_ name: String) throws -> [String] {
            guard let values = try c.scalarList(name) else {
                throw ConfigurationError(
                    code: .missingField, field: c.path(name), message: "missing required field (a list of metric names)"
                )
            }
            return values
        }
        app = try list("app")
        mechanism = try list("mechanism")
        control = try list("control")
        let key = ConfigurationKey(stringValue: "comparisons")
        if c.contains(key) {
            guard var items = try? c.nestedUnkeyedContainer(forKey: key) else {
                throw ConfigurationError(
                    code: .invalidValue, field: c.path("comparisons"),
                    message: "expected a list of {before: ..., after: ...}")
            }
            while !items.isAtEnd { comparisons.append(try items.decode(Comparison.self)) }
        }
    }

    public func validate(path: String = "evidence") throws {
        for (name, values) in [("app", app), ("mechanism", mechanism), ("control", control)] where values.isEmpty {
            throw ConfigurationError(
                code: .invalidValue, field: "\(path).\(name)", message: "expected at least one metric name")
        }
        for (index, metric) in app.enumerated() where MetricCatalog.appMetric(metric) == nil {
            throw ConfigurationError.invalid(
                "\(path).app[\(index)]", expected: "an app metric, \(Self.appMetricsExpected)", got: metric)
        }
        for (index, comparison) in comparisons.enumerated() {
            for (position, metric) in (comparison.mechanism ?? []).enumerated()
            where MetricCatalog.osMetric(metric) == nil {
                throw ConfigurationError.invalid(
                    "\(path).comparisons[\(index)].mechanism[\(position)]", expected: Self.osMetricExpected,
                    got: metric)
            }
            if comparison.mechanism?.isEmpty == true {
                throw ConfigurationError(
                    code: .invalidValue, field: "\(path).comparisons[\(index)].mechanism",
                    message: "expected at least one metric name (or leave it out)")
            }
        }
        for (name, values) in [("mechanism", mechanism), ("control", control)] {
            for (index, metric) in values.enumerated() where MetricCatalog.osMetric(metric) == nil {
                throw ConfigurationError.invalid(
                    "\(path).\(name)[\(index)]", expected: Self.osMetricExpected, got: metric)
            }
        }
    }

    /// What an app metric looks like, from the catalogue.
    static var appMetricsExpected: String {
        let app = MetricCatalog.all.filter(\.isAppLevel)
        let distributions = app.filter { $0.kind == .distribution }.map(\.name)
        let figures = app.filter { $0.kind != .distribution }.map(\.name)
        let statistics = SummaryStatistic.allCases.map(\.rawValue).joined(separator: "|")
        return "<\(distributions.joined(separator: "|"))>.<\(statistics)> or one of "
            + figures.joined(separator: ", ") + " (inferlab metrics lists them)"
    }

    static let osMetricExpected =
        "an OS metric of the catalogue such as cgroup.cpu.throttled_usec or process.majflt (inferlab metrics lists them)"
}

enum SpecRange {
    static func check(_ value: Int, _ field: String, _ range: ClosedRange<Int>, _ expected: String) throws {
        guard range.contains(value) else {
            throw ConfigurationError.invalid(field, expected: expected, got: "\(value)")
        }
    }

    static func check(_ value: Double, _ field: String, _ range: ClosedRange<Double>, _ expected: String) throws {
        guard range.contains(value) else {
            throw ConfigurationError.invalid(field, expected: expected, got: SpecFormat.number(value))
        }
    }
}

enum SpecFormat {
    /// `1.5`, `2` (no trailing `.0`).
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? "\(Int(value))" : "\(value)"
    }

    /// `512M`, `1G`, or the byte count when it is no whole number of K, M or G.
    static func size(_ bytes: Int64) -> String {
        for (suffix, unit) in [("G", Int64(1) << 30), ("M", Int64(1) << 20), ("K", Int64(1) << 10)]
        where bytes % unit == 0 {
            return "\(bytes / unit)\(suffix)"
        }
        return "\(bytes)"
    }
}

/// The `precision:` block: repetitions by precision, not by habit. After `repetitions` rounds the
/// runner adds a round for every level whose interval of any listed figure's CV across
/// repetitions is still wider than `width`, until `max_repetitions`; the report prints each
/// level's repetitions and the width it reached.
///
/// ```yaml
/// precision: {metrics: [itl.p99, process.rss], width: 0.10, max_repetitions: 8}
/// ```
public struct PrecisionSpec: Sendable, Codable, Equatable {
    /// One figure per repetition: an app distribution's statistic (`itl.p99` is the per-token
    /// p99), a per-trial figure (`tokens_per_s`) or an OS metric's trial value (`process.rss`, its
    /// peak). The default is the bounded-realtime criteria's two: `itl.p99` and `process.rss`.
    public var metrics: [String] = ["itl.p99", "process.rss"]
    /// The widest acceptable interval of each CV, in CV units (0.10: ten percentage points). The
    /// default is 0.10.
    public var width: Double = 0.10
    /// The cap on repetitions per level. The default is 10.
    public var maxRepetitions: Int = 10
    /// The interval's confidence. The default is 0.95.
    public var level: Double = 0.95

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case metrics, width, level
        case maxRepetitions = "max_repetitions"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.configurationContainer(allowed: CodingKeys.allCases.map(\.rawValue))
        metrics = try c.scalarList("metrics") ?? metrics
        width = try c.double("width") ?? width
        maxRepetitions = try c.int("max_repetitions") ?? maxRepetitions
        level = try c.double("level") ?? level
    }

    public func validate(path: String = "precision", repetitions: Int) throws {
        if metrics.isEmpty {
            throw ConfigurationError.invalid("\(path).metrics", expected: "at least one metric", got: "[]")
        }
        for (index, name) in metrics.enumerated() where !Self.isKnown(name) {
            throw ConfigurationError.invalid(
                "\(path).metrics[\(index)]",
                expected: "an app metric with its statistic (itl.p99, ttft.p99), tokens_per_s or an OS metric "
                    + "(process.rss); see inferlab metrics", got: name)
        }
        if !(width > 0 && width < 10) {
            throw ConfigurationError.invalid("\(path).width", expected: "a CV interval width above 0", got: "\(width)")
        }
        if !(repetitions...100).contains(maxRepetitions) || maxRepetitions < 2 {
            throw ConfigurationError.invalid(
                "\(path).max_repetitions", expected: "from repetitions (\(repetitions)) to 100, at least 2",
                got: "\(maxRepetitions)")
        }
        if !(level > 0.5 && level < 1) {
            throw ConfigurationError.invalid("\(path).level", expected: "a confidence in (0.5, 1)", got: "\(level)")
        }
    }

    /// Whether a name is a figure a trial has one value of.
    public static func isKnown(_ name: String) -> Bool {
        if let (metric, statistic) = MetricCatalog.appMetric(name) {
            return statistic != nil || metric.kind != .distribution
        }
        return MetricCatalog.osMetric(name) != nil
    }
}
