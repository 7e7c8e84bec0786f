import ArgumentParser
import Foundation
import InferenceServer
import InferenceCore
import Logging

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a model over an OpenAI-compatible HTTP API with a selectable batching scheduler.")

    @Option(help: "Catalogue name or GGUF path.") var model = "smollm2-135m"
    @Option(help: "Model name clients send and /v1/models shows (default: the model name).") var alias: String?
    @Option(help: "Address to bind (loopback by default).") var host = "127.0.0.1"
    @Option(help: "TCP port (0 picks a free one).") var port = 8080
    @Option(help: "single | static | dynamic | continuous") var scheduler = "continuous"
    @Option(help: "Sequences decoding at once (batch size of static/dynamic).") var maxSeqs = 8
    @Option(help: "Token budget of one continuous step (decode tokens + prompt chunks).") var batchTokens = 512
    @Option(help: "Batch window of static/dynamic, in milliseconds.") var batchWaitMs = 50
    @Option(
        help:
            "continuous: longest step while streams decode, in ms; long prompts are prefilled in chunks that fit (0: no target)."
    ) var stepTargetMs = 500
    @Option(help: "Total KV cells (shared by all sequences).") var ctx = 8192
    @Option(help: "Threads.") var threads = 2
    @Option(help: "Requests waiting before 429.") var maxQueue = 64
    @Option(help: "Queued prompt tokens before 429.") var maxQueuedTokens = 65_536
    @Option(help: "on | off") var prefixCache = "off"
    @Option(help: "Require Authorization: Bearer KEY.") var apiKey: String?
    @Option(help: "Seconds to finish in-flight requests on SIGTERM/SIGINT.") var drainTimeout = 30.0
    @Option(help: "Largest request body in bytes.") var maxBodyBytes = 1 << 20
    @Flag(help: "Read the model into memory instead of mapping it.") var noMmap = false
    @Flag(help: "Lock the model in RAM.") var mlock = false
    @Option(help: "Log level: trace, debug, info, warning, error.") var logLevel = "info"
    @Option(
        help: ArgumentHelp(
            "Write one JSON line per engine step to this file.",
            discussion: "Fields: start_ns (monotonic, the clock of bench and probe), duration_ms, decode_tokens, "
                + "prompt_tokens, prompt_sequences, running, waiting."))
    var stepLog: String?

    func run() async throws {
        try await reportingErrors {
            guard let kind = SchedulerKind(rawValue: scheduler) else {
                throw UsageError("--scheduler must be single, static, dynamic or continuous (got \(scheduler))")
            }
            guard ["on", "off"].contains(prefixCache) else {
                throw UsageError("--prefix-cache must be on or off (got \(prefixCache))")
            }
            guard let level = Logger.Level(rawValue: logLevel) else {
                throw UsageError("unknown --log-level \(logLevel)")
            }
            var configuration = ServerConfiguration()
            configuration.host = host
            configuration.port = port
            configuration.model = model
            configuration.modelAlias = alias
            configuration.maxQueue = maxQueue
            configuration.maxQueuedTokens = maxQueuedTokens
            configuration.apiKey = apiKey
            configuration.drainTimeoutSeconds = drainTimeout
            configuration.maxBodyBytes = maxBodyBytes
            configuration.engine = EngineConfiguration(
                model: ModelOptions(mmap: !noMmap, mlock: mlock),
                context: ContextOptions(contextLength: ctx, batchSize: max(2048, batchTokens), threads: threads),
                scheduler: SchedulerConfiguration(
                    kind: kind, maxSequences: maxSeqs, batchTokens: batchTokens, batchWaitMilliseconds: batchWaitMs,
                    stepTargetMilliseconds: stepTargetMs),
                prefixCache: prefixCache == "on")
            configuration.engine.stepLog = stepLog
            try configuration.validate()
            _ = try ModelCatalog.resolve(model)  // a missing model is a usage error, before binding
            if let stepLog, !FileManager.default.createFile(atPath: stepLog, contents: nil) {
                throw UsageError("--step-log: cannot create \(stepLog) (does its directory exist?)")
            }

            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            let server = InferenceServer(configuration: configuration, logger: Logger(label: "inferlab.serve"))
            let host = configuration.host
            try await server.run { port in
                FileHandle.standardError.write(Data("inferlab serve: listening on http://\(host):\(port)\n".utf8))
            }
        }
    }
}
