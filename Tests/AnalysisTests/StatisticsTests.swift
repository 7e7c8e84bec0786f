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
