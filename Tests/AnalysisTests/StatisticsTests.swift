import InferLabCore
import Testing

@testable import Analysis

@Suite struct StatisticsTests {
    @Test func meanVarianceAndCV() throws {
        // 10, 12, 14: mean 12, sample variance (4 + 0 + 4) / 2 = 4, sd 2, CV 2 / 12.
        #expect(Statistics.mean([10, 12, 14]) == 12)
        #expect(Statistics.variance([10, 12, 14]) == 4)
        let cv = try #require(Statistics.coefficientOfVariation([10, 12, 14]))
        #expect(abs(cv - 1.0 / 6.0) < 1e-12)
        #expect(Statistics.coefficientOfVariation([5]) == nil)
        #expect(Statistics.coefficientOfVariation([0, 0]) == nil)
        #expect(Statistics.coefficientOfVariation([7, 7, 7]) == 0)
    }

    @Test func nearestRankPercentiles() throws {
        let values = (1...100).map(Double.init).shuffled()
        #expect(Statistics.percentile(values, 50) == 50)
        #expect(Statistics.percentile(values, 99) == 99)
        #expect(Statistics.percentile(values, 99.5) == 100)
        #expect(Statistics.percentile(values, 0) == 1)
        #expect(Statistics.percentile([3, 1, 2], 50) == 2)
        #expect(Statistics.percentile([], 50) == nil)
        let summary = try #require(PercentileSummary.of([4, 1, 3, 2]))
        #expect(summary.count == 4 && summary.min == 1 && summary.max == 4 && summary.mean == 2.5)
        #expect(summary.p50 == 2)  // rank ceil(0.5 * 4) = 2
        #expect(summary.p95 == 4)
        #expect(SummaryStatistic.mean.compute([1, 2, 6]) == 3)
    }

    @Test func unitFormatting() {
        #expect(MetricUnit.milliseconds.format(412) == "412 ms")
        #expect(MetricUnit.milliseconds.format(1280) == "1280 ms")
        #expect(MetricUnit.microseconds.format(8_200_000) == "8.2 s")
        #expect(MetricUnit.microseconds.format(0) == "0")
        #expect(MetricUnit.bytes.format(1.5 * 1024 * 1024 * 1024) == "1.5 GiB")
        #expect(MetricUnit.count.format(12_345) == "12.3k")
        #expect(MetricUnit.number(3.14159) == "3.14")
        #expect(MetricUnit.number(0.012345) == "0.0123")
        #expect(MetricUnit.number(-0.0001) == "-0.0001")
    }
}

/// The CV's interval across repetitions (normal theory, χ²): known quantiles, and the claim the
/// precision rule rests on, that three repetitions cannot bound a 15 % CV.
@Suite struct CVIntervalTests {
    @Test func chiSquareQuantilesMatchTables() {
        // Tabulated: χ²(0.025, 2) = 0.0506, χ²(0.975, 2) = 7.378, χ²(0.025, 9) = 2.700, χ²(0.975, 9) = 19.023.
        #expect(abs(ChiSquare.quantile(0.025, df: 2) - 0.0506) < 1e-3)
        #expect(abs(ChiSquare.quantile(0.975, df: 2) - 7.378) < 1e-3)
        #expect(abs(ChiSquare.quantile(0.025, df: 9) - 2.700) < 1e-3)
        #expect(abs(ChiSquare.quantile(0.975, df: 9) - 19.023) < 1e-3)
        #expect(abs(ChiSquare.quantile(0.5, df: 30) - 29.336) < 1e-2)
    }

    @Test func threeRepetitionsCannotBoundAFifteenPercentCV() throws {
        let interval = try #require(CVInterval.of([85, 100, 115]))
        #expect(abs(interval.estimate - 0.15) < 1e-9)
        #expect(interval.lower < 0.08 && interval.upper > 0.9)
        // The interval narrows with n: ten repetitions of a 15 % CV still span ~17 points.
        #expect(abs(CVInterval.width(cv: 0.15, n: 10) - 0.15 * (1.826 - 0.688)) < 2e-3)
        #expect(CVInterval.width(cv: 0.05, n: 6) < 0.10 && CVInterval.width(cv: 0.05, n: 5) > 0.10)
    }

    @Test func needsMoreStopsAtTheWidthOrTheCap() {
        let tight = [100.0, 101, 99, 100.5, 99.5]
        let loose = [80.0, 120, 95, 110, 90]
        #expect(!CVInterval.needsMore([tight], width: 0.05, cap: 10))
        #expect(CVInterval.needsMore([tight, loose], width: 0.05, cap: 10))
        #expect(!CVInterval.needsMore([loose], width: 0.05, cap: 5))
        #expect(CVInterval.needsMore([[100]], width: 0.5, cap: 10))
        #expect(CVInterval.of([5]) == nil && CVInterval.of([0, 0]) == nil)
    }
}
