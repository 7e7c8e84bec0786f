/// Everything `inferlab serve` is configured with.
public struct ServerConfiguration: Sendable, Codable, Equatable {
    /// Address to bind. The default is loopback, `127.0.0.1`.
    public var host = "127.0.0.1"
    /// TCP port. The default is 8080.
    public var port = 8080
    /// Catalogue name or GGUF path. The default is `smollm2-135m`.
    public var model = "smollm2-135m"
    /// The model name clients use in requests and see in `/v1/models`. The default is the model argument.
    public var modelAlias: String?
    public var engine = EngineConfiguration()
    /// Requests waiting for admission before new ones get 429. The default is 64.
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

    enum CodingKeys: String, CodingKey {
        case host, port, model
        case modelAlias = "model_alias"
        case engine
        case maxQueue = "max_queue"
        case maxQueuedTokens = "max_queued_tokens"
        case maxBodyBytes = "max_body_bytes"
        case apiKey = "api_key"
        case drainTimeoutSeconds = "drain_timeout_s"
        case defaultMaxTokens = "default_max_tokens"
    }

    public init() {}

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
        if maxQueuedTokens < 1 { throw bad("max_queued_tokens", "must be >= 1") }
        if maxBodyBytes < 1024 { throw bad("max_body_bytes", "must be >= 1024") }
        if drainTimeoutSeconds < 0 { throw bad("drain_timeout", "must be >= 0") }
        if let apiKey, apiKey.isEmpty { throw bad("api_key", "must not be empty") }
    }
}
