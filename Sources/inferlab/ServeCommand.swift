public import ArgumentParser
import Foundation
import InferLabCore
import InferenceCore
import InferenceServer
import Logging
import Yams

extension SchedulerKind: ExpressibleByArgument {}
extension LoadMode: ExpressibleByArgument {}
extension FlashAttention: ExpressibleByArgument {}

/// `on` or `off`, for switches that take a value (`--prefix-cache on`).
enum Switch: String, ExpressibleByArgument, CaseIterable {
    case on, off
    var isOn: Bool { self == .on }
}

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a model over an OpenAI-compatible HTTP API with a selectable batching scheduler.",
        discussion: """
            Every flag is also a key of --config FILE (JSON or YAML, one mapping; `--batch-tokens` is \
            `batch_tokens`) and of an experiment's engine: block. Flags given on the command line override the file.
            """)

    /// Where the defaults shown in the help come from: the configuration structs, not this file.
    static let defaults = ServerConfiguration()

    @Option(help: "A configuration file (JSON or YAML) with the keys of the flags below.") var config: String?
    @Option(help: "Catalogue name or GGUF path (default: \(defaults.model)).") var model: String?
    @Option(help: "Model name clients send and /v1/models shows (default: the model name).") var alias: String?
    @Option(help: "Address to bind (default: \(defaults.host)).") var host: String?
    @Option(help: "TCP port, 0 picks a free one (default: \(defaults.port)).") var port: Int?
    @Option(help: "Batching policy (default: \(defaults.engine.scheduler.kind.rawValue)).") var scheduler:
        SchedulerKind?
    @Option(
        help:
            "Sequences decoding at once, the batch of static/dynamic (default: \(defaults.engine.scheduler.maxSequences))."
    )
    var maxSeqs: Int?
    @Option(help: "Token budget of one continuous step (default: \(defaults.engine.scheduler.batchTokens)).")
    var batchTokens: Int?
    @Option(
        help: "Batch window of static/dynamic, in ms (default: \(defaults.engine.scheduler.batchWaitMilliseconds)).")
    var batchWaitMs: Int?
    @Option(
        help:
            "continuous: longest step while a stream is mid-generation, in ms; prompts arriving then are prefilled in chunks that fit, 0: no target (default: \(defaults.engine.scheduler.stepTargetMilliseconds))."
    ) var stepTargetMs: Int?
    @Option(help: "Total KV cells, shared by all sequences (default: \(defaults.engine.context.contextLength)).")
    var ctx: Int?
    @Option(help: "Threads (default: \(defaults.engine.context.threads)).") var threads: Int?
    @Option(
        help:
            "Flash attention: auto (measured once per model, machine and threads, cached), on or off (default: \(defaults.engine.context.flashAttention.rawValue))."
    ) var flashAttn: FlashAttention?
    @Option(help: "Requests waiting for a free sequence before 429 (default: \(defaults.maxQueue)).") var maxQueue: Int?
    @Option(help: "Queued prompt tokens before 429 (default: \(defaults.maxQueuedTokens)).") var maxQueuedTokens: Int?
    @Option(help: "Reuse cached prompt prefixes (default: \(defaults.engine.prefixCache ? "on" : "off")).")
    var prefixCache: Switch?
    @Option(
        help:
            "Host memory for cached prefixes evicted from their KV streams, in MiB, LRU; 0: off (default: \(defaults.engine.prefixCacheHostMiB))."
    ) var prefixCacheHostMib: Int?
    @Option(help: "Require Authorization: Bearer KEY.") var apiKey: String?
    @Option(help: "Seconds to finish in-flight requests on SIGTERM/SIGINT (default: \(defaults.drainTimeoutSeconds)).")
    var drainTimeout: Double?
    @Option(help: "Largest request body in bytes (default: \(defaults.maxBodyBytes)).") var maxBodyBytes: Int?
    @Option(help: "How the model file is loaded (default: \(defaults.engine.model.loadMode.rawValue)).")
    var loadMode: LoadMode?
    @Flag(help: "Read the model into memory instead of mapping it (--load-mode no-mmap).") var noMmap = false
    @Flag(help: "Lock the model in RAM (--load-mode mlock).") var mlock = false
    @Option(help: "Log level: trace, debug, info, warning, error.") var logLevel = "info"
    @Option(
        help: ArgumentHelp(
            "Write one JSON line per engine step to this file.",
            discussion: "Fields: start_ns (monotonic, the clock of bench and probe), duration_ms, decode_tokens, "
                + "prompt_tokens, prompt_sequences, running, waiting."))
    var stepLog: String?

    /// The file's configuration (or the defaults) with the flags given applied over it.
    func resolved() throws -> ServerConfiguration {
        var c = try config.map(ServerConfiguration.load(path:)) ?? ServerConfiguration()
        if let model { c.model = model }
        if let alias { c.modelAlias = alias }
        if let host { c.host = host }
        if let port { c.port = port }
        if let scheduler { c.engine.scheduler.kind = scheduler }
        if let maxSeqs { c.engine.scheduler.maxSequences = maxSeqs }
        if let batchTokens { c.engine.scheduler.batchTokens = batchTokens }
        if let batchWaitMs { c.engine.scheduler.batchWaitMilliseconds = batchWaitMs }
        if let stepTargetMs { c.engine.scheduler.stepTargetMilliseconds = stepTargetMs }
        if let ctx { c.engine.context.contextLength = ctx }
        if let threads { c.engine.context.threads = threads }
        if let flashAttn { c.engine.context.flashAttention = flashAttn }
        if let maxQueue { c.maxQueue = maxQueue }
        if let maxQueuedTokens { c.maxQueuedTokens = maxQueuedTokens }
        if let prefixCache { c.engine.prefixCache = prefixCache.isOn }
        if let prefixCacheHostMib { c.engine.prefixCacheHostMiB = prefixCacheHostMib }
        if let apiKey { c.apiKey = apiKey }
        if let drainTimeout { c.drainTimeoutSeconds = drainTimeout }
        if let maxBodyBytes { c.maxBodyBytes = maxBodyBytes }
        if let mode = try loadMode ?? LoadMode.flags(noMmap: noMmap, mlock: mlock) { c.engine.model.loadMode = mode }
        if let stepLog { c.engine.stepLog = stepLog }
        return c
    }

    func run() async throws {
        try await reportingErrors {
            guard let level = Logger.Level(rawValue: logLevel) else {
                throw UsageError("unknown --log-level \(logLevel)")
            }
            let configuration = try resolved()
            try configuration.validate()
            _ = try ModelCatalog.resolve(configuration.model)  // a missing model is a usage error, before binding
            if let stepLog = configuration.engine.stepLog,
                !FileManager.default.createFile(atPath: stepLog, contents: nil)
            {
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

extension ServerConfiguration {
    /// Reads a `serve --config` file: JSON, or YAML for any other extension.
    static func load(path: String) throws -> ServerConfiguration {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw UsageError("--config: cannot read \(path)")
        }
        do {
            if path.hasSuffix(".json") {
                return try JSONDecoder().decode(ServerConfiguration.self, from: Data(text.utf8))
            }
            guard let node = try Yams.compose(yaml: text) else { throw UsageError("--config \(path) is empty") }
            return try YAMLDecoder().decode(ServerConfiguration.self, from: node)
        } catch let error as ConfigurationError {
            throw error.under(path + ":")
        } catch let error as DecodingError {
            throw ConfigurationError(
                code: .invalidValue, field: path, message: "not a mapping of serve's keys", cause: error)
        } catch {
            throw UsageError("--config \(path): not a JSON or YAML mapping of serve's keys (\(error))")
        }
    }
}
