public import InferLabCore

/// Every metric the lab knows, each declared once (`Metric+Client.swift`, `Metric+Process.swift`,
/// ...). Spec validation, report columns and units, `compare`, export, the server's exposition
/// and docs/metrics.md take names from here; nothing else spells a metric's name.
public enum MetricCatalog {
    /// In docs order: client, server, engine, process, thread, cgroup, PSI, system, disk, file.
    public static let all: [Metric] =
        Metric.clientMetrics + Metric.serverMetrics + Metric.engineMetrics + Metric.processMetrics
        + Metric.threadMetrics + Metric.cgroupMetrics + Metric.pressureMetrics + Metric.systemMetrics
        + Metric.diskMetrics + Metric.fileMetrics

    private static let byName = Dictionary(all.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })

    /// The metric of that exact name.
    public static func named(_ name: String) -> Metric? { byName[name] }

    /// An app-level metric as `evidence.app` names it: a distribution with its statistic
    /// (`ttft.p99` -> (ttft, .p99)) or a per-trial figure alone (`tokens_per_s` -> (tokens_per_s,
    /// nil)). `nil` for an unknown name, a metric that is not app-level, a distribution without a
    /// statistic, and a statistic on anything but a distribution.
    public static func appMetric(_ text: String) -> (Metric, SummaryStatistic?)? {
        if let metric = named(text) {
            return metric.isAppLevel && metric.kind != .distribution ? (metric, nil) : nil
        }
        guard let dot = text.lastIndex(of: "."),
            let metric = named(String(text[..<dot])), metric.isAppLevel, metric.kind == .distribution,
            let statistic = SummaryStatistic(rawValue: String(text[text.index(after: dot)...]))
        else { return nil }
        return (metric, statistic)
    }

    /// An operating-system metric as `evidence.mechanism` and `evidence.control` name it
    /// (`cgroup.cpu.throttled_usec`, `system.other_cpu_cores`); `nil` for any other name.
    public static func osMetric(_ name: String) -> Metric? {
        named(name).flatMap { $0.source.isOperatingSystem ? $0 : nil }
    }

    /// The fields of `ProbeSample` that are deliberately no metric (`ProbeSample.CodingKeys`), and why.
    public static let probeFieldsNotMetrics: [(field: String, reason: String)] = [
        ("t_ns", "the time of the reading"), ("elapsed_ms", "time since the sampler started"),
        ("interval_ms", "the denominator of the rates"), ("event", "sample or exit"), ("pid", "identity"),
        ("state", "a state letter"), ("exit_status", "the exit, an event"), ("exit_signal", "the exit, an event"),
        ("processor", "the CPU last run on, an identity"), ("cpus_allowed_list", "configuration"),
        ("threads", "read by the thread metrics"), ("cgroup_version", "identity"), ("cgroup_path", "identity"),
        ("file_path", "identity"),
    ]

    /// The fields of `ThreadSample` that are deliberately no metric.
    public static let threadFieldsNotMetrics: [(field: String, reason: String)] = [
        ("tid", "identity"), ("comm", "identity"), ("state", "a state letter"),
        ("processor", "the CPU last run on, an identity"),
    ]

    /// The fields of `StepRecord` that are deliberately no metric.
    public static let stepFieldsNotMetrics: [(field: String, reason: String)] = [
        ("index", "the step's number, an identity"), ("start_ns", "the time of the step"),
        ("requests", "the requests in the step and their shares: the join to the requests"),
    ]
}
