/// The `engine:` block: what serves the trial's requests.
///
/// ```yaml
/// engine: {kind: inferlab, model: smollm2-135m, scheduler: continuous, threads: 2, ctx: 4096}
/// ```
public struct EngineSpec: Sendable, Codable, Equatable {
    /// Which engine. Required.
    public var kind: EngineKind
    /// A catalogue name (`smollm2-135m`, `gemma3-270m`) or a path to a GGUF file. The default is
    /// `smollm2-135m`.
    public var model: String = "smollm2-135m"
    /// The quantization; derived ones are made once and cached. The default is `original`.
    public var quantization: Quantization = .original
    /// The batching policy (`inferlab` only). The default is `continuous`.
    public var scheduler: SchedulerKind?
    /// Decode threads. The default is 2.
    public var threads: Int = 2
    /// Total context size in tokens. The default is 4096.
    public var ctx: Int = 4096
    /// Sequences decoded together (`--max-seqs` / llama-server `-np`). The default is 8.
    public var maxSeqs: Int = 8
    /// How the model file is loaded. The default is `mmap`.
    public var loadMode: LoadMode = .mmap
    /// Prefix cache (`inferlab` only). The default is off.
    public var prefixCache: Bool = false
    /// Admission limit: queued requests before 429 (`inferlab` only). The default is the
    /// server's own.
    public var maxQueue: Int?
    /// The endpoint of an `external` engine, e.g. `http://127.0.0.1:8080`. Required for
    /// `external`, refused otherwise.
    public var url: String?

    public init(kind: EngineKind) {
        self.kind = kind
    }

    /// The scheduler in effect: the given one, or `continuous` for `inferlab`.
    public var effectiveScheduler: SchedulerKind? {
        kind == .inferlab ? (scheduler ?? .continuous) : nil
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case kind, model, quantization, scheduler, threads, ctx, url
        case maxSeqs = "max_seqs"
        case loadMode = "load_mode"
        case prefixCache = "prefix_cache"
        case maxQueue = "max_queue"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.specContainer(allowed: CodingKeys.allCases.map(\.rawValue))
        guard let kind = try c.choice("kind", EngineKind.self) else {
            throw SpecError(
                code: .missingField, field: c.path("kind"),
                message: "missing required field; \(SpecParse.oneOf(EngineKind.self))")
        }
        self.kind = kind
        model = try c.scalar("model") ?? model
        quantization = try c.choice("quantization", Quantization.self) ?? quantization
        scheduler = try c.choice("scheduler", SchedulerKind.self)
        threads = try c.int("threads") ?? threads
        ctx = try c.int("ctx") ?? ctx
        maxSeqs = try c.int("max_seqs") ?? maxSeqs
        loadMode = try c.choice("load_mode", LoadMode.self) ?? loadMode
        prefixCache = try c.bool("prefix_cache") ?? prefixCache
        maxQueue = try c.int("max_queue")
        url = try c.scalar("url")
    }

    /// Checks ranges and the fields that only some engine kinds accept.
    public func validate(path: String = "engine") throws {
        if model.isEmpty {
            throw SpecError(
                code: .invalidValue, field: "\(path).model", message: "expected a model name or path, got \"\"")
        }
        try SpecRange.check(threads, "\(path).threads", 1...256, "a thread count >= 1")
        try SpecRange.check(ctx, "\(path).ctx", 128...1_048_576, "a context size in tokens, 128 or more")
        try SpecRange.check(maxSeqs, "\(path).max_seqs", 1...256, "a sequence count >= 1")
        if let maxQueue { try SpecRange.check(maxQueue, "\(path).max_queue", 1...1_000_000, "a queue length >= 1") }
        if kind != .inferlab {
            for (set, field) in [
                (scheduler != nil, "scheduler"), (prefixCache, "prefix_cache"), (maxQueue != nil, "max_queue"),
            ]
            where set {
                throw SpecError(
                    code: .conflict, field: "\(path).\(field)",
                    message: "only applies to kind inferlab, not \(kind.rawValue)")
            }
        }
        switch (kind, url) {
        case (.external, nil):
            throw SpecError(
                code: .missingField, field: "\(path).url",
                message: "required for kind external (e.g. http://127.0.0.1:8080)")
        case (.external, let url?):
            if !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
                throw SpecError.invalid("\(path).url", expected: "an http:// or https:// URL", got: url)
            }
        case (_, .some):
            throw SpecError(
                code: .conflict, field: "\(path).url",
                message: "only applies to kind external; InferLab launches \(kind.rawValue) itself")
        default: break
        }
    }
}

enum SpecRange {
    static func check(_ value: Int, _ field: String, _ range: ClosedRange<Int>, _ expected: String) throws {
        guard range.contains(value) else { throw SpecError.invalid(field, expected: expected, got: "\(value)") }
    }

    static func check(_ value: Double, _ field: String, _ range: ClosedRange<Double>, _ expected: String) throws {
        guard range.contains(value) else {
            throw SpecError.invalid(field, expected: expected, got: SpecFormat.number(value))
        }
    }
}

enum SpecFormat {
    /// `1.5`, `2` (no trailing `.0`).
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? "\(Int(value))" : "\(value)"
    }
}
