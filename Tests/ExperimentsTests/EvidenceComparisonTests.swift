import InferLabCore
import LoadGen
import Testing

@testable import ExperimentFile
@testable import Experiments

/// Which levels the report's evidence section judges against which.
@Suite struct EvidenceComparisonTests {
    static let evidence =
        "evidence: {app: [ttft.p99], mechanism: [cgroup.cpu.throttled_usec], control: [psi.io.some_total]"

    @Test func withoutDeclaredPairsTheFirstLevelIsTheBaselineOfEachOther() throws {
        let spec = try ExperimentSpec.parse(
            yaml: """
                name: quota
                engine: {kind: inferlab}
                matrix: {cpu_quota: [none, 1.0, 0.5]}
                \(Self.evidence)}
                """)
        let pairs = RunReport.comparedLevels(spec, present: [0, 1, 2])
        #expect(pairs.map(\.before) == [0, 0])
        #expect(pairs.map(\.after) == [1, 2])
    }

    @Test func declaredPairsAreJudgedAndNothingElse() throws {
        let spec = try ExperimentSpec.parse(
            yaml: """
                name: mitigations
                engine: {kind: inferlab}
                variants:
                  - {name: threads-2, cpu_quota: 1.0, threads: 2}
                  - {name: threads-1, cpu_quota: 1.0, threads: 1}
                  - {name: cache-off, prefix_cache: off}
                  - {name: cache-on, prefix_cache: on}
                \(Self.evidence),
                  comparisons: [{before: threads-2, after: threads-1},
                                {before: cache-off, after: cache-on, mechanism: [process.utime_ms]}]}
                """)
        try spec.validate()
        let pairs = RunReport.comparedLevels(spec, present: [0, 1, 2, 3])
        #expect(pairs.map(\.before) == [0, 2])
        #expect(pairs.map(\.after) == [1, 3])
        // The second pair is judged against its own mechanism, the first against the experiment's.
        #expect(pairs.map(\.mechanism) == [nil, ["process.utime_ms"]])
    }

    @Test func aComparisonsMechanismMustBeAnOSMetric() throws {
        let error = try #require(throws: ConfigurationError.self) {
            let spec = try ExperimentSpec.parse(
                yaml: """
                    name: bad
                    engine: {kind: inferlab}
                    variants: [{name: a}, {name: b, threads: 1}]
                    \(Self.evidence), comparisons: [{before: a, after: b, mechanism: [ttft.p99]}]}
                    """)
            try spec.validate()
        }
        #expect(error.field == "evidence.comparisons[0].mechanism[0]")
    }

    @Test func aVariantNameStandsForEachOfItsMatrixLevelsInOrder() throws {
        let spec = try ExperimentSpec.parse(
            yaml: """
                name: pinning
                engine: {kind: inferlab}
                variants: [{name: free}, {name: pinned, cpus: "0"}]
                matrix: {concurrency: [1, 4]}
                \(Self.evidence), comparisons: [{before: free, after: pinned}]}
                """)
        // Levels: free c=1, free c=4, pinned c=1, pinned c=4.
        let pairs = RunReport.comparedLevels(spec, present: [0, 1, 2, 3])
        #expect(pairs.map(\.before) == [0, 1])
        #expect(pairs.map(\.after) == [2, 3])
        let labels = spec.levels.map { Trial.label(variant: $0.variant, settings: $0.settings) }
        #expect(labels[0] == "free concurrency=1")
        #expect(labels[3].hasPrefix("pinned"))
    }
}
