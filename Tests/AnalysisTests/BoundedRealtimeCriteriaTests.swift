import Testing

@testable import Analysis

@Suite struct BoundedRealtimeCriteriaTests {
    static let provenance = Dictionary(
        uniqueKeysWithValues: BoundedRealtimeCriteria.defaultProvenanceKeys.map { ($0, "x") })

    @Test func allFivePass() throws {
        let input = BoundedRealtimeInput(
            p99PerRepetition: [10, 11, 12],  // CV 1 / 11 = 9.09 %
            peakRSSPerRepetition: [100, 101, 102],  // CV 0.99 %
            degradationLoad: [0, 25, 50, 75], degradationLatency: [10, 12.6, 15, 17.4],
            p99PerRepetitionBySampler: ["greedy": [10, 11, 12], "top-k": [10, 10.5, 11]],  // 9.09 % vs 4.76 %
            provenance: Self.provenance)
        let results = BoundedRealtimeCriteria().evaluate(input)
        #expect(results.map(\.id) == ["p99_cv", "rss_cv", "degradation_linear", "sampler_cv_difference", "provenance"])
        #expect(results.allSatisfy { $0.passed })
        #expect(results[0].figure == "9.09 % (3 repetitions)")
        let difference = try #require(results[3].value)
        #expect(abs(difference - (1.0 / 11.0 - 0.5 / 10.5)) < 1e-12)
        #expect(results[4].figure == "10/10 fields")
    }

    @Test func failuresSayWhy() throws {
        var provenance = Self.provenance
        provenance["model_sha256"] = ""
        provenance.removeValue(forKey: "kernel")
        let input = BoundedRealtimeInput(
            p99PerRepetition: [10, 20, 30],  // CV 50 %
            peakRSSPerRepetition: [100],  // one repetition: not computable
            degradationLoad: [0, 25, 50, 75], degradationLatency: [10, 10, 10, 40],  // a knee: R^2 0.6
            p99PerRepetitionBySampler: ["greedy": [10, 11, 12]],
            provenance: provenance)
        let results = BoundedRealtimeCriteria().evaluate(input)
        #expect(results.allSatisfy { !$0.passed })
        #expect(results[0].figure == "50 % (3 repetitions)")
        #expect(results[1].figure == "not computable (1 repetitions, need 2)")
        let rSquared = try #require(results[2].value)
        #expect(abs(rSquared - 0.6) < 1e-12)
        #expect(results[3].value == nil)
        #expect(results[4].figure == "8/10 fields; missing model_sha256, kernel")
    }
}
