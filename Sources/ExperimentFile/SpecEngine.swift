import InferLabCore
public import InferenceCore

/// The `engine:` block: what serves the trial's requests, and the very `ServerConfiguration` an
/// InferLab engine runs on (`inferlab serve --config FILE` gets it whole), its knobs under the
/// same keys as `serve`'s flags.
///
/// ```yaml
/// engine: {kind: inferlab, model: smollm2-135m, scheduler: continuous, threads: 2, ctx: 4096,
///          batch_tokens: 256, step_target_ms: 250}
/// ```
public struct EngineSpec: Sendable, Codable, Equatable {
    /// Which engine. Required.
    public var kind: EngineKind
    /// The quantization; derived ones are made once and cached. The default is `original`.
    public var quantization: Quantization = .original
    /// The endpoint of an `external` engine, e.g. `http://127.0.0.1:8080`. Required for
    /// `external`, refused otherwise.
    public var url: String?
    /// The engine's configuration: model, threads, context, scheduler, prefix cache, admission.
    /// The runner owns `host`, `port` and `step_log`; `llama-server` takes the subset in
    /// `LlamaServerFlags`.
    public var server = ServerConfiguration()

    public init(kind: EngineKind) {
        self.kind = kind
    }

    /// The keys of the block itself; the server's follow.
    static let ownKeys = ["kind", "quantization", "url"]
    /// Server keys the runner sets for every trial (a free port, the run directory's step log).
    static let runnerKeys: Set<String> = ["host", "port", "step_log", "api_key"]
    /// Every key the block reads (a resolved spec written back has the runner's keys at their defaults).
    public static let keys = ownKeys + ServerConfiguration.keys
    /// The keys a file, a matrix or a variant may set.
    public static let settableKeys = keys.filter { !runnerKeys.contains($0) }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.configurationContainer(allowed: Self.keys)
        guard let kind = try c.choice("kind", EngineKind.self) else {
            throw ConfigurationError(
                code: .missingField, field: c.path("kind"),
                message: "missing required field; \(ScalarText.oneOf(EngineKind.self))")
        }
        self.kind = kind
        quantization = try c.choice("quantization", Quantization.self) ?? quantization
        url = try c.scalar("url")
        server = try ServerConfiguration(reading: c)
        for key in Self.changedKeys(server, from: ServerConfiguration()) where Self.runnerKeys.contains(key) {
            throw ConfigurationError(
                code: .conflict, field: c.path(key), message: "is set by the runner for each trial (not in a file)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: ConfigurationKey.self)
        try c.knob("kind", kind)
        try c.knob("quantization", quantization)
        try c.knob("url", url)
        try server.write(to: &c)
    }

    /// The configuration an InferLab engine of this kind runs on: `generate` is one stream at a
    /// time with every token timed, the server with the `single` policy and one sequence.
    public var effectiveServer: ServerConfiguration {
        var server = self.server
        if kind == .generate {
            server.engine.scheduler.kind = .single
            server.engine.scheduler.maxSequences = 1
        }
        return server
    }

    /// Checks ranges (the engine's own `validate`, one path for `serve` and experiments) and the
    /// knobs only some engine kinds take.
    public func validate(path: String = "engine") throws {
        if server.model.isEmpty {
            throw ConfigurationError(
                code: .invalidValue, field: "\(path).model", message: "expected a model name or path, got \"\"")
        }
        do {
            try effectiveServer.validate()
        } catch {
            throw ConfigurationError(
                code: .invalidValue, field: "\(path).\(error.parameter ?? "")", message: error.message)
        }
        let defaults = ServerConfiguration()
        let changed = Set(Self.changedKeys(server, from: defaults))
        switch kind {
        case .inferlab: break
        case .generate:
            for key in ["scheduler", "max_seqs"] where changed.contains(key) {
                throw ConfigurationError(
                    code: .conflict, field: "\(path).\(key)",
                    message: "engine kind generate runs one stream (the single policy, one sequence)")
            }
        case .llamaServer:
            if let key = changed.subtracting(LlamaServerFlags.keys).sorted().first {
                throw ConfigurationError(
                    code: .conflict, field: "\(path).\(key)",
                    message: "only applies to kind inferlab, not llama-server")
            }
        case .external:
            if let key = changed.subtracting(["model"]).sorted().first {
                throw ConfigurationError(
                    code: .conflict, field: "\(path).\(key)",
                    message: "cannot be controlled for engine kind external (InferLab does not launch it)")
            }
        }
        switch (kind, url) {
        case (.external, nil):
            throw ConfigurationError(
                code: .missingField, field: "\(path).url",
                message: "required for kind external (e.g. http://127.0.0.1:8080)")
        case (.external, let url?):
            if !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
                throw ConfigurationError.invalid("\(path).url", expected: "an http:// or https:// URL", got: url)
            }
        case (_, .some):
            throw ConfigurationError(
                code: .conflict, field: "\(path).url",
                message: "only applies to kind external; InferLab launches \(kind.rawValue) itself")
        default: break
        }
    }

    /// The keys whose values differ between two configurations (compared as written).
    static func changedKeys(_ a: ServerConfiguration, from b: ServerConfiguration) -> [String] {
        let left = (try? FlatKnobs.table(a)) ?? [:]
        let right = (try? FlatKnobs.table(b)) ?? [:]
        return Set(left.keys).union(right.keys).filter { left[$0] != right[$0] }.sorted()
    }
}

/// `llama-server`'s flags for the knobs it shares with InferLab's engine: the one place the two
/// vocabularies meet. A knob outside `keys` is refused for a `llama-server` engine.
public enum LlamaServerFlags {
    public static let keys: Set<String> = [
        "model", "model_alias", "threads", "batch_threads", "ctx", "n_batch", "n_ubatch", "max_seqs", "kv_unified",
        "load_mode", "flash_attn",
    ]

    /// The command line serving `modelPath` on loopback `port`.
    public static func command(executable: String, _ server: ServerConfiguration, modelPath: String, port: Int)
        -> [String]
    {
        let engine = server.engine
        var command = [
            executable, "-m", modelPath, "-t", "\(engine.context.threads)", "-c", "\(engine.context.contextLength)",
            "-np", "\(engine.scheduler.maxSequences)", "-b", "\(engine.context.batchSize)", "-ub",
            "\(engine.context.microBatchSize)", "--host", "127.0.0.1", "--port", "\(port)", "--metrics",
        ]
        if let threads = engine.context.batchThreads { command += ["-tb", "\(threads)"] }
        if engine.context.unifiedKV { command.append("--kv-unified") }
        // llama-server's `auto` is llama.cpp's (on where supported), not InferLab's measured one.
        if engine.context.flashAttention != .auto { command += ["-fa", engine.context.flashAttention.rawValue] }
        if let alias = server.modelAlias { command += ["--alias", alias] }
        switch engine.model.loadMode {
        case .mmap: break
        case .noMmap: command.append("--no-mmap")
        case .mlock: command.append("--mlock")
        }
        return command
    }
}
