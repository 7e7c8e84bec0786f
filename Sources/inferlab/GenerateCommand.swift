import ArgumentParser
import Foundation
import InferenceCore
import LlamaEngine

extension EngineError: LocalizedUserError {
    var userMessage: String { description }
    var isUsageError: Bool {
        [.modelNotFound, .notGGUF, .promptTooLong, .invalidParameter, .templateFailed].contains(code)
    }
}

struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate from one prompt and measure load time, prefill, TTFT, decode rate and per-token latency.")

    @Option(help: "Catalogue name or GGUF path.") var model = "smollm2-135m"
    @Option(help: "The prompt text.") var prompt: String
    @Flag(help: "Apply the model's chat template to the prompt as a user message.") var chat = false
    @Option(help: "Tokens to generate.") var maxTokens = 128
    @Option(help: "Threads for decoding and prompt processing.") var threads = 2
    @Option(help: "Context length in tokens.") var ctx = 4096
    @Option(help: "Prompt tokens per llama_decode call.") var batch = 2048
    @Flag(help: "Read the model into memory instead of mapping it.") var noMmap = false
    @Flag(help: "Lock the model in RAM.") var mlock = false
    @Option(help: "0 is greedy.") var temperature = 0.0
    @Option var topK = 0
    @Option var topP = 1.0
    @Option var minP = 0.0
    @Option var repeatPenalty = 1.0
    @Option var seed: UInt32 = 42
    @Option(help: "Use exactly N prompt tokens (the prompt's tokens repeated or cut), for benchmarks.")
    var promptTokens: Int?
    @Flag(help: "Keep generating past end-of-generation tokens, for benchmarks.") var ignoreEos = false
    @Flag(help: "Run one unmeasured generation first (as llama-bench does), for benchmarks.") var warmup = false
    @Flag(help: "Print one JSON object instead of text and a table.") var json = false

    func run() async throws {
        try await reportingErrors {
            var job = LocalGeneration()
            job.model = model
            job.prompt = prompt
            job.chat = chat
            job.maxTokens = maxTokens
            job.promptTokens = promptTokens
            job.ignoreEndOfGeneration = ignoreEos
            job.warmup = warmup
            job.modelOptions = ModelOptions(mmap: !noMmap, mlock: mlock)
            job.context = ContextOptions(
                contextLength: ctx, batchSize: batch, microBatchSize: min(512, batch), threads: threads)
            job.sampling = SamplingParameters(
                temperature: temperature, topK: topK, topP: topP, minP: minP, repetitionPenalty: repeatPenalty,
                seed: seed)
            let streaming = !json
            let report = try await job.run { text in
                if streaming { FileHandle.standardOutput.write(Data(text.utf8)) }
            }
            if json {
                try printJSON(report)
            } else {
                print("\n")
                print(Self.table(report))
            }
        }
    }

    static func table(_ report: GenerationReport) -> String {
        func ms(_ value: Double) -> String { String(format: "%.2f ms", value) }
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
        if let latency = report.tokenLatency {
            rows.append(
                (
                    "token latency",
                    "p50 \(ms(latency.p50))  p95 \(ms(latency.p95))  p99 \(ms(latency.p99))  max \(ms(latency.max))"
                ))
        }
        rows.append(("peak RSS", String(format: "%.1f MiB", Double(report.peakRSSBytes) / 1_048_576)))
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(
            separator: "\n")
    }
}
