/// A statistic of a sample that experiment files and verdicts name (`ttft.p99`).
public enum SummaryStatistic: String, Sendable, Codable, CaseIterable {
    case min, p50, p90, p95, p99, max, mean

    /// The percentile this statistic stands for, or `nil` for the mean.
    public var percentile: Double? {
        switch self {
        case .min: 0
        case .p50: 50
        case .p90: 90
        case .p95: 95
        case .p99: 99
        case .max: 100
        case .mean: nil
        }
    }

    /// The statistic computed on an unsorted sample (nearest-rank percentiles, `Percentile.of`).
    public func compute(_ values: [Double]) -> Double? {
        if let percentile { return Percentile.of(values.sorted(), percentile) }
        guard !values.isEmpty else { return nil }
        return values.reduce(0, +) / Double(values.count)
    }
}
