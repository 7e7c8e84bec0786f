import Foundation
import InferLabCore
import InferenceCore
import Testing
import TestSupport

@testable import LlamaEngine

/// `flash_attn: auto` on the real model: both kernels timed, decode slower at depth, the choice
/// cached under a key of the model, the machine and the threads.
@Suite(.serialized, .enabled(if: TestPaths.hasDefaultModel, "run scripts/bootstrap first"))
struct FlashAttentionCalibrationTests {
    @Test func theCalibrationTimesBothKernelsAndDecodeSlowsWithDepth() throws {
        let model = try SharedModel.require()
        let measurements = try FlashAttentionCalibration.measure(model: model, options: ContextOptions(threads: 2))
        #expect(measurements.map(\.setting) == [.off, .on])
        for measurement in measurements {
            #expect(measurement.prefillTokensPerSecond > 10)
            #expect(measurement.decode.map(\.depth) == [7, 517, 1029])
            // A token at depth 1,029 reads 150 times the cells of one at depth 7: slower with
            // either kernel, whatever the noise (about 1.5x here).
            let shallow = try #require(measurement.decode.first).milliseconds
            let deep = try #require(measurement.decode.last).milliseconds
            #expect(shallow > 0 && deep > shallow, "\(measurement)")
        }
    }

    @Test func anEngineResolvesAutoOnceAndKeepsASettingAskedFor() throws {
        let model = try SharedModel.require()
        var configuration = EngineConfiguration()
        configuration.scheduler = SchedulerConfiguration(kind: .single, maxSequences: 1)
        configuration.context.contextLength = 2048
        let auto = try InferenceEngine(model: model, configuration: configuration)
        auto.shutdown()
        #expect(auto.flashAttention.requested == .auto)
        #expect(auto.flashAttention.measurements.count == 2)
        #expect([.on, .off].contains(auto.flashAttention.chosen))
        #expect(auto.flashAttention.depth == 1024)  // half of 2,048 cells
        // The second engine of the same key reads the cache.
        let again = try InferenceEngine(model: model, configuration: configuration)
        again.shutdown()
        #expect(again.flashAttention.cached)
        #expect(again.flashAttention.chosen == auto.flashAttention.chosen)
        let key = FlashAttentionCalibration.cacheKey(model: model, options: configuration.context)
        #expect(FileManager.default.fileExists(atPath: FlashAttentionCalibration.cacheFile(key: key).path))
        #expect(key.contains("threads 2"))

        configuration.context.flashAttention = .off
        let off = try InferenceEngine(model: model, configuration: configuration)
        off.shutdown()
        #expect(off.flashAttention == FlashAttentionDecision(requested: .off))
    }
}
