public import InferLabCore

/// An error from reading or parsing an OS interface.
///
/// The code wraps a private enum so new cases can be added without breaking callers.
public struct ProbeError: InferLabError {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: Hashable, Sendable {
            case unreadable, malformed, processNotFound, invalidConfiguration, notGGUF, system
        }
        fileprivate let value: Value
        fileprivate init(_ value: Value) { self.value = value }

        /// A file could not be opened or read.
        public static let unreadable = Code(.unreadable)
        /// A file's text did not have the documented format.
        public static let malformed = Code(.malformed)
        /// The process does not exist (or has been reaped).
        public static let processNotFound = Code(.processNotFound)
        /// A configuration field has a bad value.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// A file is not a GGUF file, or its header is cut short.
        public static let notGGUF = Code(.notGGUF)
        /// A system call failed.
        public static let system = Code(.system)

        public var description: String { "\(value)" }
    }

    /// The kind of failure.
    public var code: Code
    /// What went wrong and what to do about it.
    public var message: String
    /// The underlying error, when there is one.
    public var cause: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// A bad flag, a process that is not there, a file that cannot be read or is not a model.
    public var isUsageError: Bool { [.invalidConfiguration, .processNotFound, .unreadable, .notGGUF].contains(code) }
}
