import InferLabCore
/// A point estimate with a two-sided confidence interval.
public struct ConfidenceInterval: Sendable, Codable, Equatable {
    /// The statistic on the original sample.
    public var estimate: Double
    public var lower: Double
    public var upper: Double
    /// The confidence level, e.g. 0.95.
    public var level: Double

    public init(estimate: Double, lower: Double, upper: Double, level: Double) {
        self.estimate = estimate
        self.lower = lower
        self.upper = upper
        self.level = level
    }

    /// Whether the interval contains `value`.
    public func contains(_ value: Double) -> Bool { lower <= value && value <= upper }

    private enum CodingKeys: String, CodingKey {
        case estimate, lower, upper, level
    }
}

/// Percentile-bootstrap confidence intervals, deterministic for a given seed.
///
/// Each resample draws n values with replacement from the sample (indices from
/// `SeededGenerator`), computes the statistic, and the interval is the (1 - level) / 2 and
/// (1 + level) / 2 nearest-rank percentiles of the resampled statistics.
public enum Bootstrap {
    /// The number of resamples when none is given. The default is 2000.
    public static let defaultResamples = 2000
    /// The seed when none is given. The default is 42.
    public static let defaultSeed: UInt64 = 42

    /// The interval of the `p`-th percentile (nearest rank, `p` in [0, 100]) of `values`.
    /// `nil` for an empty sample.
    public static func percentile(
        _ values: [Double], p: Double, level: Double = 0.95, resamples: Int = defaultResamples,
        seed: UInt64 = defaultSeed
    ) -> ConfidenceInterval? {
        guard let estimate = Statistics.percentile(values, p) else { return nil }
        var generator = SeededGenerator(seed: seed)
        var stats = [Double]()
        stats.reserveCapacity(resamples)
        var buffer = [Double](repeating: 0, count: values.count)
        for _ in 0..<max(resamples, 1) {
            stats.append(resampledPercentile(values, p: p, buffer: &buffer, generator: &generator))
        }
        return interval(estimate: estimate, statistics: stats, level: level)
    }

    /// The interval of `percentile(after) - percentile(before)`, each side resampled
    /// independently. `nil` when either sample is empty.
    public static func differenceOfPercentile(
        before: [Double], after: [Double], p: Double, level: Double = 0.95, resamples: Int = defaultResamples,
        seed: UInt64 = defaultSeed
    ) -> ConfidenceInterval? {
        guard let b = Statistics.percentile(before, p), let a = Statistics.percentile(after, p) else { return nil }
        var generator = SeededGenerator(seed: seed)
        var stats = [Double]()
        stats.reserveCapacity(resamples)
        var bufferBefore = [Double](repeating: 0, count: before.count)
        var bufferAfter = [Double](repeating: 0, count: after.count)
        for _ in 0..<max(resamples, 1) {
            let rb = resampledPercentile(before, p: p, buffer: &bufferBefore, generator: &generator)
            let ra = resampledPercentile(after, p: p, buffer: &bufferAfter, generator: &generator)
            stats.append(ra - rb)
        }
        return interval(estimate: a - b, statistics: stats, level: level)
    }

    private static func resampledPercentile(
        _ values: [Double], p: Double, buffer: inout [Double], generator: inout SeededGenerator
    ) -> Double {
        for i in 0..<values.count {
            buffer[i] = values[generator.index(below: values.count)]
        }
        buffer.sort()
        return Statistics.percentile(sorted: buffer, p)!
    }

    private static func interval(estimate: Double, statistics: [Double], level: Double) -> ConfidenceInterval {
        let sorted = statistics.sorted()
        let alpha = (1 - level) / 2 * 100
        let lower = Statistics.percentile(sorted: sorted, alpha)!
        let upper = Statistics.percentile(sorted: sorted, 100 - alpha)!
        return ConfidenceInterval(estimate: estimate, lower: lower, upper: upper, level: level)
    }
}
