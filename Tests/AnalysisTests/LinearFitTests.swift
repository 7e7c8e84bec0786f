import Testing

@testable import Analysis

@Suite struct LinearFitTests {
    @Test func exactLine() throws {
        let x: [Double] = [0, 1, 2, 3, 4, 5]
        let fit = try #require(LinearFit.fit(x: x, y: x.map { 2 * $0 + 1 }))
        #expect(abs(fit.slope - 2) < 1e-12)
        #expect(abs(fit.intercept - 1) < 1e-12)
        #expect(abs(fit.rSquared - 1) < 1e-12)
        let standardError = try #require(fit.slopeStandardError)
        #expect(standardError < 1e-9)
        #expect(abs(fit.predict(10) - 21) < 1e-9)
    }

    /// x 1..5, y 2 4 5 4 5: Sxx 10, Sxy 6, slope 0.6, intercept 4 - 0.6 * 3 = 2.2;
    /// residuals -0.8 0.6 1 -0.6 -0.2, SSres 2.4, SStot 6, R^2 0.6; se sqrt(2.4 / 3 / 10) = 0.28284;
    /// t(0.975, 3) = 3.18245, so the 95 % interval is 0.6 +- 0.90013.
    @Test func noisyLineWithInterval() throws {
        let fit = try #require(LinearFit.fit(x: [1, 2, 3, 4, 5], y: [2, 4, 5, 4, 5]))
        #expect(abs(fit.slope - 0.6) < 1e-12)
        #expect(abs(fit.intercept - 2.2) < 1e-12)
        #expect(abs(fit.rSquared - 0.6) < 1e-12)
        let standardError = try #require(fit.slopeStandardError)
        #expect(abs(standardError - 0.282843) < 1e-6)
        let interval = try #require(fit.slopeInterval)
        #expect(abs(interval.lower - (0.6 - 0.900128)) < 1e-5)
        #expect(abs(interval.upper - (0.6 + 0.900128)) < 1e-5)
        #expect(interval.contains(0))
    }

    @Test func studentTQuantiles() {
        #expect(abs(Distributions.studentTQuantile(0.975, df: 3) - 3.182446) < 1e-5)
        #expect(abs(Distributions.studentTQuantile(0.975, df: 10) - 2.228139) < 1e-5)
        #expect(abs(Distributions.studentTQuantile(0.5, df: 7)) < 1e-6)
    }

    @Test func degenerateInputs() throws {
        #expect(LinearFit.fit(x: [1], y: [1]) == nil)
        #expect(LinearFit.fit(x: [2, 2, 2], y: [1, 2, 3]) == nil)
        #expect(LinearFit.fit(x: [1, 2], y: [1]) == nil)
        let two = try #require(LinearFit.fit(x: [0, 1], y: [5, 7]))
        #expect(two.slope == 2 && two.slopeInterval == nil)
        let flat = try #require(LinearFit.fitAgainstIndex([4, 4, 4, 4]))
        #expect(flat.slope == 0 && flat.rSquared == 1)
    }

    @Test func perTokenLatencyTrendAgainstPosition() throws {
        // Latency grows 0.05 ms per position on top of 12 ms, with an alternating +-0.5 ms wobble.
        let latencies: [Double] = (0..<64).map { (position: Int) -> Double in
            let wobble: Double = position % 2 == 0 ? 0.5 : -0.5
            return 12 + 0.05 * Double(position) + wobble
        }
        let fit = try #require(LinearFit.fitAgainstIndex(latencies))
        let interval = try #require(fit.slopeInterval)
        #expect(interval.contains(0.05))
        #expect(interval.lower > 0)
    }
}
