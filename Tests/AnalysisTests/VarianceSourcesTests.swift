import Testing

@testable import Analysis

@Suite struct VarianceSourcesTests {
    /// 200 gaps of 20 ms of own decode; every 50th also waits 30 ms on the run queue with 25 ms of
    /// barrier straggling inside, and every 50th (others) has 10 ms of another request's prompt.
    func gaps() -> [VarianceSources.Gap] {
        (0..<200).map { index in
            var components = ComponentTimes()
            components[.decodeOwn] = 20
            var straggling = 0.0
            if index % 50 == 49 {
                components[.runqueueWait] = 30
                straggling = 25
            }
            if index % 50 == 24 { components[.decodeOtherPrefill] = 10 }
            return VarianceSources.Gap(milliseconds: components.total, components: components, stragglingMs: straggling)
        }
    }

    @Test func theTailIsSharedByItsCausesAndConcurrencyRanksFirst() throws {
        let table = try #require(VarianceSources.table(gaps()))
        #expect(table.p50Ms == 20)
        #expect(table.p99Ms >= 50)
        let runQueue = try #require(table.rows.first { $0.source == "run-queue wait" })
        // The tail is the four 50 ms gaps (at or above the p99): all of their 30 ms excess is
        // run-queue wait.
        #expect(table.tailGaps == 4)
        #expect(abs((runQueue.share ?? 0) - 1) < 1e-9)
        #expect(table.ranking.first == .concurrency)
        #expect(table.ranking.last == .other)
        let straggling = try #require(table.rows.first { $0.source.contains("barrier straggling") })
        #expect(straggling.share == nil, "a part of the rows above, not added")
        #expect(abs((straggling.excessMs ?? 0) - 25) < 1e-9)
        #expect(straggling.note.hasPrefix("83 %"))
        let own = try #require(table.rows.first { $0.category == .algorithmic && $0.source.hasPrefix("KV depth") })
        #expect(own.share == 0, "every gap has the same own decode: none of the tail")
    }

    @Test func aTailOfPromptChunksIsAlgorithmic() throws {
        let gaps: [VarianceSources.Gap] = (0..<100).map { index in
            var components = ComponentTimes()
            components[.decodeOwn] = 20
            if index % 10 == 0 { components[.decodeOtherPrefill] = 80 }
            return VarianceSources.Gap(milliseconds: components.total, components: components)
        }
        let table = try #require(VarianceSources.table(gaps))
        #expect(table.ranking.first == .algorithmic)
        let straggling = try #require(table.rows.first { $0.source == "barrier straggling" })
        #expect(straggling.note.hasPrefix("not measured"))
    }

    @Test func unmeasurableRowsSayWhyAndTooFewGapsGiveNoTable() throws {
        let table = try #require(
            VarianceSources.table(gaps(), context: .init(steal: 0.004, allocationsPerToken: 0, frequencyExposed: false))
        )
        let frequency = try #require(table.rows.first { $0.source == "CPU frequency" })
        #expect(frequency.share == nil && frequency.note.hasPrefix("not measurable here"))
        #expect(table.rows.first { $0.source.hasPrefix("steal") }?.note.hasPrefix("0.40 %") == true)
        #expect(table.rows.first { $0.source == "allocation" }?.note.hasPrefix("0.00 allocations") == true)
        #expect(VarianceSources.table(Array(gaps().prefix(10))) == nil)
    }
}
