import Analysis
import Foundation
import InferLabCore
import InferenceCore
import Testing
import TestSupport

@testable import LlamaEngine

/// The parsers and the capture, on fixture text.
@Suite struct EngineMemoryParsingTests {
    /// Lines as llama.cpp 0c1e57098 prints them creating a context of 8,192 cells for smollm2-135m
    /// (the second compute line is as a repacking build would add it).
    let contextLog = [
        "llama_context:        CPU  output buffer size =     0.19 MiB",
        "llama_kv_cache:        CPU KV buffer size =   180.00 MiB",
        "llama_kv_cache: size =  180.00 MiB (  8192 cells,  30 layers,  1/1 seqs), K (f16):   90.00 MiB, "
            + "V (f16):   90.00 MiB",
        "sched_reserve:        CPU compute buffer size =    98.25 MiB",
        "sched_reserve:  CPU_REPACK compute buffer size =     1.50 MiB",
    ]

    @Test func bufferSizesFromTheLogLines() {
        #expect(EngineMemory.loggedBytes(contextLog, "KV buffer size") == 8192 * 23_040)
        #expect(EngineMemory.loggedBytes(contextLog, "compute buffer size") == UInt64(99.75 * 1_048_576))
        #expect(EngineMemory.loggedBytes(contextLog, "output buffer size") == UInt64((0.19 * 1_048_576).rounded()))
        #expect(EngineMemory.loggedBytes(contextLog, "model buffer size") == nil)
    }

    @Test func residentMemoryFromProcStatus() throws {
        let status = """
            Name:\tinferlab
            VmRSS:\t  380000 kB
            RssAnon:\t  290000 kB
            RssFile:\t   90000 kB
            RssShmem:\t       12 kB
            Threads:\t5
            """
        #expect(
            ResidentMemory.parse(status: status)
                == ResidentMemory(anonymous: 290_000 * 1024, file: 90_000 * 1024, shared: 12 * 1024))
        #expect(ResidentMemory.parse(status: "Name:\tkthreadd\nThreads:\t1\n") == nil)
        let now = try #require(ResidentMemory.current())
        #expect(now.anonymous > 0 && now.file > 0)
    }

    /// llama.cpp logs on the calling thread; a capture keeps that thread's lines only.
    @Test func aCaptureKeepsItsOwnThreadsLines() {
        let (_, lines) = LlamaLogCapture.capturing {
            let other = DispatchSemaphore(value: 0)
            Thread {
                "from another thread\n".withCString { LlamaLogCapture.record($0) }
                other.signal()
            }.start()
            other.wait()
            "sched_reserve:        CPU compute buffer ".withCString { LlamaLogCapture.record($0) }
            "size =    98.25 MiB\nnext line\n".withCString { LlamaLogCapture.record($0) }
        }
        #expect(lines == ["sched_reserve:        CPU compute buffer size =    98.25 MiB", "next line"])
        "after the capture\n".withCString { LlamaLogCapture.record($0) }
        #expect(LlamaLogCapture.capturing { () }.lines.isEmpty)
    }

    @Test func theReadingInForceAtATokensTime() {
        let readings = (0..<4).map { (step: Int) -> KVRecorder.Reading in
            let time = MonotonicInstant.at(UInt64(100 * (step + 1)))
            return KVRecorder.Reading(time: time, minPosition: 0, maxPosition: Int32(9 + step))
        }
        #expect(KVRecorder.reading(at: .at(50), in: readings) == nil)
        #expect(KVRecorder.reading(at: .at(100), in: readings)?.cells == 10)
        #expect(KVRecorder.reading(at: .at(250), in: readings)?.cells == 11)
        #expect(KVRecorder.reading(at: .at(1000), in: readings)?.cells == 13)
        #expect(KVRecorder.Reading(time: .zero, minPosition: -1, maxPosition: -1).cells == 0)
    }
}

@Suite(
    "Engine memory and KV depth on the real model", .serialized,
    .enabled(if: TestPaths.hasDefaultModel, "run scripts/bootstrap first"))
struct EngineMemoryModelTests {
    /// smollm2-135m from its GGUF: 30 blocks, 576 wide, 9 heads of 64, 3 KV heads; the cache is f16.
    let smollmBytesPerCell: UInt64 = 30 * (3 * 64 + 3 * 64) * 2

    /// The log prints MiB with two decimals.
    func withinLogRounding(_ logged: UInt64?, _ expected: UInt64, lines: Int = 1) -> Bool {
        guard let logged else { return false }
        return abs(Double(logged) - Double(expected)) <= 0.005 * 1_048_576 * Double(lines)
    }

    @Test func contextBuffersFromLlamaCppMatchTheHyperParameters() throws {
        let model = try SharedModel.require()
        #expect(EngineMemory.kvBytesPerCell(model) == smollmBytesPerCell)
        var configuration = EngineConfiguration(context: ContextOptions(contextLength: 2048, threads: 2))
        configuration.scheduler = SchedulerConfiguration(kind: .single, maxSequences: 1, batchTokens: 512)
        let (engine, lines) = try LlamaLogCapture.capturing { () throws(EngineError) in
            try InferenceEngine(model: model, configuration: configuration)
        }
        engine.shutdown()
        let memory = EngineMemory(model: model, cellsTotal: engine.contextLength, contextLog: lines)
        #expect(memory.cellsTotal == 2048)
        #expect(memory.modelBytes == model.metadata.tensorBytes)
        #expect(memory.modelBytes > 90_000_000)
        #expect(withinLogRounding(memory.kvBytes, 2048 * smollmBytesPerCell), "\(memory)")
        #expect((memory.computeBytes ?? 0) > 1_000_000, "\(memory)")
        #expect((memory.outputBytes ?? 0) > 0, "\(memory)")
    }

    /// `llama_model_size` (the metadata's tensor bytes) is what the loader's model buffer line says.
    @Test func theModelBufferLineIsLlamaModelSize() throws {
        let (model, lines) = try LlamaLogCapture.capturing { () throws(EngineError) in
            try LlamaModel(path: TestPaths.defaultModel)
        }
        let logged = try #require(EngineMemory.loggedBytes(lines, "model buffer size"))
        #expect(withinLogRounding(logged, model.metadata.tensorBytes), "logged \(logged)")
    }

    /// llama.cpp's own count of a sequence's bytes (`llama_state_seq_get_size`) grows per cell by
    /// the hyper-parameters' bytes per cell plus its few bytes of per-cell header.
    @Test func stateSizeGrowsByTheBytesPerCell() throws {
        let model = try SharedModel.require()
        let context = try LlamaContext(
            model: model, options: ContextOptions(contextLength: 512, batchSize: 256, microBatchSize: 256, threads: 2))
        let text = try model.tokenize(String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 40))
        let batch = Batch(capacity: 256)
        func decode(_ positions: Range<Int>) throws {
            batch.clear()
            for position in positions {
                batch.add(
                    token: text[position], position: Int32(position), sequence: 0, logits: position == positions.last)
            }
            try context.decode(batch)
        }
        #expect(context.maxPosition(0) == -1)
        try decode(0..<100)
        #expect(context.minPosition(0) == 0)
        #expect(context.maxPosition(0) == 99)
        let first = context.stateSize(0)
        try decode(100..<300)
        #expect(context.maxPosition(0) == 299)
        let perCell = (context.stateSize(0) - first) / 200
        #expect(perCell >= Int(smollmBytesPerCell) && perCell <= Int(smollmBytesPerCell) + 16, "\(perCell) B per cell")
    }

    /// 1,792 prompt tokens and 128 generated: llama.cpp's depth is the prompt plus the tokens
    /// before, at every sampled point; the mapped weights are resident; and a decode step costs
    /// more the deeper the cache. A 256-cell step (the attended range is the used cells rounded up
    /// to 256) is a millisecond in thirty, inside the noise of a shared VM (CI measured -3.8 ms
    /// per 1k across 896-1,152), so the cost is judged between depth 40 and depth 1,792, where
    /// the attention reads 45 times the cells (measured here: 10 -> 18 ms a step).
    ///
    /// The costs come from `inferlab generate` processes, as a user measures them: in this test
    /// process, contexts made earlier on other threads leave libgomp thread pools behind, and
    /// with more OpenMP threads than CPUs libgomp spins only briefly at its barriers (its
    /// "throttled" spin count), which made every step 24 ms whatever the depth (measured after
    /// `stateSizeGrowsByTheBytesPerCell`; OMP_WAIT_POLICY=active restored 10 ms).
    @Test func aGenerationsTimelineAndDepthSlope() async throws {
        var job = LocalGeneration()
        job.model = TestPaths.defaultModel
        job.context.contextLength = 2048
        job.context.threads = 2
        job.prompt = "The quick brown fox jumps over the lazy dog."
        job.promptTokens = 1792
        job.maxTokens = 128
        job.ignoreEndOfGeneration = true
        let report = try await job.run()
        #expect(report.completionTokens == 128)

        let memory = report.memory
        #expect(memory.cellsTotal == 2048)
        #expect(memory.kvBytesPerCell == smollmBytesPerCell)
        #expect(withinLogRounding(memory.kvBytes, 2048 * smollmBytesPerCell), "\(memory)")
        #expect((memory.computeBytes ?? 0) > 0)

        #expect(report.timeline.map(\.token) == [0, 32, 64, 96, 127])
        #expect(report.timeline.map(\.depth) == report.timeline.map { 1792 + $0.token })
        let last = try #require(report.timeline.last)
        #expect(Double(last.rssFileBytes) >= 0.8 * Double(memory.modelBytes), "\(last)")
        #expect(last.rssAnonBytes >= memory.kvBytes ?? .max, "\(last)")
        let costs = report.decodeCostsByDepth
        #expect(costs.depths.first == 1792)
        #expect(costs.depths.count == 127)

        /// The median decode step (token latency p50) of `inferlab generate` at a prompt of `tokens`.
        func medianStep(promptTokens tokens: Int) throws -> Double {
            let run = try runInferLab([
                "generate", "--model", TestPaths.defaultModel, "--prompt",
                "The quick brown fox jumps over the lazy dog.",
                "--prompt-tokens", "\(tokens)", "--max-tokens", "96", "--ignore-eos", "--ctx", "2048", "--threads", "2",
                "--json",
            ])
            try #require(run.status == 0, "inferlab generate: \(run.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            let latencies = try #require(object["token_latency_ms"] as? [String: Any])
            try #require((latencies["count"] as? Int ?? 0) > 10)
            return try #require(latencies["p50"] as? Double)
        }
        // A shared VM's neighbours come and go: up to three pairs, judged on the first that shows
        // the step at depth (a contended pair shows both slow).
        var pairs: [(near: Double, deep: Double)] = []
        for _ in 0..<3 {
            pairs.append((try medianStep(promptTokens: 40), try medianStep(promptTokens: 1792)))
            if let pair = pairs.last, pair.deep > 1.15 * pair.near { break }
        }
        print("aGenerationsTimelineAndDepthSlope: median step (depth 40, depth 1,792) in ms: \(pairs)")
        #expect(pairs.contains { $0.deep > 1.15 * $0.near }, "the step at depth 1,792: \(pairs)")
    }
}
