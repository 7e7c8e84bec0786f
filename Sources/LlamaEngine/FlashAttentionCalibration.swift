public import InferenceCore
import CLlama
import Foundation
import InferLabCore

/// `flash_attn: auto`, measured: for a model, this machine and a thread count, times a batched
/// prefill and decode tokens near depth 0 and at the expected depth with the kernel on and off,
/// and keeps the measurements in `~/.cache/inferlab/calibration/` so the next engine with the
/// same key starts at once. `FlashAttentionDecision` picks the cheaper setting per token.
///
/// About ten seconds on two cores the first time (two contexts, 1,024 prompt tokens and 24 decode
/// tokens each); the cache key holds the model file (path, size, modification time), llama.cpp's
/// build and CPU features, the CPU model, the threads and the depth.
public enum FlashAttentionCalibration {
    /// The depths the calibration decodes at; the deepest is its prompt.
    static let calibrationDepths = [512, 1024]
    /// Decode tokens timed at each depth, per setting (their median is kept).
    static let decodeTokens = 10

    /// The setting to run `options` with: as given, or for `auto` measured (or read from the cache).
    public static func resolve(model: LlamaModel, options: ContextOptions, sequenceContext: Int)
        -> FlashAttentionDecision
    {
        guard options.flashAttention == .auto else { return FlashAttentionDecision(requested: options.flashAttention) }
        let depth = FlashAttentionDecision.expectedDepth(sequenceContext: sequenceContext)
        let key = cacheKey(model: model, options: options)
        if let cached = readCache(key: key) {
            return FlashAttentionDecision(measurements: cached, depth: depth, cached: true)
        }
        guard let measurements = try? measure(model: model, options: options) else {
            // Nothing to compare: llama.cpp's default.
            return FlashAttentionDecision(requested: .on)
        }
        writeCache(key: key, measurements: measurements)
        return FlashAttentionDecision(measurements: measurements, depth: depth, cached: false)
    }

    /// Times both settings side by side, each in a context of its own, alternating between them
    /// at every stage so the machine's drift (this VM: ±20 %) falls on both alike: decode tokens
    /// near depth 0, then for each calibration depth a batched prefill up to it and decode tokens
    /// there.
    static func measure(model: LlamaModel, options: ContextOptions) throws(EngineError) -> [FlashAttentionMeasurement] {
        let deepest = calibrationDepths.last ?? 512
        let settings: [FlashAttention] = [.off, .on]
        var contexts: [LlamaContext] = []
        for setting in settings {
            var contextOptions = ContextOptions(
                contextLength: deepest + (calibrationDepths.count + 2) * decodeTokens + 16, batchSize: deepest,
                microBatchSize: 512, threads: options.threads, batchThreads: options.batchThreads, sequences: 1)
            contextOptions.flashAttention = setting
            contexts.append(try LlamaContext(model: model, options: contextOptions))
        }
        let batch = Batch(capacity: deepest)
        let vocabulary = max(model.vocabularySize, 2)
        func token(_ position: Int) -> Int32 { Int32(1 + (position * 7919) % (vocabulary - 1)) }
        var positions = [Int](repeating: 0, count: settings.count)
        func decodeOne(_ index: Int) throws(EngineError) -> Double {
            batch.clear()
            batch.add(token: token(positions[index]), position: Int32(positions[index]), sequence: 0, logits: true)
            positions[index] += 1
            let start = MonotonicInstant.now()
            try contexts[index].decode(batch)
            return start.elapsed.seconds
        }
        func decodePoints() throws(EngineError) -> [FlashAttentionMeasurement.DecodePoint] {
            var times = [[Double]](repeating: [], count: settings.count)
            let depths = positions
            for _ in 0..<decodeTokens {
                for index in settings.indices { times[index].append(try decodeOne(index)) }
            }
            return settings.indices.map {
                .init(depth: depths[$0] + decodeTokens / 2, milliseconds: median(times[$0]) * 1000)
            }
        }
        // The first decodes start ggml's threads: not timed.
        for _ in 0..<2 { for index in settings.indices { _ = try decodeOne(index) } }
        var points = [[FlashAttentionMeasurement.DecodePoint]](repeating: [], count: settings.count)
        for (index, point) in try decodePoints().enumerated() { points[index].append(point) }
        // Each prefill in chunks of 128, the settings alternating chunk by chunk; a setting's rate
        // is that of its fastest chunk (a chunk slowed by a neighbour on the host says nothing
        // about the kernel).
        let chunk = 128
        var secondsPerToken = [Double](repeating: .infinity, count: settings.count)
        for depth in calibrationDepths {
            while settings.indices.contains(where: { positions[$0] < depth }) {
                for index in settings.indices where positions[index] < depth {
                    let count = min(chunk, depth - positions[index])
                    batch.clear()
                    for offset in 0..<count {
                        batch.add(
                            token: token(positions[index] + offset), position: Int32(positions[index] + offset),
                            sequence: 0, logits: offset == count - 1)
                    }
                    let start = MonotonicInstant.now()
                    try contexts[index].decode(batch)
                    secondsPerToken[index] = min(secondsPerToken[index], start.elapsed.seconds / Double(count))
                    positions[index] += count
                }
            }
            for (index, point) in try decodePoints().enumerated() { points[index].append(point) }
        }
        return settings.indices.map {
            FlashAttentionMeasurement(
                setting: settings[$0], prefillTokensPerSecond: 1 / max(secondsPerToken[$0], 1e-9), decode: points[$0])
        }
    }

    private static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    // MARK: The cache

    static var cacheDirectory: URL { UserDirectories.cache.appendingPathComponent("calibration") }

    /// What the measurements depend on.
    static func cacheKey(model: LlamaModel, options: ContextOptions) -> String {
        // The file itself, however it was named (a catalogue name, a symlink, a relative path).
        let path = URL(fileURLWithPath: model.path).resolvingSymlinksInPath().path
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let size = (attributes?[.size] as? NSNumber)?.intValue ?? 0
        let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        let cpu =
            ((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "")
            .split(separator: "\n").first { $0.hasPrefix("model name") }.map(String.init) ?? "unknown cpu"
        let system = String(cString: llama_print_system_info())
        return [
            "flash-attn v3", path, "\(size)", "\(Int(modified))", cpu, system, "threads \(options.threads)",
            "batch_threads \(options.batchThreads ?? options.threads)", "depths \(calibrationDepths)",
        ].joined(separator: " | ")
    }

    private struct CacheFile: Codable {
        var key: String
        var measurements: [FlashAttentionMeasurement]
    }

    static func cacheFile(key: String) -> URL {
        // FNV-1a of the key: a stable file name.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return cacheDirectory.appendingPathComponent("flash-attn-\(String(hash, radix: 16)).json")
    }

    static func readCache(key: String) -> [FlashAttentionMeasurement]? {
        guard let data = try? Data(contentsOf: cacheFile(key: key)),
            let file = try? JSONDecoder().decode(CacheFile.self, from: data), file.key == key,
            file.measurements.count == 2
        else { return nil }
        return file.measurements
    }

    static func writeCache(key: String, measurements: [FlashAttentionMeasurement]) {
        try? FileManager.default.createDirectory(at: cacheDirectory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let data = try? encoder.encode(CacheFile(key: key, measurements: measurements)) else { return }
        try? data.write(to: cacheFile(key: key), options: .atomic)
    }
}
