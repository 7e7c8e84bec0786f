/// A configuration that cannot be used: bad YAML or JSON, an unknown key, a missing field, a bad value
/// or two fields that conflict, in an experiment file, a `serve --config` file or a stored run.
///
/// The message always starts with the field's path (`matrix.cpu_quota[2]: ...`) so the user can
/// find it, and says what was expected and what was found.
public struct ConfigurationError: InferLabError, Equatable {
    /// What kind of problem it is; compare with `ConfigurationError.Code` constants.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case syntax, unknownField, missingField, invalidValue, conflict
        }
        fileprivate var base: Base

        /// The text is not YAML, or not a mapping at the top.
        public static let syntax = Code(base: .syntax)
        /// A key that the experiment format does not know.
        public static let unknownField = Code(base: .unknownField)
        /// A required field is absent.
        public static let missingField = Code(base: .missingField)
        /// A value has the wrong type or is out of range.
        public static let invalidValue = Code(base: .invalidValue)
        /// Two fields that cannot be used together.
        public static let conflict = Code(base: .conflict)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// The dotted path of the field, e.g. `matrix.cpu_quota[2]`; empty for the whole file.
    public var field: String
    /// What is wrong and what is expected.
    public var message: String
    /// The underlying error (e.g. the YAML parser's), when there is one.
    public var cause: (any Error & Sendable)?

    public init(code: Code, field: String, message: String, cause: (any Error)? = nil) {
        self.code = code
        self.field = field
        self.message = message
        self.cause = cause
    }

    /// The field first, so the user can find it; the message says what the parser found.
    public var description: String {
        field.isEmpty ? message : "\(field): \(message)"
    }

    /// A configuration is always the user's input.
    public var isUsageError: Bool { true }

    public static func == (a: ConfigurationError, b: ConfigurationError) -> Bool {
        a.code == b.code && a.field == b.field && a.message == b.message
    }

    public static func invalid(_ field: String, expected: String, got: String) -> ConfigurationError {
        ConfigurationError(code: .invalidValue, field: field, message: "expected \(expected), got \(quoted(got))")
    }

    public static func quoted(_ text: String) -> String {
        "\"\(text.replacingOccurrences(of: "\"", with: "\\\""))\""
    }
}

extension ConfigurationError {
    /// The same error with its field under `path` (`max_tokens` in `workload:` is
    /// `workload.max_tokens`; under a file, `engine.yaml: max_tokens`, when `path` ends in `:`).
    public func under(_ path: String) -> ConfigurationError {
        var error = self
        error.field = field.isEmpty ? path : path.hasSuffix(":") ? "\(path) \(field)" : "\(path).\(field)"
        return error
    }
}
