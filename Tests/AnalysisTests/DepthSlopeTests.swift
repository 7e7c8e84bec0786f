import Testing

@testable import Analysis

@Suite struct DepthSlopeTests {
    /// A deterministic generator (SplitMix64) for noise that is the same on every run.
    struct SplitMix {
        var state: UInt64
        mutating func next() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
        }
    }

    /// x 1..5, y 2 4 5 4 5. The ten pairwise slopes sorted: -1 0 0 1/3 2/3 3/4 1 1 3/2 2, so the
    /// slope is (2/3 + 3/4) / 2 = 17/24; y - 17/24 x is 31/24 62/24 69/24 28/24 35/24, median 35/24.
    @Test func handComputedTheilSen() throws {
        let fit = try #require(DepthSlope.fit(depths: [1, 2, 3, 4, 5], milliseconds: [2, 4, 5, 4, 5], skipFirst: 0))
        #expect(abs(fit.millisecondsPerThousandCells - 17.0 / 24 * 1000) < 1e-9)
        #expect(abs(fit.millisecondsAtDepthZero - 35.0 / 24) < 1e-9)
        #expect(fit.tokens == 5)
        #expect(fit.skipped == 0)
        #expect(fit.stalls == 0)
        #expect(abs(fit.predict(depth: 3) - (35.0 / 24 + 3 * 17.0 / 24)) < 1e-9)
    }

    @Test func anExactLineIsRecoveredWithR2One() throws {
        let depths = (0..<200).map { Double(1000 + $0) }
        let fit = try #require(DepthSlope.fit(depths: depths, milliseconds: depths.map { 8 + 0.002 * $0 }))
        #expect(abs(fit.millisecondsPerThousandCells - 2) < 1e-9)
        #expect(abs(fit.millisecondsAtDepthZero - 8) < 1e-9)
        #expect(abs(fit.rSquared - 1) < 1e-9)
        #expect(fit.residualSpread < 1e-9)
        #expect(fit.tokens == 196)
        #expect(fit.skipped == 4)
        #expect(fit.stalls == 0)
    }

    /// 2 ms per 1k cells from 8 ms, uniform noise of ±0.5 ms, slow first steps, and a burst of
    /// +20 ms stalls on 10 % of the steps near the end (a neighbour's build): the line is
    /// recovered, its interval holds the true slope, while least squares reads the burst as a
    /// slope several times too steep (and Theil–Sen alone as one a fifth too steep).
    @Test func aKnownSlopeIsRecoveredThroughNoiseAndABurstOfStalls() throws {
        var random = SplitMix(state: 17)
        let depths = (0..<1024).map { Double(64 + $0) }
        var milliseconds = depths.map { 8 + 0.002 * $0 + (random.next() - 0.5) }
        for i in 0..<4 { milliseconds[i] += 30 }
        for i in 900..<1024 where random.next() < 0.8 { milliseconds[i] += 20 }
        let fit = try #require(DepthSlope.fit(depths: depths, milliseconds: milliseconds))
        #expect(abs(fit.millisecondsPerThousandCells - 2) < 0.3, "\(fit)")
        #expect(abs(fit.millisecondsAtDepthZero - 8) < 0.2, "\(fit)")
        #expect(fit.interval.contains(2), "\(fit.interval)")
        #expect(fit.interval.lower > 0)
        #expect(fit.residualSpread < 0.4)
        #expect(fit.stalls >= 80 && fit.stalls <= 124, "\(fit.stalls) stalls")
        let leastSquares = try #require(
            LinearFit.fit(x: Array(depths.dropFirst(4)), y: Array(milliseconds.dropFirst(4))))
        #expect(leastSquares.slope * 1000 > 10, "least squares: \(leastSquares.slope * 1000) ms per 1k")
    }

    @Test func noTrendGivesAnIntervalAroundZero() throws {
        var random = SplitMix(state: 5)
        let depths = (0..<300).map { Double($0) }
        let fit = try #require(DepthSlope.fit(depths: depths, milliseconds: depths.map { _ in 10 + random.next() }))
        #expect(fit.interval.contains(0), "\(fit.interval)")
        #expect(fit.rSquared < 0.1)
    }

    /// Past `maxPoints` the steps are pooled into bins; the slope survives.
    @Test func aLongRunIsPooled() throws {
        var random = SplitMix(state: 99)
        let depths = (0..<5000).map { Double($0) }
        let milliseconds = depths.map { 5 + 0.003 * $0 + 2 * (random.next() - 0.5) }
        let fit = try #require(DepthSlope.fit(depths: depths, milliseconds: milliseconds, maxPoints: 500))
        #expect(abs(fit.millisecondsPerThousandCells - 3) < 0.1, "\(fit)")
        #expect(fit.tokens == 4996)
        let (x, y) = DepthSlope.pooled(x: [0, 1, 2, 3, 4, 5, 6], y: [1, 9, 2, 3, 3, 7, 4], bins: 3)
        #expect(x == [0.5, 2.5, 5])
        #expect(y == [5, 2.5, 4])
    }

    @Test func degenerateInputsHaveNoLine() {
        #expect(DepthSlope.fit(depths: [1, 2], milliseconds: [1, 2], skipFirst: 0) == nil)
        #expect(DepthSlope.fit(depths: [1, 2, 3, 4, 5, 6], milliseconds: [1, 2, 3, 4, 5, 6]) == nil)
        #expect(DepthSlope.fit(depths: [1, 2, 3], milliseconds: [1, 2], skipFirst: 0) == nil)
        #expect(DepthSlope.fit(depths: [7, 7, 7, 7], milliseconds: [1, 2, 3, 4], skipFirst: 0) == nil)
    }

    @Test func normalQuantiles() {
        #expect(abs(DepthSlope.normalQuantile(0.975) - 1.959964) < 1e-5)
        #expect(abs(DepthSlope.normalQuantile(0.5)) < 1e-9)
    }
}
