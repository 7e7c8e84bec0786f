import Testing

@testable import Analysis

@Suite struct EvidenceCheckTests {
    /// 40 TTFT samples around 412 ms before, around 1280 ms after (p99 is the largest value).
    static let before = (0..<40).map { 380 + Double($0) * (32.0 / 39.0) }
    static let after = (0..<40).map { 1200 + Double($0) * (80.0 / 39.0) }
    static let app = AppMetricSamples(
        name: "TTFT p99", unit: .milliseconds, statistic: .p99, before: before, after: after)
    static let throttled = MetricChange(
        name: "cgroup.cpu.throttled_usec", unit: .microseconds, before: 0, after: 8_200_000)
    static let flatIO = MetricChange(name: "psi.io.some_total", unit: .microseconds, before: 1000, after: 1020)

    @Test func supportedVerdictWithTheNumbers() {
        let verdict = EvidenceCheck.evaluate(app: Self.app, mechanism: Self.throttled, controls: [Self.flatIO])
        #expect(verdict.outcome == .supported)
        #expect(verdict.appBefore == 412 && verdict.appAfter == 1280)
        #expect(verdict.mechanismMoved && verdict.controlsMoved.isEmpty)
        #expect(
            verdict.text
                == "TTFT p99 rose 3.11x (412 ms -> 1280 ms, p < 0.001) while cgroup.cpu.throttled_usec rose 0 -> 8.2 s; "
                + "control psi.io.some_total stayed flat (+2 %)")
    }

    @Test func mechanismThatDidNotMoveIsNotSupported() {
        let idle = MetricChange(name: "cgroup.cpu.throttled_usec", unit: .microseconds, before: 0, after: 0)
        let verdict = EvidenceCheck.evaluate(app: Self.app, mechanism: idle, controls: [Self.flatIO])
        #expect(verdict.outcome == .notSupported)
        #expect(verdict.text.contains("cgroup.cpu.throttled_usec stayed at 0;"))
        // A mechanism moving the wrong way (fell while latency rose) does not support it either.
        let opposite = MetricChange(name: "process.majflt", unit: .count, before: 100, after: 10)
        #expect(EvidenceCheck.evaluate(app: Self.app, mechanism: opposite, controls: []).outcome == .notSupported)
    }

    @Test func controlThatMovedMakesItInconclusive() {
        let io = MetricChange(name: "psi.io.some_total", unit: .microseconds, before: 1000, after: 5000)
        let verdict = EvidenceCheck.evaluate(app: Self.app, mechanism: Self.throttled, controls: [Self.flatIO, io])
        #expect(verdict.outcome == .inconclusive)
        #expect(verdict.controlsMoved == ["psi.io.some_total"])
        #expect(verdict.text.hasSuffix("control psi.io.some_total moved (+400 %)"))
    }

    @Test func aNegligibleControlIsFlatWhateverItsRatio() {
        // I/O stall 0.2 % -> 0.9 % of the time: +350 %, but below the 1 % floor on both sides.
        let small = MetricChange(
            name: "psi.io.some_total (share of time)", unit: .percent, before: 0.2, after: 0.9, negligibleBelow: 1)
        let verdict = EvidenceCheck.evaluate(app: Self.app, mechanism: Self.throttled, controls: [small])
        #expect(verdict.outcome == .supported)
        #expect(verdict.text.hasSuffix("stayed negligible (0.2 % -> 0.9 %, below 1 %)"))
        // Crossing the floor counts as moving.
        let large = MetricChange(
            name: "psi.io.some_total (share of time)", unit: .percent, before: 0.2, after: 3, negligibleBelow: 1)
        #expect(
            EvidenceCheck.evaluate(app: Self.app, mechanism: Self.throttled, controls: [large]).outcome == .inconclusive
        )
    }

    @Test func noAppChangeIsInconclusive() {
        let same = AppMetricSamples(
            name: "ITL p99", unit: .milliseconds, statistic: .p99, before: Self.before, after: Self.before.reversed())
        let verdict = EvidenceCheck.evaluate(app: same, mechanism: Self.throttled, controls: [Self.flatIO])
        #expect(verdict.outcome == .inconclusive)
        #expect(verdict.text.hasPrefix("ITL p99 did not change significantly (412 ms -> 412 ms, p = 1)"))
    }

    @Test func mitigationDirectionIsFollowed() {
        // A mitigation: latency fell and throttling fell with it.
        let app = AppMetricSamples(
            name: "TTFT p99", unit: .milliseconds, statistic: .p99, before: Self.after, after: Self.before)
        let mechanism = MetricChange(
            name: "cgroup.cpu.throttled_usec", unit: .microseconds, before: 8_000_000, after: 1_000_000)
        let verdict = EvidenceCheck.evaluate(app: app, mechanism: mechanism, controls: [Self.flatIO])
        #expect(verdict.outcome == .supported)
        #expect(verdict.text.hasPrefix("TTFT p99 fell 3.11x (1280 ms -> 412 ms"))
    }
}
