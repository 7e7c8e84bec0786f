import InferLabCore

/// Descriptive statistics on plain `[Double]` samples, with no I/O.
///
/// Percentiles use the nearest-rank definition used everywhere in InferLab (the same as
/// `InferLabCore.Percentile`): the smallest value such that at least p % of the sample is less
/// than or equal to it; p = 0 gives the minimum.
public enum Statistics {
    /// The arithmetic mean, or `nil` for an empty sample.
    public static func mean(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        return values.reduce(0, +) / Double(values.count)
    }

    /// The sample variance (divisor n - 1), or `nil` for fewer than two values.
    public static func variance(_ values: [Double]) -> Double? {
        guard values.count >= 2, let mean = mean(values) else { return nil }
        let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return squares / Double(values.count - 1)
    }

    /// The sample standard deviation (divisor n - 1), or `nil` for fewer than two values.
    public static func standardDeviation(_ values: [Double]) -> Double? {
        variance(values).map { $0.squareRoot() }
    }

    /// The coefficient of variation: sample standard deviation / mean, as a fraction (0.05 = 5 %).
    ///
    /// Used across repetitions of one configuration (for example the p99 of each of three
    /// identical runs). `nil` for fewer than two values or a zero mean.
    public static func coefficientOfVariation(_ values: [Double]) -> Double? {
        guard let sd = standardDeviation(values), let mean = mean(values), mean != 0 else { return nil }
        return sd / abs(mean)
    }

    /// The nearest-rank percentile of an already sorted sample; `p` in [0, 100].
    public static func percentile(sorted: [Double], _ p: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        if p <= 0 { return sorted[0] }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    /// The nearest-rank percentile of an unsorted sample; `p` in [0, 100].
    public static func percentile(_ values: [Double], _ p: Double) -> Double? {
        percentile(sorted: values.sorted(), p)
    }

    /// The median by the nearest-rank definition (the lower middle value for an even count).
    public static func median(_ values: [Double]) -> Double? {
        percentile(values, 50)
    }
}
