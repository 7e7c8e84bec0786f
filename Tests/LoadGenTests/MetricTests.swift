import InferLabCore
import LoadGen
import Testing

@Suite("Metric formulas on hand-built event lists")
struct MetricTests {
    /// t_sched 0, t_send 2 ms; content at 102, 112, 125, 135 ms; usage 136; [DONE] 137.
    static func record(usage: Int? = 4) -> RequestRecord {
        var r = RequestRecord(step: 0, seq: 0, corpusId: "x", lengthClass: "short", scheduled: .zero, sent: at(ms: 2))
        r.events = [
            StreamEvent(time: at(ms: 50), kind: .other),  // role-only delta: not content
            StreamEvent(time: at(ms: 102), kind: .content), StreamEvent(time: at(ms: 112), kind: .content),
            StreamEvent(time: at(ms: 125), kind: .content), StreamEvent(time: at(ms: 135), kind: .content),
            StreamEvent(time: at(ms: 136), kind: .usage), StreamEvent(time: at(ms: 137), kind: .done),
        ]
        r.usageCompletionTokens = usage
        r.finished = at(ms: 137)
        return r
    }

    @Test("lag, TTFT, ITL, E2E, TPOT, decode rate")
    func formulas() throws {
        let r = Self.record()
        #expect(r.lagMs == 2)
        #expect(r.ttftMs == 100)
        #expect(r.interTokenLatenciesMs == [10, 13, 10])
        #expect(r.e2eMs == 135)
        #expect(r.e2eFromScheduledMs == 137)
        #expect(r.outputTokens == 4 && r.outputTokenSource == .usage)
        #expect(try #require(r.tpotMs) == (135.0 - 100.0) / 3.0)
        #expect(abs(try #require(r.clientDecodeTokensPerSecond) - 3.0 / 0.033) < 1e-9)
    }

    @Test("without usage the tokens are counted from content events; usage wins when it differs")
    func tokenSource() {
        let events = Self.record(usage: nil)
        #expect(events.outputTokens == 4 && events.outputTokenSource == .events)
        let merged = Self.record(usage: 8)  // e.g. two tokens per chunk
        #expect(merged.outputTokens == 8)
        #expect(merged.tpotMs == 35.0 / 7.0)
    }

    @Test("one token: TPOT undefined; failed request: no E2E, no TPOT")
    func undefined() {
        var one = RequestRecord(step: 0, seq: 0, corpusId: "x", lengthClass: "", scheduled: .zero, sent: .zero)
        one.events = [StreamEvent(time: at(ms: 5), kind: .content), StreamEvent(time: at(ms: 6), kind: .done)]
        #expect(one.tpotMs == nil)
        #expect(one.ttftMs == 5)
        #expect(one.interTokenLatenciesMs.isEmpty)
        var failed = Self.record()
        failed.errorClass = .malformedStream
        #expect(failed.e2eMs == nil && failed.tpotMs == nil)
        #expect(!failed.meets(ServiceLevelObjectives()))
    }

    @Test("SLO parsing and checking")
    func slo() throws {
        let slo = try ServiceLevelObjectives.parse("ttft=500ms,tpot=0.1s")
        #expect(slo.ttftMs == 500 && slo.tpotMs == 100 && slo.e2eMs == nil)
        #expect(Self.record().meets(slo))
        #expect(!Self.record().meets(try ServiceLevelObjectives.parse("ttft=99")))
        #expect(!Self.record().meets(ServiceLevelObjectives(tpotMs: 11)))
        #expect(throws: LoadGenError.self) { try ServiceLevelObjectives.parse("ttft=-5ms") }
        #expect(throws: LoadGenError.self) { try ServiceLevelObjectives.parse("latency=5ms") }
        #expect(throws: LoadGenError.self) { try ServiceLevelObjectives.parse("ttft") }
    }

    @Test("summary: counts, percentiles, throughput, goodput, errors by class")
    func summary() throws {
        var records = (0..<9).map { i -> RequestRecord in
            var r = Self.record()
            r.seq = i
            return r
        }
        var slow = Self.record()
        slow.events[1].time = at(ms: 700)  // TTFT 698 ms > 500 ms SLO
        slow.events =
            [slow.events[0], slow.events[1]] + [
                StreamEvent(time: at(ms: 710), kind: .content), StreamEvent(time: at(ms: 720), kind: .content),
                StreamEvent(time: at(ms: 730), kind: .content), StreamEvent(time: at(ms: 731), kind: .done),
            ]
        records.append(slow)
        var failed = Self.record(usage: nil)
        failed.errorClass = .connect
        failed.events = []
        records.append(failed)
        let s = BenchSummary(
            records: records, windowStart: .zero, windowEnd: at(ms: 2000), slo: ServiceLevelObjectives(ttftMs: 500))
        #expect(s.requests.completed == 10 && s.requests.failed == 1 && s.requests.total == 11)
        #expect(s.errors == ["connect": 1])
        #expect(s.outputTokens == 40)
        #expect(s.outputTokensPerS == 20)
        #expect(s.requestsPerS == 5)
        #expect(s.goodputRequestsPerS == 4.5)
        #expect(s.ttftMs.count == 10)
        #expect(abs(s.ttftMs.p50 - 100) < 0.1)
        #expect(abs(s.ttftMs.max - 698) < 0.7)  // HdrHistogram: 3 significant digits
        #expect(s.itlMs.count == 30)
        #expect(abs(s.itlMs.max - 13) < 0.02)
        #expect(s.tokenCountSource == "usage")
        let json = String(decoding: try JSONEncoder().encode(s), as: UTF8.self)
        for key in [
            "\"requests\"", "\"completed\"", "\"failed\"", "\"ttft_ms\"", "\"itl_ms\"", "\"tpot_ms\"", "\"e2e_ms\"",
            "\"p50\"", "\"p90\"", "\"p95\"", "\"p99\"", "\"max\"", "\"output_tokens_per_s\"", "\"requests_per_s\"",
            "\"goodput_requests_per_s\"", "\"errors\"", "\"token_count_source\"",
        ] {
            #expect(json.contains(key), "missing \(key)")
        }
    }

    @Test("an all-failed window has zeroed percentiles, not a crash")
    func allFailed() {
        var failed = Self.record()
        failed.errorClass = .timeout
        let s = BenchSummary(
            records: [failed], windowStart: .zero, windowEnd: at(ms: 1000), slo: ServiceLevelObjectives())
        #expect(s.requests.completed == 0 && s.requests.failed == 1)
        #expect(s.ttftMs.count == 0 && s.ttftMs.p99 == 0)
        #expect(s.errors == ["timeout": 1])
    }
}

import Foundation

/// The instant `ms` milliseconds after the clock's origin.
private func at(ms: Int) -> MonotonicInstant { .zero + .milliseconds(ms) }
