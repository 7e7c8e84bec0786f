import InferenceCore
import MetricCatalog
@testable import SystemProbe
import TestSupport
import Testing

@Suite struct ReadingTests {
    /// Samples 1 s apart; the second lacks the slow readings (RSS, residency, PSI).
    static let samples: [ProbeSample] = {
        var first = ProbeSample(time: .at(1_000_000_000), elapsedMs: 0)
        first.majflt = 40
        first.rssBytes = 100 << 20
        first.fileResidentFraction = 1
        first.psiIoSomeTotalUs = 1_000
        first.sysCpuUserFraction = 0.9
        first.utimeMs = 0
        var second = ProbeSample(time: .at(2_000_000_000), elapsedMs: 1000)
        second.majflt = 42
        second.sysCpuUserFraction = 0.5
        second.utimeMs = 500
        var third = ProbeSample(time: .at(3_000_000_000), elapsedMs: 2000)
        third.majflt = 52
        third.rssBytes = 120 << 20
        third.fileResidentFraction = 0.25
        third.psiIoSomeTotalUs = 201_000
        third.sysCpuUserFraction = 0.5
        third.utimeMs = 1000
        return [first, second, third]
    }()

    @Test func aProbeReadingReadsItsField() throws {
        guard case .probe(let read) = Metric.processMajorFaults.reading else {
            Issue.record("process.majflt is a probe reading")
            return
        }
        #expect(read(Self.samples[1]) == 42)
        #expect(read(ProbeSample(time: .at(0), elapsedMs: 0)) == nil, "absent stays absent")
        #expect(Metric.processMajorFaults.series(Self.samples).map(\.value) == [40, 42, 52])
        #expect(
            Metric.processRSS.series(Self.samples).map(\.time) == [.at(1_000_000_000), .at(3_000_000_000)],
            "gaps skipped")
    }

    @Test func trialValuesGoThroughTheAggregate() {
        #expect(Metric.processMajorFaults.trialValue(Self.samples, onlineCPUs: 2) == 12)
        #expect(Metric.processRSS.trialValue(Self.samples, onlineCPUs: 2) == Double(120 << 20))
        #expect(Metric.modelFileResidency.trialValue(Self.samples, onlineCPUs: 2) == 0.25)
        // 200 ms stalled over 2 s.
        #expect(Metric.pressureIOSome.trialValue(Self.samples, onlineCPUs: 2) == 10)
        #expect(Metric.ttft.trialValue(Self.samples, onlineCPUs: 2) == nil, "not a probe reading")
    }

    @Test func otherCPUCoresIsTheMachinesUserCPULessTheEngines() throws {
        // Half of 2 CPUs in user mode after the first sample (1 core), the engine 0.5 cores of it.
        let other = try #require(Metric.otherCPUCores.trialValue(Self.samples, onlineCPUs: 2))
        #expect(abs(other - 0.5) < 1e-9)
        #expect(Metric.TrialMeasure.otherCPUCores(in: Array(Self.samples.prefix(2)), onlineCPUs: 2) == nil)
        #expect(Metric.TrialMeasure.otherCPUCores(in: Self.samples, onlineCPUs: 1) == 0, "never below 0")
    }

    @Test func threadReadingsArePerThread() {
        var sample = ProbeSample(time: .at(5), elapsedMs: 0)
        sample.threads = [
            ThreadSample(tid: 7, comm: "a", state: "R", cpuMilliseconds: 10, cpuCores: 0.9),
            ThreadSample(tid: 8, comm: "b", state: "S", cpuMilliseconds: 3),
        ]
        let series = Metric.threadCPUCores.threadSeries([sample])
        #expect(series.keys.sorted() == [7])
        #expect(series[7]?.map(\.value) == [0.9])
        #expect(Metric.threadCPUTime.threadSeries([sample])[8]?.first?.value == 3)
        #expect(Metric.processRSS.threadSeries([sample]).isEmpty)
    }

    @Test func stepReadingsAreAtEachStepsStart() {
        let steps = [
            StepRecord(
                start: .at(100), durationMilliseconds: 7.5, decodeTokens: 3, promptTokens: 256,
                promptSequences: 1,
                running: 4, waiting: 2),
            StepRecord(
                start: .at(200), durationMilliseconds: 9, decodeTokens: 4, promptTokens: 0, promptSequences: 0,
                running: 4, waiting: 0),
        ]
        #expect(Metric.engineStepDuration.series(steps).map(\.value) == [7.5, 9])
        #expect(Metric.engineStepPromptTokens.series(steps).map(\.time) == [.at(100), .at(200)])
        #expect(Metric.engineWaiting.aggregate.apply(Metric.engineWaiting.series(steps)) == 2)
    }
}
