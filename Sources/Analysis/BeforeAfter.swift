public import InferLabCore

/// A before/after comparison of one app-level metric (e.g. TTFT in ms of every request).
public struct BeforeAfter: Sendable, Codable, Equatable {
    public var before: PercentileSummary
    public var after: PercentileSummary
    /// Mann-Whitney U of before against after.
    public var test: MannWhitneyResult
    /// Bootstrap interval of median(after) - median(before).
    public var medianDifference: ConfidenceInterval
    /// Bootstrap interval of p99(after) - p99(before).
    public var p99Difference: ConfidenceInterval

    public init(
        before: PercentileSummary, after: PercentileSummary, test: MannWhitneyResult,
        medianDifference: ConfidenceInterval,
        p99Difference: ConfidenceInterval
    ) {
        self.before = before
        self.after = after
        self.test = test
        self.medianDifference = medianDifference
        self.p99Difference = p99Difference
    }

    private enum CodingKeys: String, CodingKey {
        case before, after, test
        case medianDifference = "median_difference"
        case p99Difference = "p99_difference"
    }

    /// after / before of a statistic; `nil` when the before value is 0.
    public func ratio(of statistic: SummaryStatistic) -> Double? {
        let b = before.value(of: statistic)
        return b == 0 ? nil : after.value(of: statistic) / b
    }

    /// Compares two samples; `nil` when either is empty. Deterministic for a given seed.
    public static func compare(
        before: [Double], after: [Double], level: Double = 0.95, resamples: Int = Bootstrap.defaultResamples,
        seed: UInt64 = Bootstrap.defaultSeed
    ) -> BeforeAfter? {
        guard let sb = PercentileSummary.of(before), let sa = PercentileSummary.of(after),
            let test = MannWhitney.test(before, after),
            let median = Bootstrap.differenceOfPercentile(
                before: before, after: after, p: 50, level: level, resamples: resamples, seed: seed),
            let p99 = Bootstrap.differenceOfPercentile(
                before: before, after: after, p: 99, level: level, resamples: resamples, seed: seed &+ 1)
        else { return nil }
        return BeforeAfter(before: sb, after: sa, test: test, medianDifference: median, p99Difference: p99)
    }
}
