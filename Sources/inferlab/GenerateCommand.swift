import Analysis
import ArgumentParser
import Foundation
import InferenceCore
import LlamaEngine

struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate from one prompt and measure load time, prefill, TTFT, decode rate and per-token latency.")

    /// Where the defaults shown in the help come from.
    static let defaults = LocalGeneration()

    @Option(help: "Catalogue name or GGUF path (default: \(defaults.model)).") var model: String?
    @Option(help: "The prompt text.") var prompt: String
    @Flag(help: "Apply the model's chat template to the prompt as a user message.") var chat = false
    @Option(help: "Tokens to generate (default: \(defaults.maxTokens)).") var maxTokens: Int?
    @Option(help: "Threads for decoding and prompt processing (default: \(defaults.context.threads)).") var threads:
        Int?
    @Option(help: "Context length in tokens (default: \(defaults.context.contextLength)).") var ctx: Int?
    @Option(help: "Prompt tokens per llama_decode call (default: \(defaults.context.batchSize)).") var batch: Int?
    @Option(help: "How the model file is loaded (default: \(defaults.modelOptions.loadMode.rawValue)).")
    var loadMode: LoadMode?
    @Option(
        help:
            "Flash attention: auto (measured once per model, machine and threads, cached), on or off (default: \(defaults.context.flashAttention.rawValue))."
    ) var flashAttn: FlashAttention?
    @Flag(help: "Read the model into memory instead of mapping it (--load-mode no-mmap).") var noMmap = false
    @Flag(help: "Lock the model in RAM (--load-mode mlock).") var mlock = false
    @Option(help: "0 is greedy (default: \(defaults.sampling.temperature)).") var temperature: Double?
    @Option(help: "Keep the k most likely tokens, 0 disables (default: \(defaults.sampling.topK)).") var topK: Int?
    @Option(help: "Nucleus sampling mass (default: \(defaults.sampling.topP)).") var topP: Double?
    @Option(help: "Min-p (default: \(defaults.sampling.minP)).") var minP: Double?
    @Option(help: "Repetition penalty, 1 disables (default: \(defaults.sampling.repetitionPenalty)).")
    var repeatPenalty: Double?
    @Option(help: "Sampling seed (default: \(defaults.sampling.seed)).") var seed: UInt32?
    @Option(help: "Use exactly N prompt tokens (the prompt's tokens repeated or cut), for benchmarks.")
    var promptTokens: Int?
    @Flag(help: "Keep generating past end-of-generation tokens, for benchmarks.") var ignoreEos = false
    @Flag(help: "Run one unmeasured generation first (as llama-bench does), for benchmarks.") var warmup = false
    @Flag(help: "Print one JSON object instead of text and a table.") var json = false

    func run() async throws {
        try await reportingErrors {
            var job = LocalGeneration()
            if let model { job.model = model }
            job.prompt = prompt
            job.chat = chat
            if let maxTokens { job.maxTokens = maxTokens }
            job.promptTokens = promptTokens
            job.ignoreEndOfGeneration = ignoreEos
            job.warmup = warmup
            if let mode = try loadMode ?? LoadMode.flags(noMmap: noMmap, mlock: mlock) {
                job.modelOptions.loadMode = mode
            }
            if let ctx { job.context.contextLength = ctx }
            if let batch {
                job.context.batchSize = batch
                job.context.microBatchSize = min(job.context.microBatchSize, batch)
            }
            if let threads { job.context.threads = threads }
            if let flashAttn { job.context.flashAttention = flashAttn }
            if let temperature { job.sampling.temperature = temperature }
            if let topK { job.sampling.topK = topK }
            if let topP { job.sampling.topP = topP }
            if let minP { job.sampling.minP = minP }
            if let repeatPenalty { job.sampling.repetitionPenalty = repeatPenalty }
            if let seed { job.sampling.seed = seed }
            let streaming = !json
            let report = try await job.run { text in
                if streaming { FileHandle.standardOutput.write(Data(text.utf8)) }
            }
            let costs = report.decodeCostsByDepth
            let slope = DepthSlope.fit(depths: costs.depths.map(Double.init), milliseconds: costs.milliseconds)
            if json {
                try printJSON(Output(report: report, depthSlope: slope))
            } else {
                print("\n")
                print(Self.table(report, depthSlope: slope))
            }
        }
    }

    /// The report's keys, and `depth_slope`: the fit lives in Analysis, which the engine does not import.
    struct Output: Encodable {
        var report: GenerationReport
        var depthSlope: DepthSlope?

        enum CodingKeys: String, CodingKey {
            case depthSlope = "depth_slope"
        }

        func encode(to encoder: any Encoder) throws {
            try report.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(depthSlope, forKey: .depthSlope)
        }
    }

    static func table(_ report: GenerationReport, depthSlope: DepthSlope?) -> String {
        func ms(_ value: Double) -> String { String(format: "%.2f ms", value) }
        func mib(_ bytes: UInt64?) -> String { bytes.map { String(format: "%.1f MiB", Double($0) / 1_048_576) } ?? "?" }
        var rows: [(String, String)] = [
            ("model", "\(report.model) (\(report.modelPath))"),
            ("load", ms(report.loadMilliseconds)),
            ("prompt tokens", "\(report.promptTokens)"),
            (
                "prefill",
                "\(ms(report.prefillMilliseconds)) (\(String(format: "%.1f", report.prefillTokensPerSecond)) tok/s)"
            ),
            ("time to first token", ms(report.timeToFirstTokenMilliseconds)),
            ("completion tokens", "\(report.completionTokens) (finish: \(report.finishReason))"),
            ("decode", String(format: "%.1f tok/s", report.decodeTokensPerSecond)),
        ]
        if let flash = report.flashAttention { rows.append(("flash attention", flash.summary)) }
        if let latency = report.tokenLatency {
            rows.append(
                (
                    "token latency",
                    "p50 \(ms(latency.p50))  p95 \(ms(latency.p95))  p99 \(ms(latency.p99))  max \(ms(latency.max))"
                ))
        }
        rows.append(("peak RSS", String(format: "%.1f MiB", Double(report.peakRSSBytes) / 1_048_576)))
        let memory = report.memory
        var buffers =
            "model \(mib(memory.modelBytes))  KV \(mib(memory.kvBytes)) (\(memory.cellsTotal) cells × "
            + "\(memory.kvBytesPerCell) B)  compute \(mib(memory.computeBytes))"
        if let last = report.timeline.last {
            buffers += "  RSS anon \(mib(last.rssAnonBytes)) file \(mib(last.rssFileBytes)) at depth \(last.depth)"
        }
        rows.append(("memory", buffers))
        if let slope = depthSlope {
            rows.append(
                (
                    "KV depth slope",
                    String(
                        format:
                            "%+.2f ms per 1k cells (%.0f%% %.2f to %.2f) from %.2f ms at depth 0, R² %.2f, %d tokens",
                        slope.millisecondsPerThousandCells, slope.interval.level * 100, slope.interval.lower,
                        slope.interval.upper, slope.millisecondsAtDepthZero, slope.rSquared, slope.tokens)
                ))
        }
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(
            separator: "\n")
    }
}
