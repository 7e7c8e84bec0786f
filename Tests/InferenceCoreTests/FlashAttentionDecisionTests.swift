import Foundation
import InferLabCore
import Testing

@testable import InferenceCore

@Suite struct FlashAttentionDecisionTests {
    typealias Point = FlashAttentionMeasurement.DecodePoint

    /// This machine's shape (llama-bench, NOTES.md): the kernel prefills faster, decodes slower
    /// the deeper the cache.
    let off = FlashAttentionMeasurement(
        setting: .off, prefillTokensPerSecond: 300,
        decode: [
            Point(depth: 6, milliseconds: 12), Point(depth: 516, milliseconds: 16),
            Point(depth: 1028, milliseconds: 19),
        ])
    let on = FlashAttentionMeasurement(
        setting: .on, prefillTokensPerSecond: 330,
        decode: [
            Point(depth: 6, milliseconds: 11), Point(depth: 516, milliseconds: 17),
            Point(depth: 1028, milliseconds: 23),
        ])

    @Test func decodeCostIsInterpolatedBetweenDepthsAndExtrapolatedBeyond() {
        #expect(abs(off.decodeMilliseconds(atDepth: 261) - 14) < 1e-9)
        #expect(abs(off.decodeMilliseconds(atDepth: 1028) - 19) < 1e-9)
        // Beyond the deepest point: the last segment's slope (3 ms per 512 cells).
        #expect(abs(off.decodeMilliseconds(atDepth: 1540) - 22) < 1e-9)
        #expect(off.decodeMilliseconds(atDepth: 0) > 11.9 && off.decodeMilliseconds(atDepth: 0) < 12)
    }

    @Test func theCheaperSettingPerTokenOfTheWorkloadWins() {
        // Shallow and prompt-heavy: the kernel's faster prefill wins.
        let shallow = FlashAttentionDecision(measurements: [off, on], depth: 16, promptShare: 0.9, cached: false)
        #expect(shallow.chosen == .on)
        // Deep and decode-heavy: off.
        let deep = FlashAttentionDecision(measurements: [off, on], depth: 2048, promptShare: 0.5, cached: true)
        #expect(FlashAttentionDecision(measurements: [off, on], depth: 2048, cached: true).promptShare == 0.8)
        #expect(deep.chosen == .off)
        #expect(deep.requested == .auto && deep.cached)
        #expect(deep.summary.hasPrefix("off (auto, cached for depth 2048 and 50 % prompt tokens: off: prefill 300"))
    }

    @Test func offMustWinByTheMarginOrOnIsKept() {
        // 3 % cheaper is within the calibration's noise: llama.cpp's default stays.
        let close = FlashAttentionMeasurement(
            setting: .off, prefillTokensPerSecond: 1000 / (5.0 * 0.97),
            decode: [Point(depth: 0, milliseconds: 5.0 * 0.97)])
        let reference = FlashAttentionMeasurement(
            setting: .on, prefillTokensPerSecond: 200, decode: [Point(depth: 0, milliseconds: 5.0)])
        #expect(FlashAttentionDecision(measurements: [close, reference], depth: 512, cached: false).chosen == .on)
        let clear = FlashAttentionMeasurement(
            setting: .off, prefillTokensPerSecond: 1000 / 4.5, decode: [Point(depth: 0, milliseconds: 4.5)])
        #expect(FlashAttentionDecision(measurements: [clear, reference], depth: 512, cached: false).chosen == .off)
    }

    @Test func aSettingAskedForIsKeptAndAutoWithoutMeasurementsIsLlamaCppsDefault() {
        #expect(FlashAttentionDecision(requested: .off).chosen == .off)
        #expect(FlashAttentionDecision(requested: .off).summary == "off (asked for)")
        #expect(FlashAttentionDecision(measurements: [off], depth: 512, cached: false).chosen == .off)
        #expect(FlashAttentionDecision(measurements: [], depth: 512, cached: false).chosen == .on)
        #expect(FlashAttentionDecision.expectedDepth(sequenceContext: 1024) == 512)
        #expect(FlashAttentionDecision.expectedDepth(sequenceContext: 32768) == 1024)
    }

    @Test func theKnobReadsChoicesAndBooleansAndNamesABadValue() throws {
        func parse(_ json: String) throws -> ContextOptions {
            try JSONDecoder().decode(EngineConfiguration.self, from: Data(json.utf8)).context
        }
        #expect(try parse("{}").flashAttention == .auto)
        #expect(try parse(#"{"flash_attn": "off"}"#).flashAttention == .off)
        #expect(try parse(#"{"flash_attn": true}"#).flashAttention == .on)
        #expect(try parse(#"{"flash_attn": false}"#).flashAttention == .off)
        #expect(throws: ConfigurationError.self) { try parse(#"{"flash_attn": "sometimes"}"#) }
        do {
            _ = try parse(#"{"flash_attn": "sometimes"}"#)
        } catch let error as ConfigurationError {
            #expect("\(error)".contains("flash_attn"))
            #expect("\(error)".contains("auto, on, off"))
        }
    }
}
