import InferLabCore
import MetricCatalog
import TestSupport
import Testing

@Suite struct TrialAggregateTests {
    /// A counter read at 0, 1 and 2 s.
    let series: [(time: MonotonicInstant, value: Double)] = [
        (.at(0), 10), (.at(1_000_000_000), 15), (.at(2_000_000_000), 13),
    ]

    @Test func changeMaxMinMean() {
        #expect(TrialAggregate.change.apply(series) == 3)
        #expect(TrialAggregate.max.apply(series) == 15)
        #expect(TrialAggregate.min.apply(series) == 10)
        #expect(TrialAggregate.mean.apply(series) == 38.0 / 3)
    }

    @Test func shareOfTimeIsTheStalledPercentageOfTheSpan() {
        // 0.5 s stalled in 2 s of wall time.
        let stalled: [(time: MonotonicInstant, value: Double)] = [
            (.at(1_000), 200), (.at(1_000_001_000), 300_200), (.at(2_000_001_000), 500_200),
        ]
        #expect(TrialAggregate.shareOfTime.apply(stalled) == 25)
        #expect(TrialAggregate.shareOfTime.apply([(.at(5), 100)]) == nil, "no span")
        #expect(
            TrialAggregate.shareOfTime.apply([(.at(0), 900), (.at(1_000_000_000), 100)]) == 0,
            "a counter reset counts as 0")
    }

    @Test func emptySeriesHaveNoValue() {
        for aggregate in TrialAggregate.allCases { #expect(aggregate.apply([]) == nil, "\(aggregate)") }
        #expect(TrialAggregate.change.apply([(.at(0), 7)]) == 0)
    }

    @Test func defaultsByKind() {
        #expect(TrialAggregate.default(for: .counter) == .change)
        #expect(TrialAggregate.default(for: .gauge) == .max)
        #expect(TrialAggregate.default(for: .rate) == .mean)
        #expect(TrialAggregate.default(for: .distribution) == .mean)
    }
}
