/// Order statistics on a sample, with the nearest-rank definition used everywhere in InferLab.
///
/// `p` is in [0, 100]. The nearest-rank percentile is the smallest value such that at least p %
/// of the sample is less than or equal to it; for p = 0 it is the minimum. An empty sample has
/// no percentile (`nil`).
public enum Percentile {
    public static func of(_ sorted: [Double], _ p: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        if p <= 0 { return sorted[0] }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    /// The summary of an unsorted sample, or `nil` when it is empty.
    public static func summary(_ values: [Double]) -> PercentileSummary? { PercentileSummary.of(values) }
}

/// The order statistics of one sample: the one summary type of InferLab (a report's tables, a
/// bench window's latencies, `generate`'s per-token latency), nearest-rank percentiles.
public struct PercentileSummary: Sendable, Codable, Equatable {
    /// Values summarised (0 only for `empty`).
    public var count: Int
    public var min: Double
    public var p50: Double
    public var p90: Double
    public var p95: Double
    public var p99: Double
    public var max: Double
    public var mean: Double

    public init(
        count: Int, min: Double, p50: Double, p90: Double, p95: Double, p99: Double, max: Double, mean: Double
    ) {
        self.count = count
        self.min = min
        self.p50 = p50
        self.p90 = p90
        self.p95 = p95
        self.p99 = p99
        self.max = max
        self.mean = mean
    }

    /// No values: every figure 0.
    public static let empty = PercentileSummary(count: 0, min: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0, mean: 0)

    /// The summary of an unsorted sample, or `nil` when it is empty.
    public static func of(_ values: [Double]) -> PercentileSummary? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        func p(_ q: Double) -> Double { Percentile.of(sorted, q)! }
        return PercentileSummary(
            count: sorted.count, min: sorted[0], p50: p(50), p90: p(90), p95: p(95), p99: p(99),
            max: sorted[sorted.count - 1], mean: sorted.reduce(0, +) / Double(sorted.count))
    }

    /// The value of a named statistic (`p50`, `p90`, `p95`, `p99`, `max`, `min`, `mean`).
    public func value(of statistic: SummaryStatistic) -> Double {
        switch statistic {
        case .min: min
        case .p50: p50
        case .p90: p90
        case .p95: p95
        case .p99: p99
        case .max: max
        case .mean: mean
        }
    }
}
