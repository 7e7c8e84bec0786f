public import InferLabCore

/// Everything `inferlab serve` is configured with: the flags of `serve`, the keys of a
/// `serve --config FILE` (JSON or YAML, one flat mapping) and of an experiment's `engine:` block
/// are the same knobs, named once here and in the knob sets it holds (`EngineConfiguration`).
public struct ServerConfiguration: KnobSet, Equatable {
    /// Address to bind. The default is loopback, `127.0.0.1`.
    public var host = "127.0.0.1"
    /// TCP port (0 picks a free one). The default is 8080.
    public var port = 8080
    /// Catalogue name or GGUF path. The default is `smollm2-135m`.
    public var model = ModelCatalog.defaultModel
    /// The model name clients use in requests and see in `/v1/models`. The default is the model argument.
    public var modelAlias: String?
    public var engine = EngineConfiguration()
    /// Requests waiting for a free sequence before new ones get 429. The default is 64.
    public var maxQueue = 64
    /// Prompt tokens waiting for admission before new requests get 429. The default is 65,536.
    public var maxQueuedTokens = 65_536
    /// Largest request body in bytes (413 beyond). The default is 1 MiB.
    public var maxBodyBytes = 1 << 20
    /// When set, `/v1/*` and `/generate` need `Authorization: Bearer <key>`. The default is none.
    public var apiKey: String?
    /// Seconds to let in-flight requests finish after SIGTERM/SIGINT. The default is 30.
    public var drainTimeoutSeconds = 30.0
    /// Completion budget when a request sets no `max_tokens`. The default is 512 (capped by the context).
    public var defaultMaxTokens = 512

    public init() {}

    /// The server's own keys; `keys` adds the engine's.
    public static let serverKeys = [
        "host", "port", "model", "model_alias", "max_queue", "max_queued_tokens", "max_body_bytes", "api_key",
        "drain_timeout_s", "default_max_tokens",
    ]
    public static let keys = serverKeys + EngineConfiguration.keys

    public init(reading c: KeyedDecodingContainer<ConfigurationKey>) throws {
        host = try c.scalar("host") ?? host
        port = try c.int("port") ?? port
        model = try c.scalar("model") ?? model
        modelAlias = try c.scalar("model_alias")
        engine = try EngineConfiguration(reading: c)
        maxQueue = try c.int("max_queue") ?? maxQueue
        maxQueuedTokens = try c.int("max_queued_tokens") ?? maxQueuedTokens
        maxBodyBytes = try c.int("max_body_bytes") ?? maxBodyBytes
        apiKey = try c.scalar("api_key")
        drainTimeoutSeconds = try c.double("drain_timeout_s") ?? drainTimeoutSeconds
        defaultMaxTokens = try c.int("default_max_tokens") ?? defaultMaxTokens
    }

    public func write(to c: inout KeyedEncodingContainer<ConfigurationKey>) throws {
        try c.knob("host", host)
        try c.knob("port", port)
        try c.knob("model", model)
        try c.knob("model_alias", modelAlias)
        try engine.write(to: &c)
        try c.knob("max_queue", maxQueue)
        try c.knob("max_queued_tokens", maxQueuedTokens)
        try c.knob("max_body_bytes", maxBodyBytes)
        try c.knob("api_key", apiKey)
        try c.knob("drain_timeout_s", drainTimeoutSeconds)
        try c.knob("default_max_tokens", defaultMaxTokens)
    }

    /// The name served in `/v1/models` and accepted in requests.
    public var servedModelName: String {
        if let modelAlias { return modelAlias }
        if model.contains("/") {
            let file = model.split(separator: "/").last.map(String.init) ?? model
            return file.hasSuffix(".gguf") ? String(file.dropLast(5)) : file
        }
        return model
    }

    public func validate() throws(EngineError) {
        try engine.validate()
        func bad(_ field: String, _ why: String) -> EngineError {
            EngineError(.invalidParameter, "\(field) \(why)", parameter: field)
        }
        if !(0...65535).contains(port) { throw bad("port", "must be in 0...65535 (got \(port))") }
        if maxQueue < 0 { throw bad("max_queue", "must be >= 0") }
        if defaultMaxTokens < 1 { throw bad("default_max_tokens", "must be >= 1") }
        if maxQueuedTokens < 1 { throw bad("max_queued_tokens", "must be >= 1") }
        if maxBodyBytes < 1024 { throw bad("max_body_bytes", "must be >= 1024") }
        if drainTimeoutSeconds < 0 { throw bad("drain_timeout_s", "must be >= 0") }
        if let apiKey, apiKey.isEmpty { throw bad("api_key", "must not be empty") }
    }
}
