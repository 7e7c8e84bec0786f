/// A value read from the machine together with the file (or call) it was read from.
///
/// `value` is nil when the source does not exist here; `note` then says why (for example `not exposed`).
/// The JSON shape is `{"value": ..., "source": "...", "note": "..."}` and is part of every run's provenance.
public struct Sourced<Value: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    /// The value, or nil when it could not be read.
    public var value: Value?
    /// Where it was read from: an absolute path as on the machine, or a call such as `getrlimit(RLIMIT_MEMLOCK)`.
    public var source: String
    /// Why the value is missing, or a short remark on how it was derived.
    public var note: String?

    /// Creates a sourced value.
    public init(_ value: Value?, source: String, note: String? = nil) {
        self.value = value
        self.source = source
        self.note = note
    }

    /// A value missing because the file does not exist on this kernel or hypervisor.
    public static func notExposed(_ source: String) -> Sourced {
        Sourced(nil, source: source, note: "not exposed")
    }

    enum CodingKeys: String, CodingKey {
        case value
        case source
        case note
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(value, forKey: .value)
        try container.encode(source, forKey: .source)
        try container.encodeIfPresent(note, forKey: .note)
    }
}
