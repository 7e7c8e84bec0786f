import Foundation

/// An experiment file that cannot run: bad YAML, an unknown key, a missing field or a bad value.
///
/// The message always starts with the field's path (`matrix.cpu_quota[2]: ...`) so the user can
/// find it, and says what was expected and what was found.
public struct SpecError: Error, Sendable, CustomStringConvertible, Equatable {
    /// What kind of problem it is; compare with `SpecError.Code` constants.
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
    public var cause: String?

    public init(code: Code, field: String, message: String, cause: String? = nil) {
        self.code = code
        self.field = field
        self.message = message
        self.cause = cause
    }

    public var description: String {
        field.isEmpty ? message : "\(field): \(message)"
    }

    static func invalid(_ field: String, expected: String, got: String) -> SpecError {
        SpecError(code: .invalidValue, field: field, message: "expected \(expected), got \(quoted(got))")
    }

    static func quoted(_ text: String) -> String {
        "\"\(text.replacingOccurrences(of: "\"", with: "\\\""))\""
    }
}
