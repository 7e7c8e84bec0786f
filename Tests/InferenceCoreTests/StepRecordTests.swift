import Foundation
import InferLabCore
import InferenceCore
import Testing

/// The step log's line: what `--step-log` writes and what the run store and the analysis read.
@Suite struct StepRecordTests {
    let step = StepRecord(
        index: 7, start: MonotonicInstant(nanoseconds: 81_234_567_890), durationMilliseconds: 12.3456789,
        decodeTokens: 2, promptTokens: 64, promptSequences: 1, running: 3, waiting: 1,
        requests: [
            StepShare(id: "cmpl-a", decode: 1, prompt: 0), StepShare(id: "chatcmpl-b", decode: 0, prompt: 64),
            StepShare(id: "cmpl-c", decode: 1, prompt: 0),
        ])

    @Test func aLineWithSharesReadsBackAsTheRecord() throws {
        let line = step.jsonLine
        #expect(line.last == UInt8(ascii: "\n"))
        #expect(
            String(decoding: line, as: UTF8.self)
                == #"{"index":7,"start_ns":81234567890,"duration_ms":12.346,"decode_tokens":2,"prompt_tokens":64,"#
                + #""prompt_sequences":1,"running":3,"waiting":1,"requests":[{"id":"cmpl-a","decode":1,"prompt":0},"#
                + #"{"id":"chatcmpl-b","decode":0,"prompt":64},{"id":"cmpl-c","decode":1,"prompt":0}]}"# + "\n")
        let decoded = try JSONDecoder().decode(StepRecord.self, from: Data(line))
        #expect(decoded == step)
        #expect(decoded.requests.map(\.id) == ["cmpl-a", "chatcmpl-b", "cmpl-c"])
    }

    /// A step log written before `index` and `requests` existed (inferlab 0.2) still reads.
    @Test func aLineWithoutIndexAndRequestsReadsAsIndexZeroWithNoShares() throws {
        let old =
            #"{"start_ns":5000,"duration_ms":7.5,"decode_tokens":3,"prompt_tokens":0,"prompt_sequences":0,"#
            + #""running":3,"waiting":0}"#
        let decoded = try JSONDecoder().decode(StepRecord.self, from: Data(old.utf8))
        #expect(decoded.index == 0 && decoded.requests.isEmpty)
        #expect(decoded.start == MonotonicInstant(nanoseconds: 5000) && decoded.decodeTokens == 3)
        #expect(decoded.durationMilliseconds == 7.5 && decoded.running == 3)
    }

    @Test func aLineMissingAnOlderKeyIsStillAnError() {
        let broken =
            #"{"index":1,"start_ns":5000,"duration_ms":7.5,"prompt_tokens":0,"prompt_sequences":0,"#
            + #""running":3,"waiting":0,"requests":[]}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(StepRecord.self, from: Data(broken.utf8)) }
    }
}
