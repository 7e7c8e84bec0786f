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

    /// p50, p95, p99 and max of an unsorted sample.
    public static func summary(_ values: [Double]) -> LatencySummary? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return LatencySummary(
            p50: of(sorted, 50)!, p90: of(sorted, 90)!, p95: of(sorted, 95)!, p99: of(sorted, 99)!,
            max: sorted[sorted.count - 1], mean: sorted.reduce(0, +) / Double(sorted.count),
            count: sorted.count)
    }
}

/// Percentiles of one latency metric.
public struct LatencySummary: Sendable, Codable, Equatable {
    public var p50: Double
    public var p90: Double
    public var p95: Double
    public var p99: Double
    public var max: Double
    public var mean: Double
    public var count: Int

    public init(p50: Double, p90: Double, p95: Double, p99: Double, max: Double, mean: Double, count: Int) {
        self.p50 = p50
        self.p90 = p90
        self.p95 = p95
        self.p99 = p99
        self.max = max
        self.mean = mean
        self.count = count
    }
}
