public import InferLabCore

/// How one trial's series of a metric becomes the one number that levels are compared by.
public enum TrialAggregate: String, Sendable, Codable, CaseIterable {
    /// Last value - first: what a counter counted during the trial.
    case change
    /// The largest value: a gauge's peak (RSS, memory charged).
    case max
    /// The smallest value: the model file's lowest residency.
    case min
    /// The mean of the values: a rate over the trial.
    case mean
    /// A stall counter in µs (PSI `*_total`) as the percentage of the sampled wall time it grew by:
    /// trials differ in length, so the raw change would compare durations.
    case shareOfTime = "share_of_time"

    /// The default for a kind: counters by their change, gauges by their maximum, rates and
    /// distributions by their mean.
    public static func `default`(for kind: Metric.Kind) -> TrialAggregate {
        switch kind {
        case .counter: .change
        case .gauge: .max
        case .rate, .distribution: .mean
        }
    }

    /// The trial's value of `series` (in time order); `nil` when it is empty, and for
    /// `shareOfTime` when it spans no time.
    public func apply(_ series: [(time: MonotonicInstant, value: Double)]) -> Double? {
        guard let first = series.first, let last = series.last else { return nil }
        switch self {
        case .change:
            return last.value - first.value
        case .max:
            return series.lazy.map(\.value).max()
        case .min:
            return series.lazy.map(\.value).min()
        case .mean:
            return series.reduce(0) { $0 + $1.value } / Double(series.count)
        case .shareOfTime:
            guard last.time > first.time else { return nil }
            let elapsedMicroseconds = (last.time - first.time).milliseconds * 1000
            return Swift.max(0, last.value - first.value) / elapsedMicroseconds * 100
        }
    }
}
