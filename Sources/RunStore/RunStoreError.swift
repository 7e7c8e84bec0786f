public import InferLabCore

/// A failure of the results file: opening, writing, reading or exporting it.
public struct RunStoreError: InferLabError {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Sendable { case open, newerSchema, write, read, export, badArgument }
        fileprivate let base: Base
        public var description: String { base.rawValue }
        /// The file could not be created or opened.
        public static let open = Code(base: .open)
        /// The file was written by a later version, with tables this one does not know.
        public static let newerSchema = Code(base: .newerSchema)
        /// A write transaction failed (and was rolled back).
        public static let write = Code(base: .write)
        /// A read failed.
        public static let read = Code(base: .read)
        /// Export to CSV or JSONL failed.
        public static let export = Code(base: .export)
        /// A bad argument (unknown table or format).
        public static let badArgument = Code(base: .badArgument)
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

    /// A bad argument (an unknown table or format) is the user's.
    public var isUsageError: Bool { code == .badArgument }
}
