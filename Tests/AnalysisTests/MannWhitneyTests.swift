import Testing

@testable import Analysis

@Suite struct MannWhitneyTests {
    /// Complete separation, n1 = n2 = 5: U1 = 0, mean 12.5, sd sqrt(25 * 11 / 12) = 4.7871,
    /// z = (0 - 12.5 + 0.5) / 4.7871 = -2.5067, two-sided p = 0.012186 (scipy asymptotic agrees).
    @Test func completeSeparation() throws {
        let result = try #require(MannWhitney.test([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]))
        #expect(result.u1 == 0)
        #expect(result.u2 == 25)
        #expect(abs(result.z - -2.5067) < 1e-4)
        #expect(abs(result.pValue - 0.0121858) < 1e-6)
        #expect(result.probabilityOfSuperiority == 1)
    }

    /// With ties. Pooled ranks: 1 -> 1; the three 2s -> 3; the two 3s -> 5.5; 4 -> 7; 5 -> 8;
    /// the two 6s -> 9.5. R1 = 1 + 3 + 3 + 5.5 + 7 = 19.5, U1 = 19.5 - 15 = 4.5.
    /// Tie term (27 - 3) + (8 - 2) + (8 - 2) = 36; variance 25 / 12 * (11 - 36 / 90) = 22.083;
    /// z = (4.5 - 12.5 + 0.5) / 4.6993 = -1.596; p = 0.11049.
    @Test func tiesUseTheCorrectedVariance() throws {
        let result = try #require(MannWhitney.test([1, 2, 2, 3, 4], [2, 3, 5, 6, 6]))
        #expect(result.u1 == 4.5)
        #expect(result.u2 == 20.5)
        #expect(abs(result.pValue - 0.110492) < 1e-5)
        let swapped = try #require(MannWhitney.test([2, 3, 5, 6, 6], [1, 2, 2, 3, 4]))
        #expect(swapped.u1 == 20.5)
        #expect(abs(swapped.pValue - result.pValue) < 1e-12)
    }

    @Test func identicalSamplesAndEmptyInput() throws {
        let same = try #require(MannWhitney.test([3, 3, 3], [3, 3]))
        #expect(same.pValue == 1)
        #expect(same.z == 0)
        #expect(MannWhitney.test([], [1]) == nil)
    }
}
