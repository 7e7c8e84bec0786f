public import InferLabCore

/// A failure of the load generator as a whole (bad configuration, unreadable corpus, results
/// file). Failures of single requests are not errors: they are ``RequestRecord`` rows with an
/// ``ErrorClass``.
public struct LoadGenError: InferLabError {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Sendable { case configuration, corpus, store, server, io }
        fileprivate let base: Base
        public var description: String { base.rawValue }
        /// A configuration field is invalid; the message names it.
        public static let configuration = Code(base: .configuration)
        /// The corpus is missing, empty, or has a bad line; the message gives the line number.
        public static let corpus = Code(base: .corpus)
        /// The results file failed.
        public static let store = Code(base: .store)
        /// The in-process mock server could not start.
        public static let server = Code(base: .server)
        /// Reading or writing a file failed.
        public static let io = Code(base: .io)
    }

    /// What failed.
    public let code: Code
    /// What happened and what to do.
    public let message: String
    /// The underlying error, when there is one.
    public let cause: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// Whether the user's input caused it (exit code 2 in the CLI).
    public var isUsageError: Bool { code == .configuration || code == .corpus }

}
