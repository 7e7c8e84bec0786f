/// A configuration struct whose knobs live in one flat mapping shared with its neighbours: the
/// keys of `inferlab serve --config FILE`, of an experiment's `engine:` block and of a matrix
/// variable are the same words as the `serve` flags (`batch_tokens` is `--batch-tokens`).
///
/// `ServerConfiguration` holds an `EngineConfiguration`, which holds `ModelOptions`,
/// `ContextOptions` and `SchedulerConfiguration`; on disk they are one mapping, so each reads and
/// writes its own keys of the same container and the outermost one refuses keys nobody knows.
/// A key that is absent keeps the property's documented default, which is written once, in the
/// property's initialiser.
public protocol KnobSet: Codable, Sendable {
    /// The keys this struct reads and writes, its nested knob sets' included.
    static var keys: [String] { get }
    /// Reads the keys present in `container` over the defaults.
    init(reading container: KeyedDecodingContainer<ConfigurationKey>) throws
    /// Writes every key (optional knobs only when set).
    func write(to container: inout KeyedEncodingContainer<ConfigurationKey>) throws
}

extension KnobSet {
    /// Decodes from a flat mapping, refusing keys outside `keys` (the `Decodable` conformance of
    /// every knob set: none synthesizes its own).
    public init(from decoder: any Decoder) throws {
        try self.init(reading: decoder.configurationContainer(allowed: Self.keys))
    }

    /// Encodes as one flat mapping.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: ConfigurationKey.self)
        try write(to: &container)
    }
}

extension KeyedEncodingContainer where Key == ConfigurationKey {
    /// Writes `value` under `name`; `nil` writes nothing (the key is absent).
    public mutating func knob(_ name: String, _ value: (some Encodable)?) throws {
        guard let value else { return }
        try encode(value, forKey: ConfigurationKey(stringValue: name))
    }
}
