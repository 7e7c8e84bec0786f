import Foundation
import SystemProbe
import Testing
import TestSupport
@testable import Constraints

/// Page-cache control and a probe on a running engine, on a private copy of the default model
/// (other tests may map the shared file and keep it resident).
@Suite(.serialized) struct ModelFileTests {
    static func privateModelCopy() throws -> String {
        let path = TestPaths.temporaryDirectory("probe-model").appendingPathComponent("model.gguf").path
        try FileManager.default.copyItem(atPath: TestPaths.defaultModel, toPath: path)
        return path
    }

    static func removeCopy(_ path: String) {
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }

    @Test func evictionAndPrewarmMoveResidency() throws {
        try #require(TestPaths.hasDefaultModel, "the default model is absent: run scripts/bootstrap")
        let model = try Self.privateModelCopy()
        defer { Self.removeCopy(model) }
        let evicted = PageCache.evict(path: model)
        #expect(evicted.applied)
        #expect(try #require(evicted.residencyAfter) < 0.02)
        #expect(try FileResidency.residentFraction(path: model) < 0.02)
        let warmed = PageCache.prewarm(path: model)
        #expect(warmed.applied)
        #expect(try #require(warmed.residencyBefore) < 0.05)
        #expect(try #require(warmed.residencyAfter) > 0.98)
        let map = try FileResidency.measure(path: model, tensors: true)
        #expect(map.residentFraction > 0.98)
        #expect(map.layers?.allSatisfy { $0.residentFraction > 0.9 } == true)
        #expect(!PageCache.evict(path: "/nonexistent/model.gguf").applied)
    }

    @Test func probeOnARunningGenerateSeesThreadsRSSAndMajorFaults() async throws {
        try #require(TestPaths.hasDefaultModel, "the default model is absent: run scripts/bootstrap")
        try #require(FileManager.default.isExecutableFile(atPath: TestPaths.inferlab), "build inferlab first")
        let model = try Self.privateModelCopy()
        defer { Self.removeCopy(model) }
        #expect(PageCache.evict(path: model).applied)
        let engine = try ProbeChildProcess(
            TestPaths.inferlab,
            ["generate", "--model", model, "--prompt", "Tell me about the sea.", "--max-tokens", "64", "--json"])
        defer { engine.kill() }
        let sampler = try ProbeSampler(
            ProbeConfiguration(
                pid: engine.pid, filePath: model, intervalMilliseconds: 20, durationSeconds: 60,
                residencyIntervalMilliseconds: 0))  // residency on every sample: the run is short
        var samples: [ProbeSample] = []
        for await sample in sampler.samples() { samples.append(sample) }
        let status = ProcessExit.fromWaitStatus(engine.wait())
        #expect(status.status == 0)
        let last = try #require(samples.last)
        #expect(last.event == "exit")
        #expect(last.exitStatus == 0)
        let maxThreads = samples.compactMap(\.numThreads).max() ?? 0
        #expect(maxThreads >= 2)
        #expect((samples.compactMap { $0.threads?.count }.max() ?? 0) >= 2)
        let modelBytes = Double((try FileManager.default.attributesOfItem(atPath: model)[.size] as? Int) ?? 0)
        let peakRSS = Double(samples.compactMap(\.rssBytes).max() ?? 0)
        #expect(peakRSS > 0.8 * modelBytes, "peak RSS \(peakRSS) vs model \(modelBytes)")
        #expect(peakRSS < 4 * modelBytes)
        // A cold start: the model was out of the page cache and came in during the run. Its pages
        // arrive by major faults, or by llama.cpp's WILLNEED readahead when the engine is slow to
        // touch them (a loaded machine); read_bytes counts both.
        #expect((samples.first?.fileResidentFraction ?? 1) < 0.2)
        #expect((samples.compactMap(\.fileResidentFraction).max() ?? 0) > 0.5)
        let majflt = samples.compactMap(\.majflt).max() ?? 0
        let readBytes = Double(samples.compactMap(\.readBytes).max() ?? 0)
        #expect(majflt > 0 || readBytes > 0.5 * modelBytes, "majflt \(majflt), read_bytes \(readBytes)")
    }
}
